package squall_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/vmihailenco/msgpack/v5"

	squall "github.com/squall-stream/squall/multilang/go"
)

// handshake returns a host handshake that offers the extension when ext is true.
func handshake(ext bool) map[string]any {
	h := map[string]any{
		"pidDir": "",
		"conf":   map[string]any{"topology.name": "test"},
		"context": map[string]any{
			"taskid": 3, "componentid": "bolt",
			"task->component": map[string]any{"1": "spout", "2": "sink", "3": "bolt"},
		},
	}
	if ext {
		h["squall"] = map[string]any{"version": 1}
	}
	return h
}

// hostInput frames messages the way a host writes them.
func hostInput(t *testing.T, serializer string, msgs ...any) *bytes.Reader {
	t.Helper()
	var buf bytes.Buffer
	for _, m := range msgs {
		if serializer == "json" {
			b, err := json.Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			buf.Write(b)
			buf.WriteString("\nend\n")
		} else if err := msgpack.NewEncoder(&buf).Encode(m); err != nil {
			t.Fatal(err)
		}
	}
	return bytes.NewReader(buf.Bytes())
}

func tuple(id string, values ...any) map[string]any {
	return map[string]any{"id": id, "comp": "spout", "stream": "default", "task": 1, "tuple": values}
}

func tuples(ts ...map[string]any) map[string]any {
	entries := make([]any, len(ts))
	for i, t := range ts {
		entries[i] = []any{t["id"], t["comp"], t["stream"], t["task"], t["tuple"]}
	}
	return map[string]any{"command": "tuples", "tuples": entries}
}

func batch(msgs ...any) map[string]any {
	return map[string]any{"command": "batch", "messages": msgs}
}

func emit(anchor string, values ...any) map[string]any {
	return map[string]any{"command": "emit", "anchors": []any{anchor}, "tuple": values}
}

func command(name string, fields ...any) map[string]any {
	m := map[string]any{"command": name}
	for i := 0; i < len(fields); i += 2 {
		m[fields[i].(string)] = fields[i+1]
	}
	return m
}

var extReply = map[string]any{"pid": 4242, "squall": map[string]any{"version": 1}}
var legacyReply = map[string]any{"pid": 4242}

// runBolt runs b over the host messages and returns what RunBolt returned and the messages b
// wrote, decoded.
func runBolt(t *testing.T, serializer string, b squall.Bolt, input ...any) ([]any, error) {
	t.Helper()
	var out bytes.Buffer
	err := squall.RunBolt(b,
		squall.WithSerializer(serializer),
		squall.WithInput(hostInput(t, serializer, input...)),
		squall.WithOutput(&out),
		squall.WithPID(4242))
	return decodeMessages(t, serializer, out.Bytes()), err
}

// words is a basic bolt that emits each word of its input, fails an input "fail", and stops
// with an error on an input "boom" and with a panic on "panic".
type words struct{}

func (words) Process(t *squall.Tuple, out *squall.BasicCollector) error {
	s := t.Values[0].(string)
	switch s {
	case "fail":
		return fmt.Errorf("%w: asked to", squall.ErrFailTuple)
	case "boom":
		return errors.New("boom")
	case "panic":
		panic("kaboom")
	}
	for _, w := range strings.Fields(s) {
		if _, err := out.Emit([]any{w}); err != nil {
			return err
		}
	}
	return nil
}

func TestBasicBoltAnchorsAcksAndFails(t *testing.T) {
	for _, serializer := range serializers {
		t.Run(serializer, func(t *testing.T) {
			got, err := runBolt(t, serializer, squall.Basic(words{}),
				handshake(true),
				tuples(tuple("t1", "a b"), tuple("t2", "fail"), tuple("t3", "c")),
				tuple("t4", ""),
			)
			if !errors.Is(err, squall.ErrHostWentAway) {
				t.Fatalf("RunBolt returned %v", err)
			}
			compareMessages(t, got, []any{
				extReply,
				batch(emit("t1", "a"), emit("t1", "b"), command("ack", "id", "t1"),
					command("fail", "id", "t2"),
					emit("t3", "c"), command("ack", "id", "t3")),
				command("ack", "id", "t4"), // one message: written bare
			})
		})
	}
}

func TestBoltErrorIsReportedAndEndsTheRun(t *testing.T) {
	got, err := runBolt(t, "msgpack", squall.Basic(words{}),
		handshake(true),
		tuples(tuple("t1", "a"), tuple("t2", "boom"), tuple("t3", "never")),
	)
	if err == nil || err.Error() != "boom" {
		t.Fatalf("RunBolt returned %v, want the bolt's error", err)
	}
	// What the bolt wrote before failing still reaches the host, followed by the error.
	compareMessages(t, got, []any{
		extReply,
		batch(emit("t1", "a"), command("ack", "id", "t1"), command("error", "msg", "boom")),
	})
}

func TestBoltPanicIsReported(t *testing.T) {
	got, err := runBolt(t, "json", squall.Basic(words{}), handshake(false), tuple("t1", "panic"))
	if err == nil || !strings.Contains(err.Error(), "panic: kaboom") {
		t.Fatalf("RunBolt returned %v", err)
	}
	if len(got) != 2 {
		t.Fatalf("got %v", got)
	}
	report := got[1].(map[string]any)
	msg, _ := report["msg"].(string)
	if report["command"] != "error" || !strings.Contains(msg, "kaboom") || !strings.Contains(msg, "bolt_test.go") {
		t.Fatalf("the error message should carry the panic and its stack, got %v", report)
	}
}

// optionsBolt emits with the options each test gives it and records what Emit returned.
type optionsBolt struct {
	out   *squall.BoltCollector
	opts  func(t *squall.Tuple) []squall.EmitOption
	tasks [][]int
	errs  []error
}

func (b *optionsBolt) Prepare(_ squall.Conf, _ *squall.Context, out *squall.BoltCollector) error {
	b.out = out
	return nil
}

func (b *optionsBolt) Process(t *squall.Tuple) error {
	tasks, err := b.out.Emit(t.Values, b.opts(t)...)
	b.tasks = append(b.tasks, tasks)
	b.errs = append(b.errs, err)
	return b.out.Ack(t)
}

func TestEmitOptions(t *testing.T) {
	other := &squall.Tuple{ID: "other"}
	b := &optionsBolt{opts: func(t *squall.Tuple) []squall.EmitOption {
		switch t.ID {
		case "asks", "asks-late":
			return []squall.EmitOption{squall.Anchors(t, other), squall.Stream("s"), squall.NeedTaskIDs()}
		case "direct":
			return []squall.EmitOption{squall.Direct(7), squall.NeedTaskIDs()}
		case "bad-direct":
			return []squall.EmitOption{squall.Direct(0)}
		case "message-id":
			return []squall.EmitOption{squall.MessageID(1)}
		}
		return nil
	}}
	got, err := runBolt(t, "msgpack", b, handshake(true),
		tuples(tuple("plain", 1)),
		[]any{5, 6}, // arrives before the emit that asks for it: kept until then
		tuple("asks", 2),
		tuple("asks-late", 3),
		[]any{8}, // arrives after: the emit must be flushed first, or the host cannot answer
		tuple("direct", 4), tuple("bad-direct", 5), tuple("message-id", 6))
	if !errors.Is(err, squall.ErrHostWentAway) {
		t.Fatalf("RunBolt returned %v", err)
	}
	if want := [][]int{nil, {5, 6}, {8}, nil, nil, nil}; !reflect.DeepEqual(b.tasks, want) {
		t.Errorf("task ids %v, want %v", b.tasks, want)
	}
	for i, wantInvalid := range []bool{false, false, false, false, true, true} {
		if errors.Is(b.errs[i], squall.ErrInvalidEmit) != wantInvalid {
			t.Errorf("emit %d returned %v", i, b.errs[i])
		}
	}
	asking := func(id string, v int) map[string]any {
		return command("emit", "anchors", []any{id, "other"}, "stream", "s", "tuple", []any{v}, "need_task_ids", true)
	}
	compareMessages(t, got, []any{
		extReply,
		batch(command("emit", "anchors", []any{}, "tuple", []any{1}), command("ack", "id", "plain")),
		batch(asking("asks", 2), command("ack", "id", "asks")),
		asking("asks-late", 3),
		command("ack", "id", "asks-late"),
		// A direct emit never gets task ids, so it does not ask for them.
		batch(command("emit", "anchors", []any{}, "task", 7, "tuple", []any{4}), command("ack", "id", "direct")),
		command("ack", "id", "bad-direct"),
		command("ack", "id", "message-id"),
	})
}

func TestWithoutExtensionActsAsLegacy(t *testing.T) {
	b := &optionsBolt{opts: func(*squall.Tuple) []squall.EmitOption { return nil }}
	var out bytes.Buffer
	err := squall.RunBolt(b,
		squall.WithSerializer("json"),
		squall.WithInput(hostInput(t, "json", handshake(true), tuple("t1", "x"), []any{9})),
		squall.WithOutput(&out),
		squall.WithPID(4242),
		squall.WithoutExtension())
	if !errors.Is(err, squall.ErrHostWentAway) {
		t.Fatalf("RunBolt returned %v", err)
	}
	// Legacy: no squall in the reply, no batches, and every emit gets task ids.
	compareMessages(t, decodeMessages(t, "json", out.Bytes()), []any{
		legacyReply,
		command("emit", "anchors", []any{}, "tuple", []any{"x"}),
		command("ack", "id", "t1"),
	})
	if !reflect.DeepEqual(b.tasks, [][]int{{9}}) {
		t.Errorf("task ids %v", b.tasks)
	}
}

// contextBolt records what Prepare was given.
type contextBolt struct {
	conf squall.Conf
	ctx  *squall.Context
}

func (b *contextBolt) Prepare(conf squall.Conf, ctx *squall.Context, _ *squall.BoltCollector) error {
	b.conf, b.ctx = conf, ctx
	return nil
}

func (b *contextBolt) Process(*squall.Tuple) error { return nil }

func TestPrepareGetsConfAndContext(t *testing.T) {
	for _, serializer := range serializers {
		b := &contextBolt{}
		var out bytes.Buffer
		frames := hostFrames(t, "bolt-ext-split", serializer, t.TempDir())
		err := squall.RunBolt(b, squall.WithSerializer(serializer), squall.WithInput(bytes.NewReader(frames[0])),
			squall.WithOutput(&out), squall.WithPID(4242))
		if !errors.Is(err, squall.ErrHostWentAway) {
			t.Fatalf("%s: RunBolt returned %v", serializer, err)
		}
		want := &squall.Context{
			TaskID:          6,
			ComponentID:     "split",
			TaskToComponent: map[int]string{1: "__acker", 2: "count", 3: "count", 4: "sentences", 5: "split", 6: "split"},
			Streams:         []string{"default"},
			StreamToOutputFields: map[string][]string{
				"default": {"word"},
			},
			SourceToStreamToFields: map[string]map[string][]string{
				"sentences": {"default": {"sentence"}},
			},
			StreamToTargetToGrouping: map[string]map[string]squall.Grouping{
				"default": {"count": {Type: "FIELDS", Fields: []string{"word"}}},
			},
			SourceToStreamToGrouping: map[string]map[string]squall.Grouping{
				"sentences": {"default": {Type: "SHUFFLE"}},
			},
			PIDDir: b.ctx.PIDDir,
		}
		if !reflect.DeepEqual(b.ctx, want) {
			t.Errorf("%s: context\n got %+v\nwant %+v", serializer, b.ctx, want)
		}
		if b.conf["topology.name"] != "word-count" || fmt.Sprint(b.conf["topology.workers"]) != "1" {
			t.Errorf("%s: conf %v", serializer, b.conf)
		}
	}
}

func TestSerializerFromEnvironment(t *testing.T) {
	t.Setenv(squall.SerializerEnv, "json")
	var out bytes.Buffer
	err := squall.RunBolt(squall.Basic(words{}), squall.WithInput(hostInput(t, "json", handshake(false))),
		squall.WithOutput(&out), squall.WithPID(4242))
	if !errors.Is(err, squall.ErrHostWentAway) || out.String() != "{\"pid\":4242}\nend\n" {
		t.Fatalf("RunBolt returned %v and wrote %q", err, out.String())
	}

	t.Setenv(squall.SerializerEnv, "xml")
	err = squall.RunBolt(squall.Basic(words{}), squall.WithInput(strings.NewReader("")))
	if !errors.Is(err, squall.ErrUnknownSerializer) {
		t.Fatalf("got %v, want ErrUnknownSerializer", err)
	}
	// An option wins over the environment.
	err = squall.RunBolt(squall.Basic(words{}), squall.WithSerializer("msgpack"), squall.WithInput(strings.NewReader("")))
	if !errors.Is(err, squall.ErrHostWentAway) {
		t.Fatalf("got %v, want ErrHostWentAway", err)
	}
}

func TestProtocolErrorsAreReported(t *testing.T) {
	cases := map[string]struct {
		run   func(opts ...squall.Option) error
		input []any
	}{
		"bolt gets a spout command": {
			func(opts ...squall.Option) error { return squall.RunBolt(squall.Basic(words{}), opts...) },
			[]any{handshake(false), command("next", "id", "")},
		},
		"spout gets a tuple": {
			func(opts ...squall.Option) error { return squall.RunSpout(newEventSpout(), opts...) },
			[]any{handshake(false), tuple("t1", "x")},
		},
		"handshake of the wrong shape": {
			func(opts ...squall.Option) error { return squall.RunBolt(squall.Basic(words{}), opts...) },
			[]any{map[string]any{"pidDir": "", "conf": map[string]any{}, "context": map[string]any{"taskid": "three"}}},
		},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			var out bytes.Buffer
			err := c.run(squall.WithInput(hostInput(t, "msgpack", c.input...)), squall.WithOutput(&out),
				squall.WithSerializer("msgpack"))
			if !errors.Is(err, squall.ErrProtocol) {
				t.Fatalf("got %v, want ErrProtocol", err)
			}
			got := decodeMessages(t, "msgpack", out.Bytes())
			last, _ := got[len(got)-1].(map[string]any)
			if last["command"] != "error" || last["msg"] != err.Error() {
				t.Fatalf("the error was not reported: %v", got)
			}
		})
	}
}

// The unknown command is logged, and in legacy mode still answered so the host does not hang.
func TestUnknownSpoutCommand(t *testing.T) {
	var out bytes.Buffer
	err := squall.RunSpout(newEventSpout(), squall.WithSerializer("msgpack"), squall.WithOutput(&out),
		squall.WithInput(hostInput(t, "msgpack", handshake(false), command("rewind", "id", ""))))
	if !errors.Is(err, squall.ErrHostWentAway) {
		t.Fatalf("RunSpout returned %v", err)
	}
	got := decodeMessages(t, "msgpack", out.Bytes())
	compareMessages(t, got[1:], []any{
		command("log", "msg", "squall: ignoring unknown spout command rewind", "level", 3),
		command("sync"),
	})
}

func TestSpoutRejectsAnchors(t *testing.T) {
	s := &emitOnce{opts: []squall.EmitOption{squall.Anchors(&squall.Tuple{ID: "x"})}}
	err := squall.RunSpout(s, squall.WithSerializer("msgpack"), squall.WithOutput(&bytes.Buffer{}),
		squall.WithInput(hostInput(t, "msgpack", handshake(true), command("next", "id", "", "credits", 1))))
	if !errors.Is(err, squall.ErrInvalidEmit) {
		t.Fatalf("RunSpout returned %v, want the spout's ErrInvalidEmit", err)
	}
}

// emitOnce is a spout whose NextTuple emits once with opts and returns Emit's error.
type emitOnce struct {
	out  *squall.SpoutCollector
	opts []squall.EmitOption
}

func (s *emitOnce) Open(_ squall.Conf, _ *squall.Context, out *squall.SpoutCollector) error {
	s.out = out
	return nil
}

func (s *emitOnce) NextTuple() error {
	_, err := s.out.Emit([]any{"x"}, s.opts...)
	return err
}

func (s *emitOnce) Ack(any) error  { return nil }
func (s *emitOnce) Fail(any) error { return nil }

func TestUnsupportedValueIsNotSent(t *testing.T) {
	var emitErr error
	b := squall.BasicBoltFunc(func(t *squall.Tuple, out *squall.BasicCollector) error {
		_, emitErr = out.Emit([]any{"fine", make(chan int)})
		return nil
	})
	for _, serializer := range serializers {
		got, err := runBolt(t, serializer, squall.Basic(b), handshake(true), tuple("t1", "x"))
		if !errors.Is(err, squall.ErrHostWentAway) {
			t.Fatalf("%s: RunBolt returned %v", serializer, err)
		}
		if !errors.Is(emitErr, squall.ErrUnsupportedValue) {
			t.Errorf("%s: Emit returned %v, want ErrUnsupportedValue", serializer, emitErr)
		}
		compareMessages(t, got, []any{extReply, command("ack", "id", "t1")})
	}
}
