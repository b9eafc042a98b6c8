package wire

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
)

// Flush thresholds of a batching Writer: DECISIONS.md asks for a flush at about 1000 messages;
// the byte bound keeps large tuples from piling up in memory.
const (
	MaxBatchMessages = 1000
	maxBatchBytes    = 1 << 20
)

// encoder writes the parts of messages into a buffer. The msgpack and json encoders differ only
// here; Writer composes messages from these parts once for both.
type encoder interface {
	object(fields int) // starts a map that will have this many key/value pairs
	end()              // ends the innermost map
	key(k string)
	str(s string)
	int(n int)
	strs(ss []string)
	value(v any) error
	values(vs []any) error

	between()           // goes between two messages of a batch
	terminator() []byte // goes after a message sent on its own
	batchHead(n int) []byte
	batchTail() []byte
}

// Writer encodes the child's messages and sends them to the host.
//
// Without batching (legacy mode) every message is sent as soon as it is written. With batching
// (extension mode) messages wait in a buffer until Flush, which sends one message bare and two
// or more as one "batch" message; the buffer also flushes itself at MaxBatchMessages.
type Writer struct {
	out   *bufio.Writer
	buf   bytes.Buffer // encoded messages not yet sent
	enc   encoder
	n     int // messages in buf
	batch bool
}

// NewWriter returns a Writer for the named serializer, not batching.
func NewWriter(serializer string, w io.Writer) (*Writer, error) {
	wr := &Writer{out: bufio.NewWriterSize(w, BufferSize)}
	switch serializer {
	case MsgPack:
		wr.enc = newMsgpackEncoder(&wr.buf)
	case JSON:
		wr.enc = newJSONEncoder(&wr.buf)
	default:
		return nil, fmt.Errorf("%w %q", ErrUnknownSerializer, serializer)
	}
	return wr, nil
}

// SetBatching switches batching on or off; call it only between flushes.
func (w *Writer) SetBatching(on bool) { w.batch = on }

// message encodes one message with body; if body fails, nothing of the message is kept.
func (w *Writer) message(body func(e encoder) error) error {
	start := w.buf.Len()
	if w.n > 0 {
		w.enc.between()
	}
	if err := body(w.enc); err != nil {
		w.buf.Truncate(start)
		return err
	}
	w.n++
	if !w.batch || w.n >= MaxBatchMessages || w.buf.Len() >= maxBatchBytes {
		return w.Flush()
	}
	return nil
}

// Flush sends every pending message to the host.
func (w *Writer) Flush() error {
	switch {
	case w.n == 1:
		w.out.Write(w.buf.Bytes())
		w.out.Write(w.enc.terminator())
	case w.n > 1:
		w.out.Write(w.enc.batchHead(w.n))
		w.out.Write(w.buf.Bytes())
		w.out.Write(w.enc.batchTail())
	}
	w.buf.Reset()
	w.n = 0
	// bufio.Writer keeps its first error and returns it from Flush, so the writes above need no
	// checks of their own.
	return w.out.Flush()
}

// Handshake sends the reply to the host's handshake, accepting the extension if ext. It comes
// before batching is switched on, so it is sent at once.
func (w *Writer) Handshake(pid int, ext bool) error {
	return w.message(func(e encoder) error {
		if ext {
			e.object(2)
		} else {
			e.object(1)
		}
		e.key("pid")
		e.int(pid)
		if ext {
			e.key("squall")
			e.object(1)
			e.key("version")
			e.int(1)
			e.end()
		}
		e.end()
		return nil
	})
}

// Emit is an emit command. A bolt's emit names its anchors, a spout's its message id.
type Emit struct {
	Bolt        bool
	Anchors     []string // bolt only, sent even when empty
	ID          any      // spout only; nil sends no id: an unreliable tuple
	Stream      string   // "" or "default" sends no stream: the host's default is "default"
	Task        int      // non-zero makes a direct emit to this task
	Values      []any
	NeedTaskIDs bool // sends "need_task_ids": true
}

// Emit queues an emit command.
func (w *Writer) Emit(m *Emit) error {
	return w.message(func(e encoder) error {
		fields := 2
		if m.Bolt || m.ID != nil {
			fields++
		}
		stream := m.Stream != "" && m.Stream != "default"
		if stream {
			fields++
		}
		if m.Task != 0 {
			fields++
		}
		if m.NeedTaskIDs {
			fields++
		}
		e.object(fields)
		e.key("command")
		e.str("emit")
		if m.Bolt {
			e.key("anchors")
			e.strs(m.Anchors)
		} else if m.ID != nil {
			e.key("id")
			if err := e.value(m.ID); err != nil {
				return err
			}
		}
		if stream {
			e.key("stream")
			e.str(m.Stream)
		}
		if m.Task != 0 {
			e.key("task")
			e.int(m.Task)
		}
		e.key("tuple")
		if err := e.values(m.Values); err != nil {
			return err
		}
		if m.NeedTaskIDs {
			e.key("need_task_ids")
			if err := e.value(true); err != nil {
				return err
			}
		}
		e.end()
		return nil
	})
}

// Ack queues {"command": "ack", "id": id} for a bolt's input.
func (w *Writer) Ack(id string) error { return w.withID("ack", id) }

// Fail queues {"command": "fail", "id": id} for a bolt's input.
func (w *Writer) Fail(id string) error { return w.withID("fail", id) }

func (w *Writer) withID(command, id string) error {
	return w.message(func(e encoder) error {
		e.object(2)
		e.key("command")
		e.str(command)
		e.key("id")
		e.str(id)
		e.end()
		return nil
	})
}

// Log queues a log command; level runs from 0 (trace) to 4 (error).
func (w *Writer) Log(level int, msg string) error {
	return w.message(func(e encoder) error {
		e.object(3)
		e.key("command")
		e.str("log")
		e.key("msg")
		e.str(msg)
		e.key("level")
		e.int(level)
		e.end()
		return nil
	})
}

// Error queues an error command, which the host reports as the component's error.
func (w *Writer) Error(msg string) error {
	return w.message(func(e encoder) error {
		e.object(2)
		e.key("command")
		e.str("error")
		e.key("msg")
		e.str(msg)
		e.end()
		return nil
	})
}

// Metrics queues a metrics command for the host's metric of that name.
func (w *Writer) Metrics(name string, params any) error {
	return w.message(func(e encoder) error {
		e.object(3)
		e.key("command")
		e.str("metrics")
		e.key("name")
		e.str(name)
		e.key("params")
		if err := e.value(params); err != nil {
			return err
		}
		e.end()
		return nil
	})
}

// Sync queues {"command": "sync"}.
func (w *Writer) Sync() error {
	return w.message(func(e encoder) error {
		e.object(1)
		e.key("command")
		e.str("sync")
		e.end()
		return nil
	})
}
