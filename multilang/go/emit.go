package squall

// EmitOption adjusts one emit.
type EmitOption func(*emitOptions)

type emitOptions struct {
	anchors     []*Tuple
	stream      string
	task        int
	needTaskIDs bool
	messageID   any
	invalid     string // why the options cannot be used, or ""
}

// Anchors ties the emitted tuple to inputs of a bolt, so that it fails and replays with them.
// A BasicCollector anchors to the current input without being told.
func Anchors(inputs ...*Tuple) EmitOption {
	return func(o *emitOptions) { o.anchors = append(o.anchors, inputs...) }
}

// Stream emits on the named stream instead of "default".
func Stream(name string) EmitOption {
	return func(o *emitOptions) { o.stream = name }
}

// Direct sends the tuple to one task of a consumer that subscribed with a direct grouping.
func Direct(task int) EmitOption {
	return func(o *emitOptions) {
		if task == 0 {
			o.invalid = "Direct(0): task ids start at 1"
		}
		o.task = task
	}
}

// NeedTaskIDs asks the host for the ids of the tasks that receive the tuple, which Emit then
// returns. It costs a round trip to the host. A legacy component (WithoutExtension) always gets
// them, as Storm's protocol has it; a direct emit never does, as its only target is known.
func NeedTaskIDs() EmitOption {
	return func(o *emitOptions) { o.needTaskIDs = true }
}

// MessageID makes a spout's tuple reliable: the spout's Ack or Fail is called with id when
// the tuple's tree completes or fails. Use strings or integers. The id comes back decoded from
// the wire: an integer as int64 with msgpack and as json.Number with json, a string unchanged.
func MessageID(id any) EmitOption {
	return func(o *emitOptions) {
		if id == nil {
			o.invalid = "MessageID(nil)"
		}
		o.messageID = id
	}
}

// apply resets o and applies opts to it. Collectors keep one emitOptions each and reuse it, so
// that an emit allocates nothing for its options.
func (o *emitOptions) apply(opts []EmitOption) {
	*o = emitOptions{anchors: o.anchors[:0]}
	for _, opt := range opts {
		opt(o)
	}
}
