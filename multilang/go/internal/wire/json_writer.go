package wire

import (
	"bytes"
	"encoding/json"
	"strconv"
)

// jsonEncoder writes Storm's json framing. []byte values become base64 strings (encoding/json's
// rule): json has no bytes type.
type jsonEncoder struct {
	buf   *bytes.Buffer
	enc   *json.Encoder
	comma bool // the next key needs a comma before it
}

func newJSONEncoder(buf *bytes.Buffer) *jsonEncoder {
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	return &jsonEncoder{buf: buf, enc: enc}
}

func (e *jsonEncoder) object(int) {
	e.buf.WriteByte('{')
	e.comma = false
}

func (e *jsonEncoder) end() {
	e.buf.WriteByte('}')
	e.comma = true
}

// key writes a key of the protocol; they are plain ASCII and need no escaping.
func (e *jsonEncoder) key(k string) {
	if e.comma {
		e.buf.WriteByte(',')
	}
	e.buf.WriteByte('"')
	e.buf.WriteString(k)
	e.buf.WriteString(`":`)
}

func (e *jsonEncoder) str(s string) { _ = e.value(s) }

func (e *jsonEncoder) int(n int) {
	e.buf.WriteString(strconv.Itoa(n))
	e.comma = true
}

func (e *jsonEncoder) strs(ss []string) {
	if ss == nil {
		ss = []string{} // [] rather than null
	}
	_ = e.value(ss)
}

func (e *jsonEncoder) values(vs []any) error {
	if vs == nil {
		vs = []any{}
	}
	return e.value(vs)
}

func (e *jsonEncoder) value(v any) error {
	if err := e.enc.Encode(v); err != nil {
		return &ValueError{err}
	}
	e.buf.Truncate(e.buf.Len() - 1) // Encode ends the value with a newline
	e.comma = true
	return nil
}

func (e *jsonEncoder) between()           { e.buf.WriteByte(',') }
func (e *jsonEncoder) terminator() []byte { return jsonEnd }

func (e *jsonEncoder) batchHead(int) []byte { return jsonBatchHead }
func (e *jsonEncoder) batchTail() []byte    { return jsonBatchTail }

var (
	jsonEnd       = []byte("\nend\n")
	jsonBatchHead = []byte(`{"command":"batch","messages":[`)
	jsonBatchTail = []byte("]}\nend\n")
)
