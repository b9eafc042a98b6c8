package squall

import (
	"github.com/squall-stream/squall/multilang/go/internal/wire"
)

// Spout produces the tuples of a stream.
type Spout interface {
	// Open is called once, before anything else. out stays valid for the life of the spout.
	Open(conf Conf, ctx *Context, out *SpoutCollector) error
	// NextTuple emits the next tuple, or nothing when none is ready. It should not block for
	// long: the host calls it again when it wants more.
	NextTuple() error
	// Ack is called when the tuple emitted with MessageID(id) has been fully processed.
	Ack(id any) error
	// Fail is called when the tuple emitted with MessageID(id) failed or timed out; a reliable
	// spout emits it again.
	Fail(id any) error
}

// Activator is implemented by a Spout that wants to know when its topology is activated or
// deactivated (NextTuple is not called while it is deactivated).
type Activator interface {
	Activate() error
	Deactivate() error
}

// RunSpout runs s as a multilang spout: it answers the host's handshake, creates the pid file,
// calls s.Open, then calls s.NextTuple, s.Ack and s.Fail as the host asks, until the host closes
// the input. Errors are handled as by RunBolt.
//
// With the squall extension, one "next" command from the host carries credits: NextTuple is
// called up to that many times in a row, until a call emits nothing, and the emits travel
// together. A legacy component answers each command on its own, as Storm's protocol has it.
func RunSpout(s Spout, opts ...Option) (err error) {
	c, err := start(opts)
	if err != nil {
		return err
	}
	defer c.recoverRun(&err)
	out := &SpoutCollector{c: c}
	if err := s.Open(c.conf, c.ctx, out); err != nil {
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
		if m.Kind != wire.KindCommand {
			return c.stop(c.protocolErrorf("a spout received a tuple"))
		}
		if err := c.command(s, out, m); err != nil {
			return c.stop(err)
		}
		if err := c.flush(); err != nil {
			return err
		}
	}
}

// command runs one spout command of the host.
func (c *component) command(s Spout, out *SpoutCollector, m *wire.HostMessage) error {
	var err error
	switch m.Command {
	case "next":
		err = c.nextTuples(s, out, m.Credits)
	case "ack":
		err = s.Ack(m.ID)
	case "fail":
		err = s.Fail(m.ID)
	case "acks":
		for _, id := range m.IDs {
			if err = s.Ack(id); err != nil {
				break
			}
		}
	case "fails":
		for _, id := range m.IDs {
			if err = s.Fail(id); err != nil {
				break
			}
		}
	case "activate":
		if a, ok := s.(Activator); ok {
			err = a.Activate()
		}
	case "deactivate":
		if a, ok := s.(Activator); ok {
			err = a.Deactivate()
		}
	default:
		err = c.log(LogWarn, "squall: ignoring unknown spout command "+m.Command)
	}
	if err != nil {
		return err
	}
	// Storm's host waits for a sync after every command; an extension host only after "next".
	if !c.ext || m.Command == "next" {
		return c.sent(c.w.Sync())
	}
	return nil
}

func (c *component) nextTuples(s Spout, out *SpoutCollector, credits int) error {
	if !c.ext {
		return s.NextTuple()
	}
	for range credits {
		before := out.emitted
		if err := s.NextTuple(); err != nil {
			return err
		}
		if out.emitted == before {
			break // nothing ready: let the host ask again later
		}
	}
	return nil
}

// SpoutCollector sends a spout's tuples to the host.
type SpoutCollector struct {
	c       *component
	opts    emitOptions
	emit    wire.Emit
	emitted int // emits so far, to see whether a NextTuple call emitted anything
}

// Emit sends a tuple with values. Give it a MessageID to make it reliable: the spout's Ack or
// Fail then reports what became of it. It returns the receiving task ids when they were asked
// for (NeedTaskIDs, or always in a legacy component), and nil otherwise.
func (o *SpoutCollector) Emit(values []any, opts ...EmitOption) ([]int, error) {
	o.opts.apply(opts)
	if o.opts.invalid != "" {
		return nil, invalidEmit(o.opts.invalid)
	}
	if len(o.opts.anchors) > 0 {
		return nil, invalidEmit("Anchors applies to bolts; a spout gives a MessageID instead")
	}
	o.emitted++
	o.emit = wire.Emit{ID: o.opts.messageID, Values: values}
	return o.c.emit(&o.emit, &o.opts)
}

// Log writes msg to the host's log at level.
func (o *SpoutCollector) Log(level LogLevel, msg string) error { return o.c.log(level, msg) }

// ReportError reports err to the host, which shows it among the component's errors; the spout
// goes on.
func (o *SpoutCollector) ReportError(err error) error { return o.c.reportError(err) }

// Metric sends params to the host's metric called name, registered for this component.
func (o *SpoutCollector) Metric(name string, params any) error { return o.c.metric(name, params) }
