package squall_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/vmihailenco/msgpack/v5"

	squall "github.com/squall-stream/squall/multilang/go"
)

type passthrough struct{}

func (passthrough) Process(t *squall.Tuple, out *squall.BasicCollector) error {
	_, err := out.Emit(t.Values)
	return err
}

// BenchmarkPassthrough measures the library's own cost per tuple for a pass-through bolt in
// extension mode with msgpack, without pipes: decoding "tuples" batches of 100, emitting,
// acking and encoding the "batch" replies. cmd/passthrough-bench measures it over real pipes.
func BenchmarkPassthrough(b *testing.B) {
	const batchSize = 100
	handshake, err := msgpack.Marshal(map[string]any{"pidDir": "", "conf": map[string]any{}, "context": map[string]any{}, "squall": map[string]any{"version": 1}})
	if err != nil {
		b.Fatal(err)
	}
	tuples := make([]any, batchSize)
	for i := range tuples {
		tuples[i] = []any{fmt.Sprint(-4576126418232474826 + i), "spout", "default", 1, []any{"snow", i}}
	}
	batch, err := msgpack.Marshal(map[string]any{"command": "tuples", "tuples": tuples})
	if err != nil {
		b.Fatal(err)
	}
	input := io.MultiReader(bytes.NewReader(handshake), &repeatReader{data: batch, times: (b.N + batchSize - 1) / batchSize})
	b.ReportAllocs()
	b.ResetTimer()
	err = squall.RunBolt(squall.Basic(passthrough{}), squall.WithInput(input), squall.WithOutput(io.Discard), squall.WithPID(1))
	if !errors.Is(err, squall.ErrHostWentAway) {
		b.Fatal(err)
	}
}

// repeatReader reads data the given number of times, like a host sending the same batch over and
// over, without holding all the copies in memory, which would change how the collector behaves.
type repeatReader struct {
	data  []byte
	times int
	off   int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) && r.times > 0 {
		c := copy(p[n:], r.data[r.off:])
		n += c
		if r.off += c; r.off == len(r.data) {
			r.off = 0
			r.times--
		}
	}
	if n == 0 {
		return 0, io.EOF
	}
	return n, nil
}
