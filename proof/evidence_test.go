package proof

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"
)

// A proof file never makes the offline verifier panic or hang, whatever
// its bytes; an empty or foreign file is refused with ErrEvidence.
func FuzzVerifyEvidence(f *testing.F) {
	f.Add([]byte("RCPTPRF\x01"))
	f.Add([]byte("RCPTPRF\x01\xc0"))
	f.Add([]byte{})
	// A whole proof file, so that mutations reach the verifier.
	seed, err := os.ReadFile("testdata/loop-gas-30m.proof")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Fuzz(func(t *testing.T, in []byte) {
		// A mutated gas limit may allow a long loop: the deadline bounds it.
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_, _ = VerifyEvidence(ctx, in)
	})
}

func TestDecodeEvidenceRejects(t *testing.T) {
	for _, in := range [][]byte{nil, []byte("not a proof"), []byte("RCPTPRF\x02\xc0"), []byte("RCPTPRF\x01\xc0")} {
		if _, _, err := DecodeEvidence(in); err == nil {
			t.Errorf("%q decoded", in)
		}
	}
}

// proof/testdata holds two self-consistent proof files (made with a
// reviewer's builder) whose state-transition step calls a contract that
// loops until its gas is spent: one under a 30M domain gas limit, a proof
// that holds; one whose own chain spec names a gas limit of 2^62, which
// would run for hours.
func TestVerifyEvidenceStopsWhenTheContextEnds(t *testing.T) {
	small, err := os.ReadFile("testdata/loop-gas-30m.proof")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := VerifyEvidence(context.Background(), small); err != nil {
		t.Fatalf("the 30M-gas loop: %v", err)
	}
	huge, err := os.ReadFile("testdata/loop-gas-2e62.proof")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	go func() { _, err := VerifyEvidence(ctx, huge); done <- err }()
	select {
	case err := <-done:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("the 2^62-gas loop: %v, want the context's deadline", err)
		}
	case <-time.After(time.Minute): // a hang detector, not a timing check
		t.Fatal("still verifying a minute after the context ended")
	}
}
