package wire

import (
	"bytes"
	"math"

	"github.com/vmihailenco/msgpack/v5"
	"github.com/vmihailenco/msgpack/v5/msgpcode"
)

// msgpackEncoder writes msgpack the way Python's and JavaScript's decoders expect: str for
// strings, bin for []byte, and integers in the fewest bytes.
//
// Strings, integers and container headers, which make up nearly all of every message, are
// written straight into the buffer; the library, whose writes go through an interface byte by
// byte, encodes the other Go types.
type msgpackEncoder struct {
	buf  *bytes.Buffer
	enc  *msgpack.Encoder
	head []byte // batch header, rebuilt on each flush
}

func newMsgpackEncoder(buf *bytes.Buffer) *msgpackEncoder {
	e := &msgpackEncoder{buf: buf, enc: msgpack.NewEncoder(buf)}
	e.enc.UseCompactInts(true)
	return e
}

func (e *msgpackEncoder) object(fields int) {
	e.header(fields, msgpcode.FixedMapLow, msgpcode.Map16, msgpcode.Map32)
}
func (e *msgpackEncoder) end()         {}
func (e *msgpackEncoder) key(k string) { e.str(k) }

func (e *msgpackEncoder) str(s string) {
	switch n := len(s); {
	case n < 32:
		e.buf.WriteByte(msgpcode.FixedStrLow | byte(n))
	case n <= math.MaxUint8:
		e.buf.Write([]byte{msgpcode.Str8, byte(n)})
	default: // longer than a fixed-size header's 15, so the fix code is never used
		e.header(n, 0, msgpcode.Str16, msgpcode.Str32)
	}
	e.buf.WriteString(s)
}

func (e *msgpackEncoder) int(n int) { e.int64(int64(n)) }

func (e *msgpackEncoder) strs(ss []string) {
	e.arrayLen(len(ss))
	for _, s := range ss {
		e.str(s)
	}
}

func (e *msgpackEncoder) values(vs []any) error {
	e.arrayLen(len(vs))
	for _, v := range vs {
		if err := e.value(v); err != nil {
			return err
		}
	}
	return nil
}

func (e *msgpackEncoder) value(v any) error {
	switch v := v.(type) {
	case string:
		e.str(v)
		return nil
	case int64:
		e.int64(v)
		return nil
	case int:
		e.int64(int64(v))
		return nil
	case []any:
		return e.values(v)
	case map[string]any:
		e.header(len(v), msgpcode.FixedMapLow, msgpcode.Map16, msgpcode.Map32)
		for k, x := range v {
			e.str(k)
			if err := e.value(x); err != nil {
				return err
			}
		}
		return nil
	}
	if err := e.enc.Encode(v); err != nil {
		return &ValueError{err}
	}
	return nil
}

func (e *msgpackEncoder) int64(n int64) {
	if n >= 0 && n <= int64(msgpcode.PosFixedNumHigh) {
		e.buf.WriteByte(byte(n))
		return
	}
	_ = e.enc.EncodeInt(n) // writes to a bytes.Buffer cannot fail
}

func (e *msgpackEncoder) arrayLen(n int) {
	e.header(n, msgpcode.FixedArrayLow, msgpcode.Array16, msgpcode.Array32)
}

// header writes the header of a map, an array or a string of n entries.
func (e *msgpackEncoder) header(n int, fix, c16, c32 byte) {
	var b [5]byte
	e.buf.Write(appendHeader(b[:0], n, fix, c16, c32))
}

// appendHeader appends a header for n entries: fix is the code of the one-byte form, used for
// n < 16, and c16 and c32 the codes of the wider ones.
func appendHeader(b []byte, n int, fix, c16, c32 byte) []byte {
	switch {
	case n < 16:
		return append(b, fix|byte(n))
	case n <= math.MaxUint16:
		return append(b, c16, byte(n>>8), byte(n))
	}
	return append(b, c32, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
}

func (e *msgpackEncoder) between()           {}
func (e *msgpackEncoder) terminator() []byte { return nil }

func (e *msgpackEncoder) batchHead(n int) []byte {
	e.head = append(e.head[:0], msgpcode.FixedMapLow|2)
	e.head = appendFixStr(e.head, "command")
	e.head = appendFixStr(e.head, "batch")
	e.head = appendFixStr(e.head, "messages")
	e.head = appendHeader(e.head, n, msgpcode.FixedArrayLow, msgpcode.Array16, msgpcode.Array32)
	return e.head
}

func appendFixStr(b []byte, s string) []byte {
	return append(append(b, msgpcode.FixedStrLow|byte(len(s))), s...)
}

func (e *msgpackEncoder) batchTail() []byte { return nil }
