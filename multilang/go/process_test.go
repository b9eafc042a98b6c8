package squall_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vmihailenco/msgpack/v5"

	squall "github.com/squall-stream/squall/multilang/go"
)

// TestExamplesAsProcesses builds the example components and runs each as a real subprocess,
// playing the host of its golden transcripts over pipes one message at a time: every host
// message is written only when the conversation reaches it, and every child message is read
// and checked as it arrives.
func TestExamplesAsProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs subprocesses")
	}
	bins := buildExamples(t, "splitsentence", "sentencespout")
	cases := []struct{ example, transcript string }{
		{"splitsentence", "bolt-legacy-split"},
		{"splitsentence", "bolt-ext-split"},
		{"sentencespout", "spout-legacy"},
	}
	for _, c := range cases {
		for _, serializer := range serializers {
			t.Run(c.example+"/"+c.transcript+"/"+serializer, func(t *testing.T) {
				playHost(t, bins[c.example], c.transcript, serializer)
			})
		}
	}
}

func buildExamples(t *testing.T, names ...string) map[string]string {
	t.Helper()
	dir := t.TempDir()
	args := []string{"build", "-o", dir + string(filepath.Separator)}
	bins := make(map[string]string)
	for _, name := range names {
		args = append(args, "./examples/"+name)
		bins[name] = filepath.Join(dir, name)
	}
	if out, err := exec.Command("go", args...).CombinedOutput(); err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return bins
}

const messageTimeout = 10 * time.Second

func playHost(t *testing.T, bin, transcript, serializer string) {
	pidDir := t.TempDir()
	frames := hostFrames(t, transcript, serializer, pidDir)

	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), squall.SerializerEnv+"="+serializer)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill() // if the test fails before the child exits

	messages := make(chan childMessage, 100)
	go readMessages(serializer, stdout, messages)
	// next returns the child's next message, or false at the end of its output.
	next := func() (any, bool) {
		select {
		case m, ok := <-messages:
			if m.err != nil {
				t.Fatalf("reading the child's output: %v", m.err)
			}
			return m.msg, ok
		case <-time.After(messageTimeout):
			t.Fatalf("no message from the child in %v; stderr:\n%s", messageTimeout, stderr.String())
			return nil, false
		}
	}

	sent, received := 0, 0
	for _, entry := range conversation(t, transcript) {
		if entry.From == "host" {
			if _, err := stdin.Write(frames[sent]); err != nil {
				t.Fatalf("writing host message %d: %v", sent, err)
			}
			sent++
			continue
		}
		got, ok := next()
		if !ok {
			t.Fatalf("the child stopped writing before message %d; stderr:\n%s", received, stderr.String())
		}
		if received == 0 {
			checkPID(t, got, cmd.Process.Pid, pidDir)
		}
		compareMessages(t, []any{got}, []any{entry.Msg})
		received++
	}

	// Closing stdin ends the child quietly with exit code 2.
	stdin.Close()
	for {
		extra, ok := next()
		if !ok {
			break
		}
		t.Errorf("unexpected message after the conversation: %s", show(extra))
	}
	err = cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 2 {
		t.Errorf("the child ended with %v, want exit code 2", err)
	}
	if stderr.Len() > 0 {
		t.Errorf("the child wrote to stderr:\n%s", stderr.String())
	}
}

// A host that stops reading the component's stdout ends it as surely as one that closes its stdin.
func TestClosedStdoutEndsWithExitCode2(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs subprocesses")
	}
	cmd := exec.Command(buildExamples(t, "splitsentence")["splitsentence"])
	cmd.Env = append(os.Environ(), squall.SerializerEnv+"=msgpack")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	input := hostInput(t, "msgpack", handshake(false))
	if _, err := io.Copy(stdin, input); err != nil {
		t.Fatal(err)
	}
	if _, err := msgpack.NewDecoder(stdout).DecodeInterface(); err != nil {
		t.Fatalf("reading the handshake reply: %v", err)
	}
	stdout.Close()
	// The emit for this tuple meets the closed pipe; stdin stays open.
	if _, err := io.Copy(stdin, hostInput(t, "msgpack", tuple("t1", "hello world"))); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err = <-done:
	case <-time.After(messageTimeout):
		t.Fatal("the child did not exit after its stdout was closed")
	}
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 2 {
		t.Errorf("the child ended with %v, want exit code 2", err)
	}
}

// checkPID checks that the handshake reply carries the child's real pid and that the pid file
// exists.
func checkPID(t *testing.T, reply any, pid int, pidDir string) {
	t.Helper()
	m, _ := reply.(map[string]any)
	if canonical(m["pid"]) != canonical(pid) {
		t.Errorf("the reply's pid is %v, want %d", m["pid"], pid)
	}
	if _, err := os.Stat(filepath.Join(pidDir, strconv.Itoa(pid))); err != nil {
		t.Errorf("pid file: %v", err)
	}
}

type childMessage struct {
	msg any
	err error
}

// readMessages decodes the child's messages as they arrive and closes messages at the end of
// its output.
func readMessages(serializer string, r io.Reader, messages chan<- childMessage) {
	defer close(messages)
	br := bufio.NewReader(r)
	if serializer == "msgpack" {
		dec := msgpack.NewDecoder(br)
		for {
			m, err := dec.DecodeInterface()
			if err == io.EOF {
				return
			}
			messages <- childMessage{m, err}
			if err != nil {
				return
			}
		}
	}
	var text strings.Builder
	for {
		line, err := br.ReadString('\n')
		if err == io.EOF && text.Len() == 0 && line == "" {
			return
		}
		if err != nil {
			messages <- childMessage{err: fmt.Errorf("%w after %q", err, text.String()+line)}
			return
		}
		if line != "end\n" {
			text.WriteString(line)
			continue
		}
		dec := json.NewDecoder(strings.NewReader(text.String()))
		dec.UseNumber()
		var m any
		err = dec.Decode(&m)
		messages <- childMessage{m, err}
		if err != nil {
			return
		}
		text.Reset()
	}
}
