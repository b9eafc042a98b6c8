// Command split is the split bolt of the Go word count: a basic bolt that emits each word of a
// sentence as ["word"], anchored to the sentence, which is acked when Process returns nil. An
// empty sentence is failed (the spout replays it).
package main

import (
	"fmt"
	"strings"

	squall "github.com/squall-stream/squall/multilang/go"
)

type split struct{}

func (split) Process(t *squall.Tuple, out *squall.BasicCollector) error {
	if t.IsTick() {
		return nil
	}
	sentence, ok := t.Values[0].(string)
	if !ok {
		return fmt.Errorf("%w: %#v is not a sentence", squall.ErrFailTuple, t.Values[0])
	}
	words := strings.Fields(sentence)
	if len(words) == 0 {
		return fmt.Errorf("%w: empty sentence", squall.ErrFailTuple)
	}
	for _, word := range words {
		if _, err := out.Emit([]any{word}); err != nil {
			return err
		}
	}
	return nil
}

func main() {
	squall.Main(func() error {
		return squall.RunBolt(squall.Basic(split{}))
	})
}
