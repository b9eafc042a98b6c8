// Package squall writes bolts and spouts in Go for Squall, or for Apache Storm, which start
// them as subprocesses and talk to them over stdin and stdout with Storm's multilang protocol.
//
// A bolt that splits sentences into words:
//
//	type splitter struct{}
//
//	func (splitter) Process(t *squall.Tuple, out *squall.BasicCollector) error {
//		for _, word := range strings.Fields(t.Values[0].(string)) {
//			if _, err := out.Emit([]any{word}); err != nil {
//				return err
//			}
//		}
//		return nil
//	}
//
//	func main() {
//		squall.Main(func() error {
//			return squall.RunBolt(squall.Basic(splitter{}))
//		})
//	}
//
// A BasicBolt's emits are anchored to the input, and the input is acked when Process returns
// nil; returning an error that wraps ErrFailTuple fails it instead. A Bolt acks and fails its
// tuples itself through the BoltCollector it gets in Prepare. A Spout emits in NextTuple and
// hears back through Ack and Fail for the tuples it gave a MessageID.
//
// # Running under the host
//
// RunBolt and RunSpout answer the host's handshake, create the pid file the host asks for, and
// then serve the host's messages until it closes stdin. Main turns what they return into the
// exit code the host expects: 2 when the host went away, 1 after an error, which has been
// reported to the host first.
//
// Messages are framed with msgpack (the default) or with Storm's json framing; the serializer
// must match the host's topology.multilang.serializer. Squall's host sets the
// SQUALL_MULTILANG_SERIALIZER environment variable, which RunBolt and RunSpout follow unless the
// WithSerializer option says otherwise. Storm's own host speaks json only.
//
// # The squall extension
//
// When the host offers it, a component accepts Squall's extension of the protocol (unless
// WithoutExtension is given), which removes Storm's lockstep: tuples arrive in batches, the
// component's output for each host message leaves as one batch, a spout is asked for several
// tuples at once, and emits get the receiving task ids only when they ask with NeedTaskIDs.
// Without the extension, with Storm's host or with WithoutExtension, a component behaves exactly
// like one written with Storm's storm.py.
//
// # Values
//
// Tuple values decode as plain Go values. With msgpack: integers as int64 (uint64 above
// math.MaxInt64), floats as float64, strings as string, binary as []byte, arrays as []any, maps
// as map[string]any (map[any]any when a key is not a string). With json: numbers as json.Number,
// so that 64-bit integers survive; json has no binary type, and []byte values are sent as
// base64 strings. Emitted values may be any Go value the serializer can encode.
//
// # Concurrency
//
// RunBolt and RunSpout read and write the pipes on the goroutine that calls them, and call the
// component from it. Collectors and tuples must be used only from within the component's
// methods, while they run.
package squall
