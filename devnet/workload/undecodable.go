package workload

import (
	"math/rand/v2"

	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/rlp"
)

// Undecodable returns bytes that are not an EIP-2718 transaction:
// (*types.Transaction).UnmarshalBinary rejects every one of them. rng picks
// one of five shapes and fills it:
//
//   - empty bytes (too short for a typed envelope);
//   - a type byte in 0x40–0x7f, which no fork assigns, and a random payload;
//   - type 0x01 or 0x02 followed by an RLP list header longer than the payload;
//   - an RLP list of three integers, a legacy tx with too few fields;
//   - an RLP string, where a legacy tx must be a list.
func Undecodable(rng *rand.Rand) []byte {
	switch rng.IntN(5) {
	case 0:
		return []byte{}
	case 1:
		b := randomBytes(rng, 1+rng.IntN(64))
		return append([]byte{byte(0x40 + rng.IntN(0x40))}, b...)
	case 2:
		payload := randomBytes(rng, rng.IntN(100))
		// 0xf8 n: a list of n ≥ 100 bytes, more than payload holds.
		head := []byte{byte(types.AccessListTxType + rng.IntN(2)), 0xf8, byte(100 + rng.IntN(156))}
		return append(head, payload...)
	case 3:
		var list []byte // three integers of at most 9 bytes each: a short list
		for range 3 {
			list = rlp.AppendUint64(list, rng.Uint64())
		}
		return append([]byte{0xc0 + byte(len(list))}, list...)
	default:
		s := randomBytes(rng, 2+rng.IntN(54)) // a short string: one-byte header
		return append([]byte{0x80 + byte(len(s))}, s...)
	}
}

func randomBytes(rng *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}
