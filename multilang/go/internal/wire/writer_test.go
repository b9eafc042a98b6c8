package wire

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/vmihailenco/msgpack/v5"
)

func newTestWriter(t *testing.T, serializer string, batch bool) (*Writer, *bytes.Buffer) {
	t.Helper()
	var out bytes.Buffer
	w, err := NewWriter(serializer, &out)
	if err != nil {
		t.Fatal(err)
	}
	w.SetBatching(batch)
	return w, &out
}

// decodeOutput decodes what a Writer wrote with the msgpack library or encoding/json.
func decodeOutput(t *testing.T, serializer string, data []byte) []any {
	t.Helper()
	var msgs []any
	if serializer == JSON {
		for _, frame := range strings.SplitAfter(string(data), "\nend\n") {
			if frame == "" {
				continue
			}
			text, ok := strings.CutSuffix(frame, "\nend\n")
			if !ok {
				t.Fatalf("frame %q does not end with an end line", frame)
			}
			var v any
			if err := json.Unmarshal([]byte(text), &v); err != nil {
				t.Fatalf("frame %q: %v", text, err)
			}
			msgs = append(msgs, v)
		}
		return msgs
	}
	dec := msgpack.NewDecoder(bytes.NewReader(data))
	for {
		v, err := dec.DecodeInterfaceLoose()
		if err != nil {
			return msgs
		}
		msgs = append(msgs, v)
	}
}

func TestWriterFlushes(t *testing.T) {
	for _, serializer := range []string{MsgPack, JSON} {
		t.Run(serializer, func(t *testing.T) {
			w, out := newTestWriter(t, serializer, true)
			mustWrite(t, w.Sync())
			if out.Len() != 0 {
				t.Fatal("a batching writer wrote before Flush")
			}
			mustWrite(t, w.Flush())
			if got := decodeOutput(t, serializer, out.Bytes()); len(got) != 1 || got[0].(map[string]any)["command"] != "sync" {
				t.Fatalf("one buffered message must be written bare, got %v", got)
			}
			out.Reset()
			mustWrite(t, w.Flush())
			if out.Len() != 0 {
				t.Fatal("flushing nothing wrote something")
			}
			mustWrite(t, w.Ack("a"))
			mustWrite(t, w.Fail("b"))
			mustWrite(t, w.Flush())
			got := decodeOutput(t, serializer, out.Bytes())
			if len(got) != 1 {
				t.Fatalf("two buffered messages must be written as one batch, got %v", got)
			}
			batch := got[0].(map[string]any)
			if batch["command"] != "batch" || len(batch["messages"].([]any)) != 2 {
				t.Fatalf("got %v", batch)
			}
		})
	}
}

func TestWriterFlushesAtMaxBatchMessages(t *testing.T) {
	w, out := newTestWriter(t, MsgPack, true)
	for range 2*MaxBatchMessages + 500 {
		mustWrite(t, w.Sync())
	}
	if got := decodeOutput(t, MsgPack, out.Bytes()); len(got) != 2 {
		t.Fatalf("got %d batches before Flush, want 2", len(got))
	}
	mustWrite(t, w.Flush())
	got := decodeOutput(t, MsgPack, out.Bytes())
	sizes := make([]int, len(got))
	for i, b := range got {
		sizes[i] = len(b.(map[string]any)["messages"].([]any))
	}
	if !reflect.DeepEqual(sizes, []int{MaxBatchMessages, MaxBatchMessages, 500}) {
		t.Fatalf("batch sizes %v", sizes)
	}
}

func TestWriterWithoutBatchingWritesEachMessage(t *testing.T) {
	for _, serializer := range []string{MsgPack, JSON} {
		w, out := newTestWriter(t, serializer, false)
		mustWrite(t, w.Handshake(4242, false))
		mustWrite(t, w.Log(3, "careful"))
		got := decodeOutput(t, serializer, out.Bytes())
		want := []any{
			map[string]any{"pid": 4242},
			map[string]any{"command": "log", "msg": "careful", "level": 3},
		}
		if !equalJSON(got, want) {
			t.Errorf("%s: got %v, want %v", serializer, got, want)
		}
	}
}

func TestWriterCanonicalForms(t *testing.T) {
	for _, serializer := range []string{MsgPack, JSON} {
		w, out := newTestWriter(t, serializer, false)
		mustWrite(t, w.Handshake(7, true))
		mustWrite(t, w.Emit(&Emit{Bolt: true, Stream: "default", Values: []any{"a", 1}}))
		mustWrite(t, w.Emit(&Emit{Bolt: true, Anchors: []string{"x", "y"}, Stream: "audit", Task: 5, Values: []any{}}))
		mustWrite(t, w.Emit(&Emit{ID: "s-1", Values: []any{"b"}, NeedTaskIDs: true}))
		mustWrite(t, w.Emit(&Emit{Values: []any{map[string]any{"k": []any{1.5, nil, true}}}}))
		mustWrite(t, w.Error("boom"))
		mustWrite(t, w.Metrics("latency", map[string]any{"p99": 12}))
		want := []any{
			map[string]any{"pid": 7, "squall": map[string]any{"version": 1}},
			map[string]any{"command": "emit", "anchors": []any{}, "tuple": []any{"a", 1}},
			map[string]any{"command": "emit", "anchors": []any{"x", "y"}, "stream": "audit", "task": 5, "tuple": []any{}},
			map[string]any{"command": "emit", "id": "s-1", "tuple": []any{"b"}, "need_task_ids": true},
			map[string]any{"command": "emit", "tuple": []any{map[string]any{"k": []any{1.5, nil, true}}}},
			map[string]any{"command": "error", "msg": "boom"},
			map[string]any{"command": "metrics", "name": "latency", "params": map[string]any{"p99": 12}},
		}
		if got := decodeOutput(t, serializer, out.Bytes()); !equalJSON(got, want) {
			t.Errorf("%s:\n got %v\nwant %v", serializer, got, want)
		}
	}
}

// TestMsgpackTypes checks the msgpack types other languages rely on: str for strings (never bin),
// bin for []byte, and the smallest integer encodings.
func TestMsgpackTypes(t *testing.T) {
	w, out := newTestWriter(t, MsgPack, false)
	mustWrite(t, w.Emit(&Emit{Values: []any{"hi", []byte{1}, 5, -1, 300, strings.Repeat("z", 40)}}))
	b := out.Bytes()
	tuple := b[bytes.Index(b, []byte("tuple"))+5:]
	want := []byte{0x96, 0xa2, 'h', 'i', 0xc4, 1, 1, 0x05, 0xff, 0xcd, 0x01, 0x2c, 0xd9, 40}
	if !bytes.HasPrefix(tuple, want) {
		t.Fatalf("tuple encoded as % x, want prefix % x", tuple, want)
	}
}

func TestWriterDropsMessageItCannotEncode(t *testing.T) {
	for _, serializer := range []string{MsgPack, JSON} {
		w, out := newTestWriter(t, serializer, true)
		mustWrite(t, w.Sync())
		err := w.Emit(&Emit{Values: []any{"ok", make(chan int)}})
		if !IsValueError(err) {
			t.Fatalf("%s: got %v, want a ValueError", serializer, err)
		}
		mustWrite(t, w.Sync())
		mustWrite(t, w.Flush())
		got := decodeOutput(t, serializer, out.Bytes())
		want := []any{map[string]any{"command": "batch", "messages": []any{
			map[string]any{"command": "sync"}, map[string]any{"command": "sync"},
		}}}
		if !equalJSON(got, want) {
			t.Errorf("%s: got %v", serializer, got)
		}
	}
}

func mustWrite(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// equalJSON compares values through their JSON texts, so that numbers of any Go type compare
// by value.
func equalJSON(a, b any) bool {
	ja, errA := json.Marshal(a)
	jb, errB := json.Marshal(b)
	if errA != nil || errB != nil {
		return false
	}
	var va, vb any
	_ = json.Unmarshal(ja, &va)
	_ = json.Unmarshal(jb, &vb)
	return reflect.DeepEqual(va, vb)
}
