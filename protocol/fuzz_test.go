package protocol

import (
	"bytes"
	"testing"

	"github.com/ethereum/go-ethereum/rlp"
)

// Each decoder must never panic, and whatever it accepts must be canonical:
// re-encoding gives back the input, so no two encodings name one value.

func fuzzDecoder[T any](f *testing.F, seeds []any, decode func([]byte) (*T, error)) {
	for _, s := range seeds {
		f.Add(mustEncode(f, s))
	}
	f.Add([]byte{})
	f.Add([]byte{0xc0})
	f.Fuzz(func(t *testing.T, in []byte) {
		v, err := decode(in)
		if err != nil {
			return
		}
		out, err := rlp.EncodeToBytes(v)
		if err != nil {
			t.Fatalf("decoded value does not encode: %v", err)
		}
		if !bytes.Equal(out, in) {
			t.Fatalf("non-canonical input accepted:\n in %x\nout %x", in, out)
		}
	})
}

func FuzzDecodeReceipt(f *testing.F) {
	fuzzDecoder(f, []any{sampleReceipt()}, DecodeReceipt)
}

func FuzzDecodeBundle(f *testing.F) {
	fuzzDecoder(f, []any{sampleBundle()}, DecodeBundle)
}

func FuzzDecodeBlock(f *testing.F) {
	fuzzDecoder(f, []any{sampleBlock()}, DecodeBlock)
}

func FuzzDecodeHeader(f *testing.F) {
	fuzzDecoder(f, []any{&sampleBlock().Header}, DecodeHeader)
}

func FuzzDecodeProof(f *testing.F) {
	var seeds []any
	for _, p := range sampleProofs() {
		seeds = append(seeds, p)
	}
	fuzzDecoder(f, seeds, DecodeProof)
}
