package squall

import (
	"fmt"
	"strconv"

	"github.com/squall-stream/squall/multilang/go/internal/wire"
)

// Conf is the topology configuration the host sends in the handshake, as decoded values (see
// Tuple for how numbers decode).
type Conf map[string]any

// Context is the component's place in the topology, from the handshake.
type Context struct {
	TaskID      int
	ComponentID string
	// TaskToComponent maps every task of the topology to its component.
	TaskToComponent map[int]string
	// Streams are the streams this component declares.
	Streams []string
	// StreamToOutputFields gives the fields of each stream this component declares.
	StreamToOutputFields map[string][]string
	// SourceToStreamToFields gives the fields of each stream this component consumes.
	SourceToStreamToFields map[string]map[string][]string
	// StreamToTargetToGrouping says how each consumer of this component's streams groups them.
	StreamToTargetToGrouping map[string]map[string]Grouping
	// SourceToStreamToGrouping says how this component groups each stream it consumes.
	SourceToStreamToGrouping map[string]map[string]Grouping
	// PIDDir is the directory where the component created its pid file.
	PIDDir string
}

// Grouping is a stream grouping as Storm names it: Type is "FIELDS", "SHUFFLE", "ALL", "NONE",
// "DIRECT", "LOCAL_OR_SHUFFLE", "CUSTOM_OBJECT" or "CUSTOM_SERIALIZED"; Fields is set for FIELDS,
// and empty there means a global grouping.
type Grouping struct {
	Type   string
	Fields []string
}

// handshake is the host's first message.
type handshake struct {
	conf            Conf
	context         *Context
	offersExtension bool // the host offers the squall extension
}

func parseHandshake(v any) (*handshake, error) {
	p := &shapeParser{}
	msg := p.object("handshake", v)
	h := &handshake{conf: Conf(p.object("conf", msg["conf"]))}
	if h.conf == nil {
		h.conf = Conf{}
	}
	ctx := p.object("context", msg["context"])
	h.context = &Context{
		TaskID:                   p.int("context.taskid", ctx["taskid"]),
		ComponentID:              p.string("context.componentid", ctx["componentid"]),
		TaskToComponent:          p.taskToComponent(ctx["task->component"]),
		Streams:                  p.strings("context.streams", ctx["streams"]),
		StreamToOutputFields:     p.fieldsByName("context.stream->outputfields", ctx["stream->outputfields"]),
		SourceToStreamToFields:   p.fieldsByTwoNames("context.source->stream->fields", ctx["source->stream->fields"]),
		StreamToTargetToGrouping: p.groupings("context.stream->target->grouping", ctx["stream->target->grouping"]),
		SourceToStreamToGrouping: p.groupings("context.source->stream->grouping", ctx["source->stream->grouping"]),
		PIDDir:                   p.string("pidDir", msg["pidDir"]),
	}
	if ext := p.object("squall", msg["squall"]); ext != nil {
		h.offersExtension = p.int("squall.version", ext["version"]) >= 1
	}
	if p.err != nil {
		return nil, p.err
	}
	return h, nil
}

// shapeParser reads decoded values of a known shape; absent (nil) values give zero values, and
// the first value of the wrong type is remembered as a protocol error.
type shapeParser struct{ err error }

func (p *shapeParser) wrong(what string, v any, want string) {
	if p.err == nil {
		p.err = fmt.Errorf("%w: handshake %s is %#v, not %s", ErrProtocol, what, v, want)
	}
}

func (p *shapeParser) object(what string, v any) map[string]any {
	switch m := v.(type) {
	case nil:
		return nil
	case map[string]any:
		return m
	case map[any]any:
		// msgpack maps with integer keys, such as task->component from some hosts.
		s := make(map[string]any, len(m))
		for k, x := range m {
			s[fmt.Sprint(k)] = x
		}
		return s
	}
	p.wrong(what, v, "a map")
	return nil
}

func (p *shapeParser) string(what string, v any) string {
	s, ok := v.(string)
	if !ok && v != nil {
		p.wrong(what, v, "a string")
	}
	return s
}

func (p *shapeParser) int(what string, v any) int {
	n, ok := wire.ToInt(v)
	if !ok && v != nil {
		p.wrong(what, v, "an integer")
	}
	return n
}

func (p *shapeParser) strings(what string, v any) []string {
	if v == nil {
		return nil
	}
	a, ok := v.([]any)
	if !ok {
		p.wrong(what, v, "an array")
		return nil
	}
	ss := make([]string, len(a))
	for i, x := range a {
		ss[i] = p.string(what, x)
	}
	return ss
}

func (p *shapeParser) taskToComponent(v any) map[int]string {
	m := p.object("context.task->component", v)
	out := make(map[int]string, len(m))
	for k, x := range m {
		task, err := strconv.Atoi(k)
		if err != nil {
			p.wrong("context.task->component key", k, "a task id")
		}
		out[task] = p.string("context.task->component", x)
	}
	return out
}

func (p *shapeParser) fieldsByName(what string, v any) map[string][]string {
	m := p.object(what, v)
	out := make(map[string][]string, len(m))
	for k, x := range m {
		out[k] = p.strings(what, x)
	}
	return out
}

func (p *shapeParser) fieldsByTwoNames(what string, v any) map[string]map[string][]string {
	m := p.object(what, v)
	out := make(map[string]map[string][]string, len(m))
	for k, x := range m {
		out[k] = p.fieldsByName(what, x)
	}
	return out
}

func (p *shapeParser) groupings(what string, v any) map[string]map[string]Grouping {
	m := p.object(what, v)
	out := make(map[string]map[string]Grouping, len(m))
	for k, x := range m {
		inner := p.object(what, x)
		out[k] = make(map[string]Grouping, len(inner))
		for k2, g := range inner {
			gm := p.object(what, g)
			out[k][k2] = Grouping{
				Type:   p.string(what+".type", gm["type"]),
				Fields: p.strings(what+".fields", gm["fields"]),
			}
		}
	}
	return out
}
