package wire

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
)

// jsonReader decodes Storm's framing: the JSON text of a message, then a line "end". Blank lines
// are skipped. Numbers decode as json.Number, so that integers of any size survive unchanged.
type jsonReader struct {
	br   *bufio.Reader
	text []byte // the current message's lines, reused
}

func newJSONReader(br *bufio.Reader) *jsonReader {
	return &jsonReader{br: br}
}

// next returns the text of the next message, valid until the following call.
func (r *jsonReader) next() ([]byte, error) {
	r.text = r.text[:0]
	for {
		line, err := r.line()
		if err == io.EOF && len(line) == 0 {
			if len(r.text) > 0 {
				return nil, io.ErrUnexpectedEOF
			}
			return nil, io.EOF
		}
		if err != nil && err != io.EOF {
			return nil, err
		}
		trimmed := bytes.TrimSpace(line)
		switch {
		case string(trimmed) == "end":
			if len(r.text) == 0 {
				return nil, protocolErrorf(`json framing: "end" with no message before it`)
			}
			return r.text, nil
		case len(trimmed) > 0:
			r.text = append(r.text, line...)
			r.text = append(r.text, '\n')
		}
		if err == io.EOF {
			return nil, io.ErrUnexpectedEOF
		}
	}
}

// line reads one line without its terminating newline, however long it is.
func (r *jsonReader) line() ([]byte, error) {
	line, err := r.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		long := append([]byte(nil), line...)
		for err == bufio.ErrBufferFull {
			line, err = r.br.ReadSlice('\n')
			long = append(long, line...)
		}
		line = long
	}
	return bytes.TrimSuffix(line, []byte{'\n'}), err
}

func (r *jsonReader) decode(text []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(text))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return protocolErrorf("json message %.200q: %v", text, err)
	}
	return nil
}

func (r *jsonReader) ReadValue() (any, error) {
	text, err := r.next()
	if err != nil {
		return nil, classify(err)
	}
	var v any
	return v, r.decode(text, &v)
}

// jsonHostMessage has every field any host message can carry.
type jsonHostMessage struct {
	Command *string `json:"command"`
	ID      any     `json:"id"`
	Comp    any     `json:"comp"`
	Stream  any     `json:"stream"`
	Task    any     `json:"task"`
	Tuple   any     `json:"tuple"`
	Tuples  [][]any `json:"tuples"`
	Credits *int    `json:"credits"`
	IDs     []any   `json:"ids"`
}

func (r *jsonReader) ReadMessage(m *HostMessage) error {
	text, err := r.next()
	if err != nil {
		return classify(err)
	}
	m.reset()
	if bytes.TrimSpace(text)[0] == '[' {
		m.Kind = KindTaskIDs
		return r.decode(text, &m.TaskIDs)
	}
	var jm jsonHostMessage
	if err := r.decode(text, &jm); err != nil {
		return err
	}
	if jm.Command == nil {
		t, err := tupleFromFields(jm.ID, jm.Comp, jm.Stream, jm.Task, jm.Tuple)
		if err != nil {
			return err
		}
		m.Kind = KindTuples
		m.Tuples = append(m.Tuples, t)
		return nil
	}
	m.Command = *jm.Command
	if m.Command == "tuples" {
		m.Kind = KindTuples
		for _, fields := range jm.Tuples {
			if len(fields) != 5 {
				return protocolErrorf("a tuple in a tuples batch has %d fields, not 5", len(fields))
			}
			t, err := tupleFromFields(fields[0], fields[1], fields[2], fields[3], fields[4])
			if err != nil {
				return err
			}
			m.Tuples = append(m.Tuples, t)
		}
		return nil
	}
	m.Kind, m.ID, m.IDs, m.Credits = KindCommand, jm.ID, jm.IDs, 1
	if jm.Credits != nil {
		m.Credits = *jm.Credits
	}
	return nil
}
