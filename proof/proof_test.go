package proof

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/ethereum/go-ethereum/rlp"

	"github.com/receiptd/receiptd/protocol"
)

// Every fault kind: Build makes the expected proof, it verifies, survives
// an encoding round trip and verifies again from bytes, and consensus
// accepts it: the bad ER is pruned and its backer slashed.
func TestBuildAndVerify(t *testing.T) {
	f := newFixture(t)
	v := f.verifier()
	ctx := context.Background()
	for _, c := range f.build(t) {
		t.Run(c.name, func(t *testing.T) {
			if !c.want(f, c.proof) {
				t.Fatalf("built %s proof %+v, not the one expected", c.proof.Kind(), c.proof)
			}
			if err := v.Verify(ctx, c.state, c.proof); err != nil {
				t.Fatalf("verify: %v", err)
			}
			enc, err := rlp.EncodeToBytes(c.proof)
			if err != nil {
				t.Fatal(err)
			}
			dec, err := protocol.DecodeProof(enc)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if again, _ := rlp.EncodeToBytes(dec); !bytes.Equal(again, enc) {
				t.Fatal("re-encoding differs")
			}
			if err := v.Verify(ctx, c.state, dec); err != nil {
				t.Fatalf("verify from bytes: %v", err)
			}
			// Before the bad ER was submitted, the proof names an unknown ER.
			if err := v.Verify(ctx, f.state, dec); !errors.Is(err, ErrUnknownReceipt) {
				t.Fatalf("against the chain without the bad ER: %v, want ErrUnknownReceipt", err)
			}
			checkConsensusAccepts(t, f, c, v)
		})
	}
}

// checkConsensusAccepts puts the proof in the next consensus block.
func checkConsensusAccepts(t *testing.T, f *fixture, c badCase, v *Verifier) {
	t.Helper()
	b := c.state.NewBuilder(f.header(c.state), v)
	if err := b.AddProof(c.proof); err != nil {
		t.Fatalf("consensus refused the proof: %v", err)
	}
	next, _, events := b.Finish()
	d, _ := next.Domain(testDomain)
	if d.Tree.Head != f.n-1 {
		t.Fatalf("head after the proof is #%d, want #%d", d.Tree.Head, f.n-1)
	}
	if op, _ := next.Operator(1); op.Status != protocol.OperatorSlashed {
		t.Fatalf("the bad ER's backer is %s; events %v", op.Status, events)
	}
}

// samplePositions returns every position of a short encoding and a
// deterministic sample of at least min of a long one, the first bytes (kind,
// hashes, lengths) always included.
func samplePositions(n, min int, seed uint64) []int {
	if n <= 2*min {
		out := make([]int, n)
		for i := range out {
			out[i] = i
		}
		return out
	}
	rng := rand.New(rand.NewPCG(seed, uint64(n)))
	out := make([]int, 0, min+64)
	for i := range 64 {
		out = append(out, i)
	}
	for range min {
		out = append(out, 64+rng.IntN(n-64))
	}
	return out
}

// Flipping one bit of any sampled byte of a proof's encoding makes decoding
// or verification fail.
func TestFlippedBytesFail(t *testing.T) {
	f := newFixture(t)
	v := f.verifier()
	ctx := context.Background()
	sample := 400
	if testing.Short() {
		sample = 40
	}
	for ci, c := range f.build(t) {
		t.Run(c.name, func(t *testing.T) {
			enc, err := rlp.EncodeToBytes(c.proof)
			if err != nil {
				t.Fatal(err)
			}
			reasons := map[string]int{}
			for _, pos := range samplePositions(len(enc), sample, uint64(ci)) {
				mut := bytes.Clone(enc)
				mut[pos] ^= 1 << (pos % 8)
				p, err := protocol.DecodeProof(mut)
				if err != nil {
					reasons["decode"]++
					continue
				}
				err = v.Verify(ctx, c.state, p)
				if err == nil {
					t.Fatalf("flipping bit %d of byte %d of %d still verifies", pos%8, pos, len(enc))
				}
				reasons[reason(err)]++
			}
			t.Logf("%d bytes; failures by reason %v", len(enc), reasons)
		})
	}
}

// reason names the sentinel an error wraps.
func reason(err error) string {
	for _, s := range []error{ErrUnknownDomain, ErrUnknownReceipt, ErrReceiptConfirmed, ErrConsensusData, ErrAnchor,
		ErrWitnessIncomplete, ErrWitnessUnused, ErrNonCanonical, ErrWrongPhase, ErrTxProof, ErrBlockMismatch,
		ErrNoSuchBundle, ErrValidityMismatch, ErrPrecedingFault, ErrExecution, ErrRootsAgree} {
		if errors.Is(err, s) {
			return s.Error()
		}
	}
	return "other: " + err.Error()
}

// A step proof with the witness of another step of the same block fails.
func TestWitnessSwapFails(t *testing.T) {
	f := newFixture(t)
	v := f.verifier()
	ctx := context.Background()
	honest := f.honest[f.n]
	ht := f.target(honest, f.n)
	n := f.txCount()
	witnesses := make([]protocol.Witness, n+2)
	for i := range witnesses {
		st, err := buildStep(ctx, ht, f.honestInput(f.n), i)
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		witnesses[i] = st.Witness
	}
	for _, c := range f.build(t) {
		st := c.proof.StateTransition
		if st == nil || st.Phase == protocol.PhaseTraceLength {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			for j, w := range witnesses {
				if j == int(st.Index) {
					continue
				}
				cp := *st
				cp.Witness = w
				p := &protocol.FraudProof{Domain: c.proof.Domain, BadReceiptHash: c.proof.BadReceiptHash, StateTransition: &cp}
				err := v.Verify(ctx, c.state, p)
				if !isOneOf(err, ErrWitnessIncomplete, ErrWitnessUnused) {
					t.Errorf("step %d with the witness of step %d: %v, want an incomplete or unused witness", st.Index, j, err)
				}
			}
		})
	}
}
