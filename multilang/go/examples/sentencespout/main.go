// Command sentencespout is a reliable spout over a fixed list of sentences. Each sentence is
// emitted once with the id "sentence-<index>"; when the topology fails one, the spout logs it and
// emits it again with the same id, after the sentences not yet emitted.
//
// It is the component of the golden transcript spout-legacy.
package main

import (
	"fmt"
	"strconv"
	"strings"

	squall "github.com/squall-stream/squall/multilang/go"
)

var sentences = []string{
	"the cow jumped over the moon",
	"an apple a day keeps the doctor away",
}

type sentenceSpout struct {
	out     *squall.SpoutCollector
	next    int   // index of the first sentence never emitted
	replays []int // indexes of failed sentences, oldest first
}

func (s *sentenceSpout) Open(_ squall.Conf, _ *squall.Context, out *squall.SpoutCollector) error {
	s.out = out
	return nil
}

func (s *sentenceSpout) NextTuple() error {
	var i int
	switch {
	case s.next < len(sentences):
		i = s.next
		s.next++
	case len(s.replays) > 0:
		i = s.replays[0]
		s.replays = s.replays[1:]
	default:
		return nil // nothing to emit; the host will ask again
	}
	_, err := s.out.Emit([]any{sentences[i]}, squall.MessageID(fmt.Sprintf("sentence-%d", i)))
	return err
}

// Ack has nothing to do: a sentence is only kept for replay once it fails.
func (s *sentenceSpout) Ack(any) error { return nil }

func (s *sentenceSpout) Fail(id any) error {
	// Our ids are strings, which come back unchanged in both serializers.
	name, _ := id.(string)
	i, err := strconv.Atoi(strings.TrimPrefix(name, "sentence-"))
	if err != nil || i < 0 || i >= len(sentences) {
		return fmt.Errorf("fail of unknown id %#v", id)
	}
	s.replays = append(s.replays, i)
	return s.out.Log(squall.LogWarn, fmt.Sprintf("%s failed, replaying", name))
}

func main() {
	squall.Main(func() error {
		return squall.RunSpout(&sentenceSpout{})
	})
}
