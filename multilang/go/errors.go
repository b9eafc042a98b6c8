package squall

import "errors"

var (
	// ErrHostWentAway means the host closed the component's stdin or stopped reading its stdout.
	// Storm and Squall close stdin to stop a component, so this is how a component normally ends;
	// Main exits with code 2 for it, quietly, as storm.py and pystorm do.
	ErrHostWentAway = errors.New("squall: host went away")

	// ErrFailTuple, wrapped in an error that a BasicBolt's Process returns, fails the input tuple
	// (so that its spout replays it) instead of stopping the component.
	ErrFailTuple = errors.New("squall: fail tuple")

	// ErrProtocol means the host sent something that is not a message of the protocol.
	ErrProtocol = errors.New("squall: protocol error")

	// ErrUnknownSerializer is returned for a serializer other than "msgpack" or "json".
	ErrUnknownSerializer = errors.New("squall: unknown serializer")

	// ErrUnsupportedValue is returned for a value the serializer cannot encode, such as a
	// channel, or NaN with json. Nothing of the message it was part of is sent.
	ErrUnsupportedValue = errors.New("squall: unsupported value")

	// ErrInvalidEmit is returned for an emit option that does not apply to the collector, such
	// as MessageID on a bolt or Anchors on a spout.
	ErrInvalidEmit = errors.New("squall: invalid emit")
)
