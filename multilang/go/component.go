package squall

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"

	"github.com/squall-stream/squall/multilang/go/internal/wire"
)

// component is what bolts and spouts share: the pipes, the handshake's results, and the queues
// that the host's interleaving of task ids and commands calls for.
type component struct {
	r   wire.Reader
	w   *wire.Writer
	ext bool // the squall extension is in use

	conf Conf
	ctx  *Context

	msg wire.HostMessage // the last message read by next, reused

	// In Storm's protocol the task ids answering an emit can arrive after commands the host
	// sent meanwhile, and commands can arrive while an emit waits for its task ids: each side
	// queues what the other is waiting for, as storm.py does.
	queuedTaskIDs [][]int
	queuedMsgs    []*wire.HostMessage

	err error // the first failure of the pipes; every later use returns it
}

// start reads the host's handshake, creates the pid file and answers.
func start(opts []Option) (*component, error) {
	o, err := buildOptions(opts)
	if err != nil {
		return nil, err
	}
	r, err := wire.NewReader(o.serializer, o.in)
	if err != nil {
		return nil, err
	}
	w, err := wire.NewWriter(o.serializer, o.out)
	if err != nil {
		return nil, err
	}
	c := &component{r: r, w: w}
	v, err := r.ReadValue()
	if err != nil {
		return nil, c.readFailed(err)
	}
	// A child that cannot start sends an error in place of its reply.
	h, err := parseHandshake(v)
	if err != nil {
		return nil, c.stop(err)
	}
	c.conf, c.ctx = h.conf, h.context
	if err := createPIDFile(c.ctx.PIDDir, o.pid); err != nil {
		return nil, c.stop(err)
	}
	c.ext = o.extension && h.offersExtension
	if err := w.Handshake(o.pid, c.ext); err != nil {
		return nil, c.writeFailed(err)
	}
	w.SetBatching(c.ext)
	return c, nil
}

// createPIDFile creates the empty file dir/pid: the supervisor kills every process listed in
// dir when it tears the worker down.
func createPIDFile(dir string, pid int) error {
	if dir == "" {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("squall: creating the pid directory: %w", err)
	}
	f, err := os.Create(filepath.Join(dir, strconv.Itoa(pid)))
	if err != nil {
		return fmt.Errorf("squall: creating the pid file: %w", err)
	}
	return f.Close()
}

// next returns the next host message that is not an array of task ids.
func (c *component) next() (*wire.HostMessage, error) {
	if len(c.queuedMsgs) > 0 {
		m := c.queuedMsgs[0]
		c.queuedMsgs = c.queuedMsgs[1:]
		return m, nil
	}
	for {
		if err := c.r.ReadMessage(&c.msg); err != nil {
			return nil, c.readFailed(err)
		}
		if c.msg.Kind != wire.KindTaskIDs {
			return &c.msg, nil
		}
		c.queuedTaskIDs = append(c.queuedTaskIDs, c.msg.TaskIDs)
	}
}

// taskIDs returns the task ids that answer the oldest emit still waiting for them.
func (c *component) taskIDs() ([]int, error) {
	if len(c.queuedTaskIDs) > 0 {
		ids := c.queuedTaskIDs[0]
		c.queuedTaskIDs = c.queuedTaskIDs[1:]
		return ids, nil
	}
	// The host can only answer an emit it has received.
	if err := c.flush(); err != nil {
		return nil, err
	}
	for {
		m := new(wire.HostMessage) // not c.msg: the caller may be iterating over its tuples
		if err := c.r.ReadMessage(m); err != nil {
			return nil, c.readFailed(err)
		}
		if m.Kind == wire.KindTaskIDs {
			return m.TaskIDs, nil
		}
		c.queuedMsgs = append(c.queuedMsgs, m)
	}
}

// flush sends everything written so far: once per host message, and before waiting for task ids.
func (c *component) flush() error {
	if c.err != nil {
		return c.err
	}
	return c.sent(c.w.Flush())
}

// sent turns the error of a Writer call into what the caller returns: the first pipe failure
// for good, or an encoding failure for this message only.
func (c *component) sent(err error) error {
	switch {
	case c.err != nil:
		return c.err
	case err == nil:
		return nil
	case wire.IsValueError(err):
		return fmt.Errorf("%w: %w", ErrUnsupportedValue, err)
	}
	return c.writeFailed(err)
}

func (c *component) readFailed(err error) error {
	if c.err == nil {
		if wire.IsProtocolError(err) {
			c.err = fmt.Errorf("%w: %w", ErrProtocol, err)
		} else {
			c.err = fmt.Errorf("%w: reading: %w", ErrHostWentAway, err)
		}
	}
	return c.err
}

func (c *component) writeFailed(err error) error {
	if c.err == nil {
		c.err = fmt.Errorf("%w: writing: %w", ErrHostWentAway, err)
	}
	return c.err
}

func (c *component) protocolErrorf(format string, args ...any) error {
	if c.err == nil {
		c.err = fmt.Errorf("%w: "+format, append([]any{ErrProtocol}, args...)...)
	}
	return c.err
}

func (c *component) log(level LogLevel, msg string) error {
	return c.sent(c.w.Log(int(level), msg))
}

func (c *component) reportError(err error) error {
	return c.sent(c.w.Error(err.Error()))
}

func (c *component) metric(name string, params any) error {
	return c.sent(c.w.Metrics(name, params))
}

// stop ends a run: unless the host is gone, it reports err (an error of the user's code or of
// the host's messages) to the host, as pystorm does before it exits.
func (c *component) stop(err error) error {
	if errors.Is(err, ErrHostWentAway) || errors.Is(c.err, ErrHostWentAway) {
		return err
	}
	// The host logs the error and fails the component; if the pipe is broken too, there is
	// nobody left to tell.
	_ = c.w.Error(err.Error())
	_ = c.w.Flush()
	return err
}

// recoverRun turns a panic in user code into the error that ends the run, reported with its
// stack like a Python traceback.
func (c *component) recoverRun(err *error) {
	if p := recover(); p != nil {
		*err = c.stop(fmt.Errorf("squall: panic: %v\n%s", p, debug.Stack()))
	}
}

// emit sends e with the stream and task of o and, when the host will answer with the receiving
// task ids, waits for them.
func (c *component) emit(e *wire.Emit, o *emitOptions) ([]int, error) {
	e.Stream, e.Task = o.stream, o.task
	// A legacy host sends task ids after every emit that is not direct; an extension host only
	// when the emit asks.
	wantIDs := o.task == 0 && (!c.ext || o.needTaskIDs)
	e.NeedTaskIDs = c.ext && wantIDs
	if err := c.sent(c.w.Emit(e)); err != nil {
		return nil, err
	}
	if !wantIDs {
		return nil, nil
	}
	return c.taskIDs()
}

func invalidEmit(why string) error {
	return fmt.Errorf("%w: %s", ErrInvalidEmit, why)
}
