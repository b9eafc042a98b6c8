package squall

// Names of the system component and streams the host uses for tuples that are not data.
const (
	SystemComponent = "__system"
	TickStream      = "__tick"
	HeartbeatStream = "__heartbeat"
	DefaultStream   = "default"
)

// Tuple is one input of a bolt.
//
// Values hold what the host decoded: with msgpack, integers are int64 (uint64 above
// math.MaxInt64), floats float64, strings string, binary []byte, arrays []any and maps
// map[string]any; with json, numbers are json.Number, so that large integers survive.
type Tuple struct {
	ID        string // the host's id for this tuple, used to ack or fail it
	Component string // the component that emitted it
	Stream    string
	Task      int // the task that emitted it
	Values    []any
}

// IsTick reports whether t is a tick tuple, sent at topology.tick.tuple.freq.secs.
func (t *Tuple) IsTick() bool {
	return t.Component == SystemComponent && t.Stream == TickStream
}

// IsHeartbeat reports whether t is the host's heartbeat. RunBolt answers heartbeats itself;
// a bolt never sees one.
func (t *Tuple) IsHeartbeat() bool {
	return t.Task == -1 && t.Stream == HeartbeatStream
}
