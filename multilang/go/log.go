package squall

// LogLevel is the level of a message sent to the host's log.
type LogLevel int

// The levels of the protocol's log command.
const (
	LogTrace LogLevel = iota
	LogDebug
	LogInfo
	LogWarn
	LogError
)
