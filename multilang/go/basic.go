package squall

import "errors"

// BasicBolt is the common kind of bolt: everything it emits while processing a tuple is
// anchored to that tuple, and the tuple is acked when Process returns nil. To fail the tuple
// instead (so that its spout replays it), return an error that wraps ErrFailTuple; any other
// error stops the bolt, as with Bolt.
type BasicBolt interface {
	Process(t *Tuple, out *BasicCollector) error
}

// BasicBoltFunc is a BasicBolt made of a function.
type BasicBoltFunc func(t *Tuple, out *BasicCollector) error

// Process calls f(t, out).
func (f BasicBoltFunc) Process(t *Tuple, out *BasicCollector) error { return f(t, out) }

// BasicPreparer is implemented by a BasicBolt that needs the configuration or its context
// before the first tuple.
type BasicPreparer interface {
	Prepare(conf Conf, ctx *Context) error
}

// Basic makes a Bolt of b, for RunBolt.
func Basic(b BasicBolt) Bolt {
	return &basicBolt{bolt: b}
}

type basicBolt struct {
	bolt BasicBolt
	out  BasicCollector
}

func (b *basicBolt) Prepare(conf Conf, ctx *Context, out *BoltCollector) error {
	b.out.bolt = out
	if p, ok := b.bolt.(BasicPreparer); ok {
		return p.Prepare(conf, ctx)
	}
	return nil
}

func (b *basicBolt) Process(t *Tuple) error {
	b.out.input = t
	err := b.bolt.Process(t, &b.out)
	b.out.input = nil
	switch {
	case err == nil:
		return b.out.bolt.Ack(t)
	case errors.Is(err, ErrFailTuple):
		return b.out.bolt.Fail(t)
	}
	return err
}

// BasicCollector sends a BasicBolt's tuples to the host, anchored to the tuple being processed.
type BasicCollector struct {
	bolt  *BoltCollector
	input *Tuple
}

// Emit sends a tuple with values, anchored to the current input (and to any Anchors given).
// It returns the receiving task ids when they were asked for (NeedTaskIDs, or always in a legacy
// component), and nil otherwise.
func (o *BasicCollector) Emit(values []any, opts ...EmitOption) ([]int, error) {
	return o.bolt.emitAnchored(o.input, values, opts)
}

// Log writes msg to the host's log at level.
func (o *BasicCollector) Log(level LogLevel, msg string) error { return o.bolt.Log(level, msg) }

// ReportError reports err to the host, which shows it among the component's errors; the bolt
// goes on.
func (o *BasicCollector) ReportError(err error) error { return o.bolt.ReportError(err) }

// Metric sends params to the host's metric called name, registered for this component.
func (o *BasicCollector) Metric(name string, params any) error { return o.bolt.Metric(name, params) }
