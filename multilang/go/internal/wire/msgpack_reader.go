package wire

import (
	"bufio"
	"errors"
	"io"
	"math"

	"github.com/vmihailenco/msgpack/v5"
	"github.com/vmihailenco/msgpack/v5/msgpcode"
)

// maxInterned bounds the table of component and stream names, which repeat on every tuple.
const maxInterned = 256

// msgpackReader decodes msgpack objects that follow one another with no delimiter.
//
// It walks the host's messages code by code instead of decoding them into maps, since a "tuples"
// batch is the hot path. Strings, integers and arrays, which tuples are mostly made of, are read
// straight from the buffer; the library decodes the other types.
type msgpackReader struct {
	br       *bufio.Reader
	dec      *msgpack.Decoder
	interned map[string]string
}

func newMsgpackReader(br *bufio.Reader) *msgpackReader {
	// Given a *bufio.Reader the decoder reads straight from it, with no buffer of its own, so
	// the reader can also peek at br directly.
	return &msgpackReader{br: br, dec: msgpack.NewDecoder(br), interned: make(map[string]string)}
}

func (r *msgpackReader) ReadValue() (any, error) {
	if _, err := r.br.Peek(1); err != nil {
		return nil, classify(err)
	}
	v, err := r.value()
	return v, classify(eofInside(err))
}

func (r *msgpackReader) ReadMessage(m *HostMessage) error {
	c, err := r.dec.PeekCode()
	if err != nil {
		return classify(err)
	}
	m.reset()
	switch {
	case isArray(c):
		err = r.taskIDs(m)
	case isMap(c):
		err = r.object(m)
	default:
		err = protocolErrorf("host message starts with msgpack code 0x%02x, not a map or an array", c)
	}
	return classify(eofInside(err))
}

func (r *msgpackReader) taskIDs(m *HostMessage) error {
	n, err := r.dec.DecodeArrayLen()
	if err != nil {
		return err
	}
	m.Kind = KindTaskIDs
	m.TaskIDs = make([]int, max(n, 0))
	for i := range m.TaskIDs {
		if m.TaskIDs[i], err = r.int(); err != nil {
			return err
		}
	}
	return nil
}

// object decodes a map: a tuple, a "tuples" batch or a spout command.
func (r *msgpackReader) object(m *HostMessage) error {
	n, err := r.dec.DecodeMapLen()
	if err != nil {
		return err
	}
	var (
		hasCommand, hasCredits bool
		comp, stream, task     any
		values                 any
	)
	for range n {
		key, err := r.stringBytes()
		if err != nil {
			return err
		}
		switch string(key) {
		case "command":
			hasCommand = true
			m.Command, err = r.string()
		case "id":
			m.ID, err = r.value()
		case "comp":
			comp, err = r.value()
		case "stream":
			stream, err = r.value()
		case "task":
			task, err = r.value()
		case "tuple":
			values, err = r.value()
		case "tuples":
			err = r.tuples(m)
		case "credits":
			hasCredits = true
			m.Credits, err = r.int()
		case "ids":
			m.IDs, err = r.array()
		default:
			err = r.dec.Skip()
		}
		if err != nil {
			return err
		}
	}
	switch {
	case !hasCommand:
		t, err := tupleFromFields(m.ID, comp, stream, task, values)
		if err != nil {
			return err
		}
		m.Kind, m.ID = KindTuples, nil
		m.Tuples = append(m.Tuples, t)
	case m.Command == "tuples":
		m.Kind = KindTuples
	default:
		m.Kind = KindCommand
		if !hasCredits {
			m.Credits = 1
		}
	}
	return nil
}

// tuples decodes the extension batch [[id, comp, stream, task, values], ...].
func (r *msgpackReader) tuples(m *HostMessage) error {
	n, err := r.dec.DecodeArrayLen()
	if err != nil {
		return err
	}
	for range n {
		fields, err := r.dec.DecodeArrayLen()
		if err != nil {
			return err
		}
		if fields != 5 {
			return protocolErrorf("a tuple in a tuples batch has %d fields, not 5", fields)
		}
		var t Tuple
		if t.ID, err = r.string(); err != nil {
			return err
		}
		if t.Comp, err = r.name(); err != nil {
			return err
		}
		if t.Stream, err = r.name(); err != nil {
			return err
		}
		if t.Task, err = r.int(); err != nil {
			return err
		}
		if t.Values, err = r.array(); err != nil {
			return err
		}
		m.Tuples = append(m.Tuples, t)
	}
	return nil
}

// value decodes any msgpack value. Integers become int64 (uint64 only above math.MaxInt64),
// floats float64, str string, bin []byte, arrays []any, and maps map[string]any, or map[any]any
// when a key is not a string.
func (r *msgpackReader) value() (any, error) {
	c, err := r.br.ReadByte()
	if err != nil {
		return nil, err
	}
	// Fast paths for what tuples are mostly made of.
	if msgpcode.IsFixedNum(c) {
		return int64(int8(c)), nil
	}
	if n, ok, err := r.strLen(c); ok {
		b, err := r.bytes(n, err)
		return string(b), err
	}
	if msgpcode.IsFixedArray(c) {
		return r.arrayOf(int(c & msgpcode.FixedArrayMask))
	}
	if c >= msgpcode.Uint8 && c <= msgpcode.Int64 {
		return r.integer(c)
	}
	if err := r.br.UnreadByte(); err != nil {
		return nil, err
	}
	switch {
	case isArray(c):
		return r.array()
	case isMap(c):
		return r.mapValue()
	case msgpcode.IsBin(c):
		return r.dec.DecodeBytes()
	case c == msgpcode.Nil:
		return nil, r.dec.DecodeNil()
	case c == msgpcode.True, c == msgpcode.False:
		return r.dec.DecodeBool()
	case c == msgpcode.Float, c == msgpcode.Double:
		return r.dec.DecodeFloat64()
	}
	// Extension types: the library knows the timestamp; others are an error it reports.
	return r.dec.DecodeInterface()
}

func (r *msgpackReader) array() ([]any, error) {
	c, err := r.br.ReadByte()
	if err != nil {
		return nil, err
	}
	if msgpcode.IsFixedArray(c) {
		return r.arrayOf(int(c & msgpcode.FixedArrayMask))
	}
	if err := r.br.UnreadByte(); err != nil {
		return nil, err
	}
	n, err := r.dec.DecodeArrayLen()
	if err != nil || n < 0 {
		return nil, err
	}
	return r.arrayOf(n)
}

func (r *msgpackReader) arrayOf(n int) ([]any, error) {
	a := make([]any, n)
	for i := range a {
		var err error
		if a[i], err = r.value(); err != nil {
			return nil, err
		}
	}
	return a, nil
}

func (r *msgpackReader) mapValue() (any, error) {
	n, err := r.dec.DecodeMapLen()
	if err != nil || n < 0 {
		return nil, err
	}
	m := make(map[string]any, n)
	for i := range n {
		k, err := r.value()
		if err != nil {
			return nil, err
		}
		v, err := r.value()
		if err != nil {
			return nil, err
		}
		if s, ok := k.(string); ok {
			m[s] = v
			continue
		}
		return r.mapWithAnyKeys(m, k, v, n-i-1)
	}
	return m, nil
}

// mapWithAnyKeys finishes decoding a map whose keys turned out not to be all strings.
func (r *msgpackReader) mapWithAnyKeys(done map[string]any, k, v any, left int) (map[any]any, error) {
	m := make(map[any]any, len(done)+1+left)
	for s, v := range done {
		m[s] = v
	}
	for {
		if !hashable(k) {
			return nil, protocolErrorf("map key %#v cannot be a Go map key", k)
		}
		m[k] = v
		if left == 0 {
			return m, nil
		}
		left--
		var err error
		if k, err = r.value(); err != nil {
			return nil, err
		}
		if v, err = r.value(); err != nil {
			return nil, err
		}
	}
}

func hashable(k any) bool {
	switch k.(type) {
	case []any, []byte, map[string]any, map[any]any:
		return false
	}
	return true
}

func (r *msgpackReader) string() (string, error) {
	b, err := r.stringBytes()
	return string(b), err
}

func (r *msgpackReader) int() (int, error) {
	c, err := r.br.ReadByte()
	if err != nil {
		return 0, err
	}
	if msgpcode.IsFixedNum(c) {
		return int(int8(c)), nil
	}
	if c < msgpcode.Uint8 || c > msgpcode.Int64 {
		return 0, protocolErrorf("expected an integer, found msgpack code 0x%02x", c)
	}
	v, err := r.integer(c)
	n, ok := ToInt(v)
	if err == nil && !ok {
		err = protocolErrorf("integer %v is too large", v)
	}
	return n, err
}

// integer decodes the integer that code c (uint 8 to int 64) starts: as int64, or as uint64 when
// it is above math.MaxInt64.
func (r *msgpackReader) integer(c byte) (any, error) {
	// The codes run uint8, uint16, uint32, uint64, int8, int16, int32, int64.
	size := 1 << ((c - msgpcode.Uint8) & 3)
	u, err := r.bigEndian(size)
	if err != nil {
		return nil, err
	}
	if c >= msgpcode.Int8 {
		shift := 64 - 8*size // sign-extend
		return int64(u<<shift) >> shift, nil
	}
	if u > math.MaxInt64 {
		return u, nil
	}
	return int64(u), nil
}

// name decodes a component or stream name (or nil, as ""), returning a shared copy of the
// strings it has seen before so that a batch of tuples from one source allocates none.
func (r *msgpackReader) name() (string, error) {
	c, err := r.br.ReadByte()
	if err != nil {
		return "", err
	}
	if c == msgpcode.Nil {
		return "", nil
	}
	if err := r.br.UnreadByte(); err != nil {
		return "", err
	}
	b, err := r.stringBytes()
	if err != nil {
		return "", err
	}
	s, ok := r.interned[string(b)]
	if !ok {
		s = string(b)
		if len(r.interned) < maxInterned {
			r.interned[s] = s
		}
	}
	return s, nil
}

// stringBytes decodes a string without copying it out of the read buffer. The bytes stay valid
// until the next read.
func (r *msgpackReader) stringBytes() ([]byte, error) {
	c, err := r.br.ReadByte()
	if err != nil {
		return nil, err
	}
	n, ok, err := r.strLen(c)
	if !ok {
		return nil, protocolErrorf("expected a string, found msgpack code 0x%02x", c)
	}
	return r.bytes(n, err)
}

// strLen returns the length of the string that code c starts, reading the length bytes that
// follow c; ok is false when c does not start a string. Reading strings here rather than through
// the library saves a copy and several calls per string, and tuples are mostly strings.
func (r *msgpackReader) strLen(c byte) (n int, ok bool, err error) {
	switch {
	case msgpcode.IsFixedString(c):
		return int(c & msgpcode.FixedStrMask), true, nil
	case c >= msgpcode.Str8 && c <= msgpcode.Str32:
		// The codes run str8, str16, str32.
		n, err := r.bigEndian(1 << (c - msgpcode.Str8))
		return int(n), true, err
	}
	return 0, false, nil
}

// bigEndian reads an unsigned integer of size bytes.
func (r *msgpackReader) bigEndian(size int) (uint64, error) {
	b, err := r.br.Peek(size)
	if err != nil {
		return 0, err
	}
	var n uint64
	for _, x := range b {
		n = n<<8 | uint64(x)
	}
	_, err = r.br.Discard(size)
	return n, err
}

// bytes returns the next n bytes, unless err (from reading their length) is not nil. They are
// the read buffer itself, valid until the next read: bufio.Reader.Discard of bytes already
// peeked does not refill the buffer.
func (r *msgpackReader) bytes(n int, err error) ([]byte, error) {
	if err != nil {
		return nil, err
	}
	if n > r.br.Size() {
		b := make([]byte, n)
		_, err := io.ReadFull(r.br, b)
		return b, err
	}
	b, err := r.br.Peek(n)
	if err != nil {
		return nil, err
	}
	_, err = r.br.Discard(n)
	return b, err
}

// eofInside turns an end of input met inside a message into io.ErrUnexpectedEOF.
func eofInside(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

func isArray(c byte) bool {
	return msgpcode.IsFixedArray(c) || c == msgpcode.Array16 || c == msgpcode.Array32
}

func isMap(c byte) bool {
	return msgpcode.IsFixedMap(c) || c == msgpcode.Map16 || c == msgpcode.Map32
}
