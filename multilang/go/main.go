package squall

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// Main runs run, which normally calls RunBolt or RunSpout, and ends the process with the exit
// code Storm's multilang libraries use: 2, quietly, when the host went away (the normal way a
// topology stops its components); 1, after printing the error to stderr, for any other error
// (RunBolt and RunSpout have already reported it to the host); 0 when run returns nil.
//
// Main also ignores SIGPIPE, so that a host that closes the component's stdout ends it with
// code 2 like one that closes its stdin, instead of killing it with the signal.
func Main(run func() error) {
	signal.Ignore(syscall.SIGPIPE)
	os.Exit(exitCode(run(), os.Stderr))
}

func exitCode(err error, stderr io.Writer) int {
	switch {
	case err == nil:
		return 0
	case errors.Is(err, ErrHostWentAway):
		return 2
	}
	fmt.Fprintln(stderr, err)
	return 1
}
