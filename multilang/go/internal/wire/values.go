package wire

import (
	"encoding/json"
	"math"
)

// ToInt converts a decoded integer (int64 or uint64 from msgpack, json.Number from json) to int.
func ToInt(v any) (int, bool) {
	switch n := v.(type) {
	case int64:
		return int(n), true
	case uint64:
		return int(n), n <= math.MaxInt
	case int:
		return n, true
	case json.Number:
		i, err := n.Int64()
		return int(i), err == nil
	}
	return 0, false
}
