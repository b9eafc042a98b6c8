package squall_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/vmihailenco/msgpack/v5"

	squall "github.com/squall-stream/squall/multilang/go"
)

// The golden transcripts of the protocol, shared with the TypeScript host and the Python library.
const transcriptsDir = "../spec/transcripts"

var serializers = []string{"msgpack", "json"}

// transcriptPID is the pid every transcript's child reports.
const transcriptPID = 4242

// TestTranscripts feeds each transcript's host.bin to the component its scenario.md describes
// and compares what the component writes with the child's messages in conversation.json.
func TestTranscripts(t *testing.T) {
	components := map[string]func(opts ...squall.Option) error{
		"bolt-legacy-split": func(opts ...squall.Option) error {
			return squall.RunBolt(squall.Basic(&splitter{}), opts...)
		},
		"bolt-ext-split": func(opts ...squall.Option) error {
			return squall.RunBolt(squall.Basic(&splitter{}), opts...)
		},
		"bolt-legacy-log-error-metrics": func(opts ...squall.Option) error {
			return squall.RunBolt(&inspector{}, opts...)
		},
		"spout-legacy": func(opts ...squall.Option) error {
			return squall.RunSpout(&sentenceSpout{}, opts...)
		},
		"spout-ext-credits": func(opts ...squall.Option) error {
			return squall.RunSpout(newEventSpout(), opts...)
		},
	}
	names := transcriptNames(t)
	for _, name := range names {
		if components[name] == nil {
			t.Errorf("transcript %s has no component in this test", name)
		}
	}
	for _, name := range names {
		for _, serializer := range serializers {
			t.Run(name+"/"+serializer, func(t *testing.T) {
				pidDir := t.TempDir()
				frames := hostFrames(t, name, serializer, pidDir)
				var out bytes.Buffer
				err := components[name](
					squall.WithSerializer(serializer),
					squall.WithInput(bytes.NewReader(bytes.Join(frames, nil))),
					squall.WithOutput(&out),
					squall.WithPID(transcriptPID),
				)
				if !errors.Is(err, squall.ErrHostWentAway) {
					t.Fatalf("run ended with %v, want ErrHostWentAway at the end of the input", err)
				}
				compareMessages(t, decodeMessages(t, serializer, out.Bytes()), childMessages(t, name))
				if _, err := os.Stat(filepath.Join(pidDir, fmt.Sprint(transcriptPID))); err != nil {
					t.Errorf("pid file: %v", err)
				}
			})
		}
	}
}

// --- the components of the scenarios ---

// splitter is the component of bolt-legacy-split and bolt-ext-split (like examples/splitsentence).
type splitter struct{ sentences, words int }

func (s *splitter) Process(t *squall.Tuple, out *squall.BasicCollector) error {
	if t.IsTick() {
		return out.Log(squall.LogInfo, fmt.Sprintf("split %d sentences into %d words so far", s.sentences, s.words))
	}
	words := strings.Fields(t.Values[0].(string))
	if len(words) == 0 {
		return fmt.Errorf("%w: empty sentence", squall.ErrFailTuple)
	}
	for _, w := range words {
		if _, err := out.Emit([]any{w}); err != nil {
			return err
		}
	}
	s.sentences++
	s.words += len(words)
	return nil
}

// inspector is the component of bolt-legacy-log-error-metrics: a bolt that acks by itself.
type inspector struct{ out *squall.BoltCollector }

var vocabulary = map[string]bool{"hello": true, "world": true, "the": true, "cow": true, "jumped": true, "over": true, "moon": true}

func (b *inspector) Prepare(_ squall.Conf, _ *squall.Context, out *squall.BoltCollector) error {
	b.out = out
	return nil
}

func (b *inspector) Process(t *squall.Tuple) error {
	var errs []error
	check := func(err error) { errs = append(errs, err) }
	sentence := t.Values[0].(string)
	words := strings.Fields(sentence)
	check(b.out.Log(squall.LogTrace, fmt.Sprintf("tuple %s from %s:%s", t.ID, t.Component, t.Stream)))
	check(b.out.Log(squall.LogDebug, fmt.Sprintf("%d words", len(words))))
	check(b.out.Log(squall.LogInfo, fmt.Sprintf("inspecting '%s'", sentence)))
	var unknown []string
	for _, w := range words {
		if !vocabulary[w] {
			unknown = append(unknown, w)
			check(b.out.Log(squall.LogWarn, fmt.Sprintf("unknown word '%s'", w)))
		}
	}
	if len(unknown) > 0 {
		check(b.out.Log(squall.LogError, fmt.Sprintf("%d unknown word(s) in tuple %s", len(unknown), t.ID)))
	}
	check(b.out.Metric("unknown-words", len(unknown)))
	for _, w := range unknown {
		check(b.out.ReportError(fmt.Errorf("unknown word '%s' in sentence '%s'", w, sentence)))
	}
	for _, w := range unknown {
		tasks, err := b.out.Emit([]any{fmt.Sprintf("unknown word '%s'", w)}, squall.Anchors(t), squall.Stream("audit"))
		check(err)
		if !reflect.DeepEqual(tasks, []int{2}) {
			check(fmt.Errorf("audit emit went to tasks %v, want [2]", tasks))
		}
	}
	for i, w := range words {
		tasks, err := b.out.Emit([]any{w, len(w)}, squall.Anchors(t), squall.Direct(5+(i+1)%3))
		check(err)
		if tasks != nil {
			check(fmt.Errorf("direct emit returned task ids %v", tasks))
		}
	}
	check(b.out.Ack(t))
	return errors.Join(errs...)
}

// sentenceSpout is the component of spout-legacy (like examples/sentencespout).
type sentenceSpout struct {
	out     *squall.SpoutCollector
	next    int
	replays []int
}

var sentences = []string{"the cow jumped over the moon", "an apple a day keeps the doctor away"}

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
		i, s.replays = s.replays[0], s.replays[1:]
	default:
		return nil
	}
	tasks, err := s.out.Emit([]any{sentences[i]}, squall.MessageID(fmt.Sprintf("sentence-%d", i)))
	if err == nil && len(tasks) != 1 {
		err = fmt.Errorf("emit went to tasks %v, want one task", tasks)
	}
	return err
}

func (s *sentenceSpout) Ack(any) error { return nil }

func (s *sentenceSpout) Fail(id any) error {
	var i int
	if _, err := fmt.Sscanf(id.(string), "sentence-%d", &i); err != nil {
		return err
	}
	s.replays = append(s.replays, i)
	return s.out.Log(squall.LogWarn, fmt.Sprintf("%s failed, replaying", id))
}

// eventSpout is the component of spout-ext-credits: integer ids, one unreliable event, and
// failed events replayed before new ones.
type eventSpout struct {
	out      *squall.SpoutCollector
	queue    []event
	replays  []event
	inFlight map[string]event // by fmt.Sprint(id): ids come back as int64 or json.Number
}

type event struct {
	values []any
	id     any // nil: unreliable
}

func newEventSpout() *eventSpout {
	return &eventSpout{
		queue: []event{
			{[]any{"alice", "/home"}, 1},
			{[]any{"bob", "/cart"}, 2},
			{[]any{"alice", "/cart"}, 3},
			{[]any{"carol", "/home"}, 4},
			{[]any{"bob", "/checkout"}, nil},
		},
		inFlight: map[string]event{},
	}
}

func (s *eventSpout) Open(_ squall.Conf, _ *squall.Context, out *squall.SpoutCollector) error {
	s.out = out
	return nil
}

func (s *eventSpout) NextTuple() error {
	var e event
	switch {
	case len(s.replays) > 0:
		e, s.replays = s.replays[0], s.replays[1:]
	case len(s.queue) > 0:
		e, s.queue = s.queue[0], s.queue[1:]
	default:
		return nil
	}
	if e.id == nil {
		_, err := s.out.Emit(e.values)
		return err
	}
	s.inFlight[fmt.Sprint(e.id)] = e
	_, err := s.out.Emit(e.values, squall.MessageID(e.id))
	return err
}

func (s *eventSpout) Ack(id any) error {
	delete(s.inFlight, fmt.Sprint(id))
	return nil
}

func (s *eventSpout) Fail(id any) error {
	e, ok := s.inFlight[fmt.Sprint(id)]
	if !ok {
		return fmt.Errorf("fail of unknown id %v", id)
	}
	delete(s.inFlight, fmt.Sprint(id))
	s.replays = append(s.replays, e)
	return s.out.Log(squall.LogWarn, fmt.Sprintf("event %v failed, replaying", id))
}

// --- reading transcripts ---

func transcriptNames(t *testing.T) []string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(transcriptsDir, "*", "conversation.json"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no conversation.json under %s (%v)", transcriptsDir, err)
	}
	names := make([]string, len(paths))
	for i, p := range paths {
		names[i] = filepath.Base(filepath.Dir(p))
	}
	return names
}

type conversationEntry struct {
	From string `json:"from"`
	Msg  any    `json:"msg"`
}

func conversation(t *testing.T, name string) []conversationEntry {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(transcriptsDir, name, "conversation.json"))
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var entries []conversationEntry
	if err := dec.Decode(&entries); err != nil {
		t.Fatalf("%s/conversation.json: %v", name, err)
	}
	return entries
}

func childMessages(t *testing.T, name string) []any {
	var msgs []any
	for _, e := range conversation(t, name) {
		if e.From == "child" {
			msgs = append(msgs, e.Msg)
		}
	}
	return msgs
}

// hostFrames returns the framed host messages of host.bin, one per message, with pidDir in the
// handshake replaced so that the test creates its pid file in a directory of its own.
func hostFrames(t *testing.T, name, serializer, pidDir string) [][]byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(transcriptsDir, name, serializer, "host.bin"))
	if err != nil {
		t.Fatal(err)
	}
	frames := splitFrames(t, serializer, data)
	var handshake map[string]any
	switch serializer {
	case "msgpack":
		if err := msgpack.Unmarshal(frames[0], &handshake); err != nil {
			t.Fatal(err)
		}
		handshake["pidDir"] = pidDir
		frames[0], err = msgpack.Marshal(handshake)
	case "json":
		dec := json.NewDecoder(bytes.NewReader(frames[0]))
		dec.UseNumber()
		if err := dec.Decode(&handshake); err != nil {
			t.Fatal(err)
		}
		handshake["pidDir"] = pidDir
		frames[0], err = json.Marshal(handshake)
		frames[0] = append(frames[0], "\nend\n"...)
	}
	if err != nil {
		t.Fatal(err)
	}
	return frames
}

// splitFrames cuts a stream of framed messages into one slice per message.
func splitFrames(t *testing.T, serializer string, data []byte) [][]byte {
	t.Helper()
	var frames [][]byte
	if serializer == "json" {
		for len(data) > 0 {
			i := bytes.Index(data, []byte("\nend\n"))
			if i < 0 {
				t.Fatalf("json stream ends without an end line: %q", data)
			}
			frames, data = append(frames, data[:i+5]), data[i+5:]
		}
		return frames
	}
	r := bytes.NewReader(data)
	dec := msgpack.NewDecoder(r) // a *bytes.Reader is read without read-ahead
	for r.Len() > 0 {
		start := len(data) - r.Len()
		if err := dec.Skip(); err != nil {
			t.Fatalf("msgpack stream: %v", err)
		}
		frames = append(frames, data[start:len(data)-r.Len()])
	}
	return frames
}

// decodeMessages decodes a child's output with the msgpack library itself and encoding/json,
// independently of the package's own reader.
func decodeMessages(t *testing.T, serializer string, data []byte) []any {
	t.Helper()
	var msgs []any
	for _, frame := range splitFrames(t, serializer, data) {
		var v any
		var err error
		if serializer == "json" {
			dec := json.NewDecoder(bytes.NewReader(frame))
			dec.UseNumber()
			err = dec.Decode(&v)
		} else {
			v, err = msgpack.NewDecoder(bytes.NewReader(frame)).DecodeInterface()
		}
		if err != nil {
			t.Fatalf("decoding %q: %v", frame, err)
		}
		msgs = append(msgs, v)
	}
	return msgs
}

// --- comparing messages ---

// number is the canonical form of any decoded number, so that 5, int8(5), uint64(5),
// json.Number("5") and 5.0 compare equal.
type number string

func canonical(v any) any {
	r := new(big.Rat)
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = canonical(e)
		}
		return m
	case []any:
		a := make([]any, len(x))
		for i, e := range x {
			a[i] = canonical(e)
		}
		return a
	case json.Number:
		if _, ok := r.SetString(string(x)); !ok {
			panic("bad json number " + x)
		}
	case float32:
		r.SetFloat64(float64(x))
	case float64:
		r.SetFloat64(x)
	case uint8, uint16, uint32, uint64, uint:
		r.SetUint64(reflect.ValueOf(x).Uint())
	case int8, int16, int32, int64, int:
		r.SetInt64(reflect.ValueOf(x).Int())
	default:
		return v
	}
	return number(r.RatString())
}

// compareMessages compares decoded messages after normalising the handshake reply's pid.
func compareMessages(t *testing.T, got, want []any) {
	t.Helper()
	if len(got) > 0 {
		if reply, ok := got[0].(map[string]any); ok && reply["pid"] != nil {
			reply["pid"] = transcriptPID
		}
	}
	for i := 0; i < max(len(got), len(want)); i++ {
		switch {
		case i >= len(got):
			t.Errorf("message %d: missing, want %s", i, show(want[i]))
		case i >= len(want):
			t.Errorf("message %d: unexpected %s", i, show(got[i]))
		case !reflect.DeepEqual(canonical(got[i]), canonical(want[i])):
			t.Errorf("message %d:\n got %s\nwant %s", i, show(got[i]), show(want[i]))
		}
	}
}

func show(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%#v", v)
	}
	return string(b)
}
