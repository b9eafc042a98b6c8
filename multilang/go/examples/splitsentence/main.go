// Command splitsentence is the word-count splitter: a basic bolt that emits each word of a
// sentence as a one-field tuple ["word"], anchored to the sentence, which is acked when all its
// words are out. An empty sentence is failed. On every tick tuple it logs how much it has done.
//
// It is the component of the golden transcripts bolt-legacy-split and bolt-ext-split.
package main

import (
	"fmt"
	"strings"

	squall "github.com/squall-stream/squall/multilang/go"
)

type splitter struct {
	sentences, words int
}

func (s *splitter) Process(t *squall.Tuple, out *squall.BasicCollector) error {
	if t.IsTick() {
		return out.Log(squall.LogInfo, fmt.Sprintf("split %d sentences into %d words so far", s.sentences, s.words))
	}
	sentence, ok := t.Values[0].(string)
	if !ok {
		return fmt.Errorf("%w: sentence %#v is not a string", squall.ErrFailTuple, t.Values[0])
	}
	words := strings.Fields(sentence)
	if len(words) == 0 {
		// Failing makes the spout replay it; returning another error would stop the bolt.
		return fmt.Errorf("%w: no words in %q", squall.ErrFailTuple, sentence)
	}
	for _, word := range words {
		if _, err := out.Emit([]any{word}); err != nil {
			return err
		}
	}
	s.sentences++
	s.words += len(words)
	return nil
}

func main() {
	squall.Main(func() error {
		return squall.RunBolt(squall.Basic(&splitter{}))
	})
}
