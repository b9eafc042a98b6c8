package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/vmihailenco/msgpack/v5"
)

// packAll encodes each value with the msgpack library, as another language's writer would.
func packAll(t *testing.T, values ...any) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := msgpack.NewEncoder(&buf)
	for _, v := range values {
		if err := enc.Encode(v); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

func readAll(t *testing.T, r Reader) []HostMessage {
	t.Helper()
	var msgs []HostMessage
	for {
		var m HostMessage
		err := r.ReadMessage(&m)
		if err == io.EOF {
			return msgs
		}
		if err != nil {
			t.Fatalf("after %d messages: %v", len(msgs), err)
		}
		msgs = append(msgs, m)
	}
}

func newTestReader(t *testing.T, serializer string, r io.Reader) Reader {
	t.Helper()
	reader, err := NewReader(serializer, r)
	if err != nil {
		t.Fatal(err)
	}
	return reader
}

// hostMessages are one of each kind of host message, in both framings.
var hostMessages = []any{
	map[string]any{"id": "-42", "comp": "sentences", "stream": "default", "task": 4, "tuple": []any{"the cow", 7}},
	[]any{2, 3},
	map[string]any{"id": "9", "comp": nil, "stream": "__heartbeat", "task": -1, "tuple": []any{}},
	map[string]any{"command": "tuples", "tuples": []any{
		[]any{"1", "sentences", "default", 4, []any{"a"}},
		[]any{"2", "__system", "__tick", -1, []any{5}},
	}},
	map[string]any{"command": "next", "id": "", "credits": 3},
	map[string]any{"command": "next", "id": ""},
	map[string]any{"command": "fails", "ids": []any{2, "x"}},
}

func wantHostMessages(num func(int) any) []HostMessage {
	return []HostMessage{
		{Kind: KindTuples, Tuples: []Tuple{{ID: "-42", Comp: "sentences", Stream: "default", Task: 4, Values: []any{"the cow", num(7)}}}},
		{Kind: KindTaskIDs, TaskIDs: []int{2, 3}},
		{Kind: KindTuples, Tuples: []Tuple{{ID: "9", Stream: "__heartbeat", Task: -1, Values: []any{}}}},
		{Kind: KindTuples, Command: "tuples", Tuples: []Tuple{
			{ID: "1", Comp: "sentences", Stream: "default", Task: 4, Values: []any{"a"}},
			{ID: "2", Comp: "__system", Stream: "__tick", Task: -1, Values: []any{num(5)}},
		}},
		{Kind: KindCommand, Command: "next", ID: "", Credits: 3},
		{Kind: KindCommand, Command: "next", ID: "", Credits: 1},
		{Kind: KindCommand, Command: "fails", IDs: []any{num(2), "x"}, Credits: 1},
	}
}

func jsonFramed(t *testing.T, values ...any) []byte {
	t.Helper()
	var buf bytes.Buffer
	for _, v := range values {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		buf.Write(b)
		buf.WriteString("\nend\n")
	}
	return buf.Bytes()
}

func TestReadMessageKinds(t *testing.T) {
	inputs := map[string]struct {
		data []byte
		num  func(int) any
	}{
		MsgPack: {packAll(t, hostMessages...), func(n int) any { return int64(n) }},
		JSON:    {jsonFramed(t, hostMessages...), func(n int) any { return json.Number(strconv.Itoa(n)) }},
	}
	for serializer, in := range inputs {
		// Whole input in one read, and one byte per read: framing must not depend on reads.
		for name, r := range map[string]io.Reader{
			"one read":      bytes.NewReader(in.data),
			"byte per read": iotest.OneByteReader(bytes.NewReader(in.data)),
		} {
			t.Run(serializer+"/"+name, func(t *testing.T) {
				got := readAll(t, newTestReader(t, serializer, r))
				want := wantHostMessages(in.num)
				if len(got) != len(want) {
					t.Fatalf("got %d messages, want %d", len(got), len(want))
				}
				for i := range want {
					if !reflect.DeepEqual(normalised(got[i]), normalised(want[i])) {
						t.Errorf("message %d:\n got %#v\nwant %#v", i, got[i], want[i])
					}
				}
			})
		}
	}
}

// normalised makes empty and nil slices compare equal.
func normalised(m HostMessage) HostMessage {
	if len(m.Tuples) == 0 {
		m.Tuples = nil
	}
	return m
}

func TestJSONFraming(t *testing.T) {
	tuple := `{"id": "1", "comp": "c", "stream": "default", "task": 2, "tuple": ["a"]}`
	cases := map[string]string{
		"blank lines between":  "\n\n" + tuple + "\nend\n\n\n" + tuple + "\nend\n",
		"crlf":                 tuple + "\r\nend\r\n" + tuple + "\r\nend\r\n",
		"message on two lines": `{"id": "1", "comp": "c",` + "\n" + `"stream": "default", "task": 2, "tuple": ["a"]}` + "\nend\n" + tuple + "\nend\n",
		"no final newline":     tuple + "\nend\n" + tuple + "\nend",
	}
	for name, input := range cases {
		t.Run(name, func(t *testing.T) {
			got := readAll(t, newTestReader(t, JSON, strings.NewReader(input)))
			if len(got) != 2 || got[1].Tuples[0].ID != "1" || got[1].Tuples[0].Values[0] != "a" {
				t.Fatalf("got %#v", got)
			}
		})
	}
}

func TestJSONLongLine(t *testing.T) {
	long := strings.Repeat("x", 3*BufferSize)
	input := jsonFramed(t, map[string]any{"id": "1", "comp": "c", "stream": "s", "task": 1, "tuple": []any{long}})
	got := readAll(t, newTestReader(t, JSON, bytes.NewReader(input)))
	if len(got) != 1 || got[0].Tuples[0].Values[0] != long {
		t.Fatal("a message longer than the read buffer did not survive")
	}
}

func TestReadErrors(t *testing.T) {
	tuple := map[string]any{"id": "1", "comp": "c", "stream": "s", "task": 1, "tuple": []any{"a"}}
	full := packAll(t, tuple)
	fullJSON := jsonFramed(t, tuple)
	cases := []struct {
		name, serializer string
		input            []byte
		check            func(error) bool
	}{
		{"msgpack cut inside a message", MsgPack, full[:len(full)-2], isUnexpectedEOF},
		{"json cut inside a message", JSON, fullJSON[:len(fullJSON)-5], isUnexpectedEOF},
		{"msgpack never-used code", MsgPack, []byte{0xc1}, IsProtocolError},
		{"msgpack string as a message", MsgPack, packAll(t, "hello"), IsProtocolError},
		{"msgpack tuple id not a string", MsgPack, packAll(t, map[string]any{"id": 1, "comp": "c", "stream": "s", "task": 1, "tuple": []any{}}), IsProtocolError},
		{"msgpack tuples entry of 4 fields", MsgPack, packAll(t, map[string]any{"command": "tuples", "tuples": []any{[]any{"1", "c", "s", 1}}}), IsProtocolError},
		{"json not json", JSON, []byte("{oops\nend\n"), IsProtocolError},
		{"json end without a message", JSON, []byte("end\n"), IsProtocolError},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var m HostMessage
			err := newTestReader(t, c.serializer, bytes.NewReader(c.input)).ReadMessage(&m)
			if !c.check(err) {
				t.Fatalf("got error %v", err)
			}
		})
	}
}

func isUnexpectedEOF(err error) bool { return err == io.ErrUnexpectedEOF }

func TestReadErrorOfTheInputPassesThrough(t *testing.T) {
	broken := errors.New("broken pipe")
	for _, serializer := range []string{MsgPack, JSON} {
		var m HostMessage
		err := newTestReader(t, serializer, iotest.ErrReader(broken)).ReadMessage(&m)
		if err != broken {
			t.Errorf("%s: got %v, want the input's own error", serializer, err)
		}
	}
}

func TestMsgpackValues(t *testing.T) {
	long := strings.Repeat("y", BufferSize+10) // longer than the read buffer
	values := []any{
		"", "é", strings.Repeat("s", 40), strings.Repeat("s", 300), strings.Repeat("s", 70000), long,
		0, 127, 128, 255, 256, 65535, 65536, math.MaxUint32, math.MaxInt64, uint64(math.MaxUint64),
		-1, -32, -33, -128, -129, -32768, -32769, math.MinInt32, int64(math.MinInt64),
		float32(1.5), 2.25, true, false, nil,
		[]byte{0, 1, 2},
		[]any{"nested", []any{1}},
		map[string]any{"k": "v"},
		map[int]any{1: "one"},
	}
	want := []any{
		"", "é", strings.Repeat("s", 40), strings.Repeat("s", 300), strings.Repeat("s", 70000), long,
		int64(0), int64(127), int64(128), int64(255), int64(256), int64(65535), int64(65536), int64(math.MaxUint32), int64(math.MaxInt64), uint64(math.MaxUint64),
		int64(-1), int64(-32), int64(-33), int64(-128), int64(-129), int64(-32768), int64(-32769), int64(math.MinInt32), int64(math.MinInt64),
		1.5, 2.25, true, false, nil,
		[]byte{0, 1, 2},
		[]any{"nested", []any{int64(1)}},
		map[string]any{"k": "v"},
		map[any]any{int64(1): "one"},
	}
	input := packAll(t, map[string]any{"command": "tuples", "tuples": []any{[]any{"1", "c", "s", 1, values}}})
	var m HostMessage
	if err := newTestReader(t, MsgPack, bytes.NewReader(input)).ReadMessage(&m); err != nil {
		t.Fatal(err)
	}
	got := m.Tuples[0].Values
	for i := range want {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Errorf("value %d: got %#v (%T), want %#v (%T)", i, got[i], got[i], want[i], want[i])
		}
	}
}

func TestReadValueHandshake(t *testing.T) {
	handshake := map[string]any{"pidDir": "/tmp/p", "conf": map[string]any{"a": 1}, "context": map[string]any{"task->component": map[string]any{"1": "x"}}}
	for serializer, input := range map[string][]byte{MsgPack: packAll(t, handshake), JSON: jsonFramed(t, handshake)} {
		v, err := newTestReader(t, serializer, bytes.NewReader(input)).ReadValue()
		if err != nil {
			t.Fatalf("%s: %v", serializer, err)
		}
		if v.(map[string]any)["pidDir"] != "/tmp/p" {
			t.Errorf("%s: got %#v", serializer, v)
		}
	}
}

// The TypeScript host writes a "tuples" list with an array32 header whatever its length (it
// fills in the count when the batch closes); every header size must read the same.
func TestMsgpackTuplesWithWideHeaders(t *testing.T) {
	var b bytes.Buffer
	b.Write([]byte{0x82, 0xa7})
	b.WriteString("command")
	b.WriteByte(0xa6)
	b.WriteString("tuples")
	b.WriteByte(0xa6)
	b.WriteString("tuples")
	b.Write([]byte{0xdd, 0, 0, 0, 2}) // array32 of 2
	for _, id := range []string{"7", "8"} {
		b.Write([]byte{0xdc, 0, 5}) // array16 of 5
		b.Write(packAll(t, id, "spout", "default", 1, []any{"x", 42}))
	}
	msgs := readAll(t, newTestReader(t, MsgPack, &b))
	if len(msgs) != 1 || msgs[0].Kind != KindTuples || len(msgs[0].Tuples) != 2 {
		t.Fatalf("got %+v", msgs)
	}
	for i, id := range []string{"7", "8"} {
		tu := msgs[0].Tuples[i]
		if tu.ID != id || tu.Comp != "spout" || tu.Stream != "default" || tu.Task != 1 || len(tu.Values) != 2 || tu.Values[0] != "x" {
			t.Fatalf("tuple %d: %+v", i, tu)
		}
	}
}
