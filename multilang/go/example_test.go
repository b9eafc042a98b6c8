package squall_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"

	squall "github.com/squall-stream/squall/multilang/go"
)

// A bolt's main function. Main exits with the code the host expects: 2 when the host closes
// stdin, 1 after any other error.
func ExampleMain() {
	shout := squall.BasicBoltFunc(func(t *squall.Tuple, out *squall.BasicCollector) error {
		word, _ := t.Values[0].(string)
		_, err := out.Emit([]any{strings.ToUpper(word) + "!"})
		return err
	})
	squall.Main(func() error {
		return squall.RunBolt(squall.Basic(shout))
	})
}

// A basic bolt, run against a host held in memory: a handshake that offers the squall extension,
// then two tuples in one batch, in Storm's json framing. The bolt answers with one batch.
func ExampleRunBolt() {
	shout := squall.BasicBoltFunc(func(t *squall.Tuple, out *squall.BasicCollector) error {
		word, _ := t.Values[0].(string)
		_, err := out.Emit([]any{strings.ToUpper(word) + "!"})
		return err
	})
	host := strings.NewReader(`{"pidDir": "", "conf": {}, "context": {"taskid": 2, "componentid": "shout"}, "squall": {"version": 1}}
end
{"command": "tuples", "tuples": [["17", "words", "default", 1, ["hello"]], ["18", "words", "default", 1, ["world"]]]}
end
`)
	err := squall.RunBolt(squall.Basic(shout),
		squall.WithSerializer("json"), squall.WithInput(host), squall.WithOutput(os.Stdout), squall.WithPID(4242))
	fmt.Println(errors.Is(err, squall.ErrHostWentAway))
	// Output:
	// {"pid":4242,"squall":{"version":1}}
	// end
	// {"command":"batch","messages":[{"command":"emit","anchors":["17"],"tuple":["HELLO!"]},{"command":"ack","id":"17"},{"command":"emit","anchors":["18"],"tuple":["WORLD!"]},{"command":"ack","id":"18"}]}
	// end
	// true
}

// countdown is a reliable spout that emits 3, 2, 1 and then nothing.
type countdown struct {
	out  *squall.SpoutCollector
	next int
}

func (s *countdown) Open(_ squall.Conf, _ *squall.Context, out *squall.SpoutCollector) error {
	s.out, s.next = out, 3
	return nil
}

func (s *countdown) NextTuple() error {
	if s.next == 0 {
		return nil
	}
	id := fmt.Sprintf("n%d", s.next)
	_, err := s.out.Emit([]any{s.next}, squall.MessageID(id))
	s.next--
	return err
}

func (s *countdown) Ack(id any) error {
	fmt.Println("acked", id)
	return nil
}

func (s *countdown) Fail(id any) error {
	fmt.Println("failed", id)
	return nil
}

// A spout in extension mode: one "next" with 5 credits calls NextTuple until a call emits
// nothing, and the host acks several tuples in one message.
func ExampleRunSpout() {
	host := strings.NewReader(`{"pidDir": "", "conf": {}, "context": {"taskid": 1, "componentid": "countdown"}, "squall": {"version": 1}}
end
{"command": "next", "id": "", "credits": 5}
end
{"command": "acks", "ids": ["n3", "n1"]}
end
{"command": "fail", "id": "n2"}
end
`)
	var out bytes.Buffer
	err := squall.RunSpout(&countdown{},
		squall.WithSerializer("json"), squall.WithInput(host), squall.WithOutput(&out), squall.WithPID(4242))
	fmt.Println(errors.Is(err, squall.ErrHostWentAway))
	fmt.Print(out.String())
	// Output:
	// acked n3
	// acked n1
	// failed n2
	// true
	// {"pid":4242,"squall":{"version":1}}
	// end
	// {"command":"batch","messages":[{"command":"emit","id":"n3","tuple":[3]},{"command":"emit","id":"n2","tuple":[2]},{"command":"emit","id":"n1","tuple":[1]},{"command":"sync"}]}
	// end
}
