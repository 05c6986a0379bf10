package proof

import (
	"context"
	"testing"
)

// A proof file never makes the offline verifier panic or hang, whatever
// its bytes; an empty or foreign file is refused with ErrEvidence.
func FuzzVerifyEvidence(f *testing.F) {
	f.Add([]byte("RCPTPRF\x01"))
	f.Add([]byte("RCPTPRF\x01\xc0"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, in []byte) {
		_, _ = VerifyEvidence(context.Background(), in)
	})
}

func TestDecodeEvidenceRejects(t *testing.T) {
	for _, in := range [][]byte{nil, []byte("not a proof"), []byte("RCPTPRF\x02\xc0"), []byte("RCPTPRF\x01\xc0")} {
		if _, _, err := DecodeEvidence(in); err == nil {
			t.Errorf("%q decoded", in)
		}
	}
}
