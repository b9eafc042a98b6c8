// Command passthrough-bench measures how many tuples per second go through a Go bolt over its
// pipes. It builds examples/passthrough, starts it as a subprocess in extension mode with msgpack,
// and plays the host: it writes pre-encoded "tuples" batches, keeping a window of tuples in
// flight, and counts the acks in the bolt's "batch" replies. It prints one JSON line:
//
//	{"name": "go-passthrough-pipe", "tuples_per_s": ..., ...}
//
// with the CPU time each process spent per million tuples, which tells which side is the limit.
// Run it from multilang/go:
//
//	go run ./cmd/passthrough-bench
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/vmihailenco/msgpack/v5"
)

func main() {
	var (
		bin    = flag.String("bin", "", "passthrough binary to run (default: build examples/passthrough)")
		tuples = flag.Int("tuples", 5_000_000, "tuples to measure")
		warmup = flag.Int("warmup", 500_000, "tuples sent before measuring")
		batch  = flag.Int("batch", 100, "tuples per tuples message")
		window = flag.Int("window", 4000, "tuples in flight at most")
	)
	flag.Parse()
	log.SetFlags(0)
	if *bin == "" {
		dir, err := os.MkdirTemp("", "passthrough-bench")
		if err != nil {
			log.Fatal(err)
		}
		defer os.RemoveAll(dir)
		*bin = filepath.Join(dir, "passthrough")
		build := exec.Command("go", "build", "-o", *bin, "github.com/squall-stream/squall/multilang/go/examples/passthrough")
		build.Stderr = os.Stderr
		if err := build.Run(); err != nil {
			log.Fatalf("building examples/passthrough: %v", err)
		}
	}
	r, err := run(*bin, *tuples, *warmup, *batch, *window)
	if err != nil {
		log.Fatal(err)
	}
	perMillion := func(d time.Duration) float64 {
		return math.Round(d.Seconds()/float64(*warmup+*tuples)*1e6*100) / 100
	}
	line, _ := json.Marshal(map[string]any{
		"name":               "go-passthrough-pipe",
		"tuples_per_s":       int(float64(*tuples) / r.elapsed.Seconds()),
		"batch":              *batch,
		"window":             *window,
		"serializer":         "msgpack",
		"bolt_cpu_s_per_m":   perMillion(r.boltCPU),
		"driver_cpu_s_per_m": perMillion(r.driverCPU),
	})
	fmt.Println(string(line))
}

type result struct {
	elapsed            time.Duration // for the measured tuples, after the warm-up
	boltCPU, driverCPU time.Duration // for all tuples
}

func run(bin string, tuples, warmup, batch, window int) (result, error) {
	var r result
	pidDir, err := os.MkdirTemp("", "passthrough-bench-pids")
	if err != nil {
		return r, err
	}
	defer os.RemoveAll(pidDir)

	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "SQUALL_MULTILANG_SERIALIZER=msgpack")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return r, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return r, err
	}
	if err := cmd.Start(); err != nil {
		return r, err
	}
	defer cmd.Process.Kill() // if we return early

	in := bufio.NewWriterSize(stdin, 256<<10)
	out := newAckCounter(stdout)
	if err := handshake(in, out.dec, pidDir); err != nil {
		return r, err
	}

	batches := encodeBatches(batch)
	sends := (warmup + tuples + batch - 1) / batch
	// Each token is one batch in flight; the reader returns one per batch worth of acks.
	tokens := make(chan struct{}, max(window/batch, 1))
	writeErr := make(chan error, 1)
	go func() {
		for i := range sends {
			tokens <- struct{}{}
			if _, err := in.Write(batches[i%len(batches)]); err != nil {
				writeErr <- err
				return
			}
			// Flush when the next batch would wait for a token, or when there is none.
			if len(tokens) == cap(tokens) || i == sends-1 {
				if err := in.Flush(); err != nil {
					writeErr <- err
					return
				}
			}
		}
		writeErr <- nil
	}()

	var start time.Time
	acked, freed := 0, 0
	for acked < sends*batch {
		n, err := out.message()
		if err != nil {
			return r, fmt.Errorf("reading the bolt's output after %d acks: %w", acked, err)
		}
		if acked < warmup && acked+n >= warmup {
			start = time.Now()
		}
		acked += n
		for ; freed+batch <= acked; freed += batch {
			<-tokens
		}
	}
	r.elapsed = time.Since(start)
	if err := <-writeErr; err != nil {
		return r, err
	}

	// Closing stdin ends the bolt, with exit code 2.
	stdin.Close()
	if err := cmd.Wait(); err != nil {
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 2 {
			return r, fmt.Errorf("the bolt ended with %v, want exit code 2", err)
		}
	}
	r.boltCPU = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	var self syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &self); err != nil {
		return r, err
	}
	r.driverCPU = time.Duration(self.Utime.Nano() + self.Stime.Nano())
	return r, nil
}

func handshake(in *bufio.Writer, out *msgpack.Decoder, pidDir string) error {
	err := msgpack.NewEncoder(in).Encode(map[string]any{
		"pidDir": pidDir,
		"conf":   map[string]any{},
		"context": map[string]any{
			"taskid": 2, "componentid": "passthrough",
			"task->component": map[string]any{"1": "spout", "2": "passthrough"},
		},
		"squall": map[string]any{"version": 1},
	})
	if err == nil {
		err = in.Flush()
	}
	if err != nil {
		return err
	}
	reply, err := out.DecodeInterface()
	if err != nil {
		return fmt.Errorf("reading the handshake reply: %w", err)
	}
	if m, _ := reply.(map[string]any); m["squall"] == nil {
		return fmt.Errorf("the bolt did not accept the extension: %v", reply)
	}
	return nil
}

// encodeBatches pre-encodes a few "tuples" messages with distinct tuple ids, so that encoding
// costs the benchmark nothing while it runs. Each tuple is [word, int], ids are 64-bit decimal
// strings as Storm makes them.
func encodeBatches(size int) [][]byte {
	batches := make([][]byte, 64)
	for b := range batches {
		tuples := make([]any, size)
		for i := range tuples {
			n := b*size + i
			id := fmt.Sprint(-4576126418232474826 + int64(n)*7919)
			tuples[i] = []any{id, "sentences", "default", 4, []any{"snow", n}}
		}
		data, err := msgpack.Marshal(map[string]any{"command": "tuples", "tuples": tuples})
		if err != nil {
			log.Fatal(err)
		}
		batches[b] = data
	}
	return batches
}

// ackCounter reads the bolt's messages and counts the acks among them, allocating nothing: it
// compares keys and commands in the read buffer instead of decoding them into strings.
type ackCounter struct {
	br  *bufio.Reader
	dec *msgpack.Decoder
}

func newAckCounter(stdout interface{ Read([]byte) (int, error) }) *ackCounter {
	br := bufio.NewReaderSize(stdout, 256<<10)
	return &ackCounter{br: br, dec: msgpack.NewDecoder(br)}
}

// message reads one top-level message and returns how many acks it holds.
func (a *ackCounter) message() (int, error) {
	n, err := a.dec.DecodeMapLen()
	if err != nil {
		return 0, err
	}
	if n < 0 {
		return 0, errors.New("the bolt wrote nil instead of a message")
	}
	acks := 0
	for range n {
		key, err := a.word()
		if err != nil {
			return 0, err
		}
		switch key {
		case command:
			value, err := a.word()
			if err != nil {
				return 0, err
			}
			if value == ack {
				acks++
			}
		case messages:
			count, err := a.dec.DecodeArrayLen()
			if err != nil {
				return 0, err
			}
			for range count {
				inner, err := a.message()
				if err != nil {
					return 0, err
				}
				acks += inner
			}
		default:
			if err := a.dec.Skip(); err != nil {
				return 0, err
			}
		}
	}
	return acks, nil
}

// word reads a string and tells which of the few this counter cares about it is.
func (a *ackCounter) word() (word, error) {
	n, err := a.dec.DecodeBytesLen()
	if err != nil {
		return other, err
	}
	b, err := a.br.Peek(n)
	if err != nil {
		return other, err
	}
	w := other
	switch string(b) {
	case "command":
		w = command
	case "messages":
		w = messages
	case "ack":
		w = ack
	}
	_, err = a.br.Discard(n)
	return w, err
}

type word int

const (
	other word = iota
	command
	messages
	ack
)
