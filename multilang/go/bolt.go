package squall

import (
	"github.com/squall-stream/squall/multilang/go/internal/wire"
)

// Bolt consumes tuples and acks or fails each of them itself, through the collector it is
// given in Prepare. Most bolts are simpler to write as a BasicBolt; see Basic.
type Bolt interface {
	// Prepare is called once, before any tuple. out stays valid for the life of the bolt.
	Prepare(conf Conf, ctx *Context, out *BoltCollector) error
	// Process is called for every input tuple, in order. An error stops the bolt: RunBolt
	// reports it to the host and returns it.
	Process(t *Tuple) error
}

// RunBolt runs b as a multilang bolt: it answers the host's handshake, creates the pid file,
// calls b.Prepare, then b.Process for every tuple, until the host closes the input.
//
// It returns an error wrapping ErrHostWentAway when the host closes the input, which is how a
// topology stops its components. An error from b (or a panic in it) is sent to the host as an
// error command and then returned, as is an ErrProtocol error. Main turns these into the exit
// codes Storm expects.
//
// The collector and the tuples must be used only from within b's methods: RunBolt reads and
// writes the pipes on the goroutine that calls it.
func RunBolt(b Bolt, opts ...Option) (err error) {
	c, err := start(opts)
	if err != nil {
		return err
	}
	defer c.recoverRun(&err)
	out := &BoltCollector{c: c}
	if err := b.Prepare(c.conf, c.ctx, out); err != nil {
		return c.stop(err)
	}
	if err := c.flush(); err != nil {
		return err
	}
	for {
		m, err := c.next()
		if err != nil {
			return c.stop(err)
		}
		if m.Kind != wire.KindTuples {
			return c.stop(c.protocolErrorf("a bolt received the spout command %q", m.Command))
		}
		for i := range m.Tuples {
			wt := &m.Tuples[i]
			t := &Tuple{ID: wt.ID, Component: wt.Comp, Stream: wt.Stream, Task: wt.Task, Values: wt.Values}
			if t.IsHeartbeat() {
				// The host only wants to know that the bolt still reads its input.
				err = c.sent(c.w.Sync())
			} else {
				err = b.Process(t)
			}
			if err != nil {
				return c.stop(err)
			}
		}
		if err := c.flush(); err != nil {
			return err
		}
	}
}

// BoltCollector sends a bolt's tuples and acks to the host.
type BoltCollector struct {
	c       *component
	opts    emitOptions
	anchors []string
	emit    wire.Emit
}

// Emit sends a tuple with values. Without Anchors it is not anchored to any input, so its
// failure downstream does not replay anything. It returns the receiving task ids when they were
// asked for (NeedTaskIDs, or always in a legacy component), and nil otherwise.
func (o *BoltCollector) Emit(values []any, opts ...EmitOption) ([]int, error) {
	return o.emitAnchored(nil, values, opts)
}

// emitAnchored emits with input, when not nil, as the first anchor.
func (o *BoltCollector) emitAnchored(input *Tuple, values []any, opts []EmitOption) ([]int, error) {
	o.opts.apply(opts)
	if o.opts.invalid != "" {
		return nil, invalidEmit(o.opts.invalid)
	}
	if o.opts.messageID != nil {
		return nil, invalidEmit("MessageID applies to spouts; a bolt anchors its tuples instead")
	}
	o.anchors = o.anchors[:0]
	if input != nil {
		o.anchors = append(o.anchors, input.ID)
	}
	for _, a := range o.opts.anchors {
		o.anchors = append(o.anchors, a.ID)
	}
	o.emit = wire.Emit{Bolt: true, Anchors: o.anchors, Values: values}
	return o.c.emit(&o.emit, &o.opts)
}

// Ack tells the host that t has been fully processed.
func (o *BoltCollector) Ack(t *Tuple) error { return o.c.sent(o.c.w.Ack(t.ID)) }

// Fail tells the host that t could not be processed, so that its spout replays it.
func (o *BoltCollector) Fail(t *Tuple) error { return o.c.sent(o.c.w.Fail(t.ID)) }

// Log writes msg to the host's log at level.
func (o *BoltCollector) Log(level LogLevel, msg string) error { return o.c.log(level, msg) }

// ReportError reports err to the host, which shows it among the component's errors; the bolt
// goes on.
func (o *BoltCollector) ReportError(err error) error { return o.c.reportError(err) }

// Metric sends params to the host's metric called name, registered for this component.
func (o *BoltCollector) Metric(name string, params any) error { return o.c.metric(name, params) }
