// Package wire reads and writes the messages of the multilang protocol in its two framings:
// msgpack (objects one after another, no delimiter) and json (each message followed by a line
// "end"). It knows the shapes of messages but nothing about bolts or spouts.
package wire

import (
	"bufio"
	"errors"
	"fmt"
	"io"
)

// Serializer names, as in topology.multilang.serializer and SQUALL_MULTILANG_SERIALIZER.
const (
	MsgPack = "msgpack"
	JSON    = "json"
)

// BufferSize is the size of the buffers between the component and its pipes. Large buffers let a
// whole batch of tuples arrive, and a whole batch of output leave, in one system call.
const BufferSize = 64 << 10

// ErrUnknownSerializer is returned for a serializer name other than MsgPack or JSON.
var ErrUnknownSerializer = errors.New("unknown serializer")

// Kind tells which of the host's messages a HostMessage holds.
type Kind int

const (
	// KindTuples is a bolt input: one tuple message or an extension "tuples" batch.
	KindTuples Kind = iota + 1
	// KindTaskIDs is the bare array of task ids the host sends back after an emit.
	KindTaskIDs
	// KindCommand is a spout command (next, ack, fail, activate, deactivate, acks, fails).
	KindCommand
)

// Tuple is one bolt input as it travels on the wire.
type Tuple struct {
	ID     string
	Comp   string // "" when the host sends null (heartbeats)
	Stream string
	Task   int
	Values []any
}

// HostMessage is one decoded host → child message after the handshake. A Reader refills the same
// HostMessage on every call, reusing its Tuples array, so callers copy what they keep.
type HostMessage struct {
	Kind    Kind
	Command string  // KindCommand: the spout command
	Tuples  []Tuple // KindTuples: the tuples, in order
	TaskIDs []int   // KindTaskIDs: freshly allocated on each read
	ID      any     // KindCommand: the id of ack/fail
	IDs     []any   // KindCommand: the ids of acks/fails
	Credits int     // KindCommand: how many next_tuple calls a "next" allows; 1 when absent
}

func (m *HostMessage) reset() {
	tuples := m.Tuples[:0]
	*m = HostMessage{Tuples: tuples}
}

// Reader decodes the host's messages from one input stream.
type Reader interface {
	// ReadValue decodes the next message as plain Go values (maps, slices, strings, numbers);
	// the handshake is read this way.
	ReadValue() (any, error)
	// ReadMessage decodes the next message into m. It returns io.EOF when the input ends between
	// messages, io.ErrUnexpectedEOF when it ends inside one, an error for which IsProtocolError
	// is true when the data is not a valid message, or else the input's own error.
	ReadMessage(m *HostMessage) error
}

// NewReader returns a Reader for the named serializer.
func NewReader(serializer string, r io.Reader) (Reader, error) {
	br := bufio.NewReaderSize(markedReader{r}, BufferSize)
	switch serializer {
	case MsgPack:
		return newMsgpackReader(br), nil
	case JSON:
		return newJSONReader(br), nil
	}
	return nil, fmt.Errorf("%w %q", ErrUnknownSerializer, serializer)
}

// protocolError describes a message that does not have the shape the protocol gives it.
type protocolError struct{ msg string }

func (e *protocolError) Error() string { return e.msg }

func protocolErrorf(format string, args ...any) error {
	return &protocolError{msg: fmt.Sprintf(format, args...)}
}

// IsProtocolError reports whether err says that the host sent a malformed message.
func IsProtocolError(err error) bool {
	var pe *protocolError
	return errors.As(err, &pe)
}

// tupleFromFields builds a Tuple from the five decoded fields of a tuple message.
func tupleFromFields(id, comp, stream, task any, values any) (Tuple, error) {
	var t Tuple
	var ok bool
	if t.ID, ok = id.(string); !ok {
		return t, protocolErrorf("tuple id %#v is not a string", id)
	}
	if comp != nil {
		if t.Comp, ok = comp.(string); !ok {
			return t, protocolErrorf("tuple comp %#v is not a string", comp)
		}
	}
	if t.Stream, ok = stream.(string); !ok {
		return t, protocolErrorf("tuple stream %#v is not a string", stream)
	}
	if t.Task, ok = ToInt(task); !ok {
		return t, protocolErrorf("tuple task %#v is not an integer", task)
	}
	if values != nil {
		if t.Values, ok = values.([]any); !ok {
			return t, protocolErrorf("tuple values %#v are not an array", values)
		}
	}
	return t, nil
}

// inputError marks an error of the underlying input, to tell it from an error in the data.
type inputError struct{ err error }

func (e *inputError) Error() string { return e.err.Error() }
func (e *inputError) Unwrap() error { return e.err }

type markedReader struct{ r io.Reader }

func (m markedReader) Read(p []byte) (int, error) {
	n, err := m.r.Read(p)
	if err != nil && err != io.EOF {
		err = &inputError{err}
	}
	return n, err
}

// classify makes every read error one of: io.EOF between messages, io.ErrUnexpectedEOF inside
// one, the input's own error, or a protocol error for data that is not a valid message.
func classify(err error) error {
	var ie *inputError
	switch {
	case err == nil, err == io.EOF, errors.Is(err, io.ErrUnexpectedEOF), IsProtocolError(err):
		return err
	case errors.As(err, &ie):
		return ie.err
	}
	return &protocolError{msg: err.Error()}
}

// ValueError reports a value that the serializer cannot encode, such as a channel.
type ValueError struct{ Err error }

func (e *ValueError) Error() string { return "cannot encode value: " + e.Err.Error() }
func (e *ValueError) Unwrap() error { return e.Err }

// IsValueError reports whether err is a ValueError.
func IsValueError(err error) bool {
	var ve *ValueError
	return errors.As(err, &ve)
}
