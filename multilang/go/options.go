package squall

import (
	"fmt"
	"io"
	"os"

	"github.com/squall-stream/squall/multilang/go/internal/wire"
)

// SerializerEnv names the environment variable that chooses the serializer when no
// WithSerializer option is given.
const SerializerEnv = "SQUALL_MULTILANG_SERIALIZER"

// Option configures RunBolt and RunSpout.
type Option func(*options) error

type options struct {
	serializer string
	in         io.Reader
	out        io.Writer
	extension  bool
	pid        int
}

func defaultOptions() options {
	serializer := os.Getenv(SerializerEnv)
	if serializer == "" {
		serializer = wire.MsgPack
	}
	return options{
		serializer: serializer,
		in:         os.Stdin,
		out:        os.Stdout,
		extension:  true,
		pid:        os.Getpid(),
	}
}

func buildOptions(opts []Option) (options, error) {
	o := defaultOptions()
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return o, err
		}
	}
	if o.serializer != wire.MsgPack && o.serializer != wire.JSON {
		return o, fmt.Errorf("%w %q (want %q or %q)", ErrUnknownSerializer, o.serializer, wire.MsgPack, wire.JSON)
	}
	return o, nil
}

// WithSerializer chooses how messages are framed on the pipes: "msgpack" (the default) or
// "json" (Storm's own framing). It must match the host's topology.multilang.serializer. Without
// this option the SQUALL_MULTILANG_SERIALIZER environment variable decides.
func WithSerializer(name string) Option {
	return func(o *options) error {
		o.serializer = name
		return nil
	}
}

// WithInput reads the host's messages from r instead of os.Stdin.
func WithInput(r io.Reader) Option {
	return func(o *options) error {
		if r == nil {
			return fmt.Errorf("squall: WithInput: nil reader")
		}
		o.in = r
		return nil
	}
}

// WithOutput writes messages to the host to w instead of os.Stdout.
func WithOutput(w io.Writer) Option {
	return func(o *options) error {
		if w == nil {
			return fmt.Errorf("squall: WithOutput: nil writer")
		}
		o.out = w
		return nil
	}
}

// WithoutExtension makes the component decline Squall's protocol extension and behave exactly
// like a Storm multilang component (storm.py): one message at a time, task ids after every
// emit, and a sync after every spout command.
func WithoutExtension() Option {
	return func(o *options) error {
		o.extension = false
		return nil
	}
}

// WithPID reports pid to the host instead of the process id, for tests. The pid file is
// created under that name too.
func WithPID(pid int) Option {
	return func(o *options) error {
		if pid <= 0 {
			return fmt.Errorf("squall: WithPID: %d is not a process id", pid)
		}
		o.pid = pid
		return nil
	}
}
