// Command passthrough is the smallest useful bolt: it emits every input's values unchanged,
// anchored to the input, and acks the input. The throughput benchmark in bench/ drives it.
package main

import (
	squall "github.com/squall-stream/squall/multilang/go"
)

type passthrough struct{}

func (passthrough) Process(t *squall.Tuple, out *squall.BasicCollector) error {
	_, err := out.Emit(t.Values)
	return err
}

func main() {
	squall.Main(func() error {
		return squall.RunBolt(squall.Basic(passthrough{}))
	})
}
