package graphql

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/ethereum/go-ethereum/common/hexutil"
)

// Long writes what go-ethereum's hexutil writes, quoted.
func TestLongMarshalsAsHexutil(t *testing.T) {
	for _, n := range []uint64{0, 1, 15, 16, 255, 1 << 32, math.MaxUint64} {
		got, err := json.Marshal(Long(n))
		if err != nil {
			t.Fatal(err)
		}
		want, _ := json.Marshal(hexutil.EncodeUint64(n))
		if string(got) != string(want) {
			t.Errorf("Long(%d): %s, want %s", n, got, want)
		}
	}
}
