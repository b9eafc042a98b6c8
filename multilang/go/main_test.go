package squall

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestExitCode(t *testing.T) {
	cases := []struct {
		err    error
		code   int
		stderr string
	}{
		{nil, 0, ""},
		{fmt.Errorf("%w: reading: EOF", ErrHostWentAway), 2, ""},
		{errors.New("boom"), 1, "boom\n"},
		{fmt.Errorf("%w: bad message", ErrProtocol), 1, "squall: protocol error: bad message\n"},
	}
	for _, c := range cases {
		var stderr strings.Builder
		if code := exitCode(c.err, &stderr); code != c.code || stderr.String() != c.stderr {
			t.Errorf("exitCode(%v) = %d, wrote %q; want %d, %q", c.err, code, stderr.String(), c.code, c.stderr)
		}
	}
}
