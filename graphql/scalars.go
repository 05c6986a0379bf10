package graphql

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"

	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/holiman/uint256"
)

// Long is the GraphQL Long scalar: a uint64 read from a JSON number or a
// decimal or 0x-hex string, written as 0x-hex (go-ethereum's convention).
type Long uint64

// ImplementsGraphQLType reports whether Long implements the named type.
func (Long) ImplementsGraphQLType(name string) bool { return name == "Long" }

// UnmarshalGraphQL reads a Long from a query literal or variable.
func (l *Long) UnmarshalGraphQL(input any) error {
	switch v := input.(type) {
	case string:
		var (
			n   uint64
			err error
		)
		if strings.HasPrefix(v, "0x") || strings.HasPrefix(v, "0X") {
			n, err = hexutil.DecodeUint64(strings.ToLower(v[:2]) + v[2:])
		} else {
			n, err = strconv.ParseUint(v, 10, 64)
		}
		if err != nil {
			return fmt.Errorf("Long %q: not a decimal or 0x-hex unsigned 64-bit integer", truncate(v, 40))
		}
		*l = Long(n)
	case int32:
		if v < 0 {
			return fmt.Errorf("Long %d is negative", v)
		}
		*l = Long(v)
	case int64:
		if v < 0 {
			return fmt.Errorf("Long %d is negative", v)
		}
		*l = Long(v)
	case float64:
		if v < 0 || v != math.Trunc(v) || v > 1<<53 {
			return fmt.Errorf("Long %v is not an unsigned integer a JSON number holds exactly; pass a string", v)
		}
		*l = Long(v)
	default:
		return fmt.Errorf("Long: unexpected %T", input)
	}
	return nil
}

// MarshalJSON writes 0x-hex, as hexutil.EncodeUint64 does, quoted.
func (l Long) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 20)
	b = append(b, `"0x`...)
	b = strconv.AppendUint(b, uint64(l), 16)
	return append(b, '"'), nil
}

func longPtr(n uint64) *Long { l := Long(n); return &l }

// bigInt converts a uint256 to the BigInt scalar.
func bigInt(u *uint256.Int) hexutil.Big { return hexutil.Big(*u.ToBig()) }

func bigPtr(b *big.Int) *hexutil.Big {
	if b == nil {
		return nil
	}
	return (*hexutil.Big)(new(big.Int).Set(b))
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// int32Of converts a small count to GraphQL's Int.
func int32Of[T ~int | ~uint32 | ~uint64 | ~uint8](v T) int32 {
	if uint64(v) > math.MaxInt32 {
		return math.MaxInt32
	}
	return int32(v)
}
