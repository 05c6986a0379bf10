package proof

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/ethereum/go-ethereum/core/types"

	"github.com/receiptd/receiptd/protocol"
)

// randomBundles returns one or two bundles of random transactions: legal
// ones of every kind, and now and then an illegal nonce, undecodable bytes,
// a duplicate or a wrong declared weight.
func (e *env) randomBundles(rng *rand.Rand) []bundleSpec {
	specs := []bundleSpec{{operator: 1}}
	if rng.IntN(2) == 0 {
		specs = append(specs, bundleSpec{operator: 2})
	}
	var all [][]byte
	for i := range specs {
		for range rng.IntN(6) {
			var x []byte
			switch r := rng.IntN(20); {
			case r == 0 && len(all) > 0:
				x = all[rng.IntN(len(all))] // a duplicate
			case r == 1:
				x = e.tx(rng.IntN(testKeys), kindNonceHigh, rng.Int64N(1000))
			case r == 2:
				x = e.tx(0, kindUndecodable, rng.Int64N(256))
			default:
				x = e.tx(rng.IntN(testKeys), txKind(rng.IntN(int(kindOutOfGas)+1)), rng.Int64N(1000))
			}
			specs[i].xs = append(specs[i].xs, x)
			all = append(all, x)
		}
		if rng.IntN(12) == 0 {
			specs[i].extraGas = 1
		}
	}
	return specs
}

// handMade is a proof made against an honest ER and the error its
// verification must give.
type handMade struct {
	name  string
	proof *protocol.FraudProof
	want  error
}

// handMadeProofs makes a proof of every kind and target against the honest
// ER of block n, from the honest data: each must fail.
func (e *env) handMadeProofs(t *testing.T, n uint64) []handMade {
	t.Helper()
	ctx := context.Background()
	honest := e.honest[n]
	tg, h := e.target(honest, n), e.honestInput(n)
	var out []handMade
	add := func(name string, want error, set func(p *protocol.FraudProof)) {
		p := &protocol.FraudProof{Domain: testDomain, BadReceiptHash: honest.Hash()}
		set(p)
		out = append(out, handMade{name, p, want})
	}
	add("extrinsics root", ErrRootsAgree, func(p *protocol.FraudProof) { p.ExtrinsicsRoot = &protocol.ExtrinsicsRootProof{} })
	add("trace length", ErrRootsAgree, func(p *protocol.FraudProof) {
		p.StateTransition = &protocol.StateTransitionProof{Phase: protocol.PhaseTraceLength}
	})
	add("block hash", ErrRootsAgree, func(p *protocol.FraudProof) {
		p.DomainBlockHash = &protocol.DomainBlockHashProof{Parent: types.CopyHeader(h.Parent)}
	})
	for i := range honest.Trace {
		st, err := buildStep(ctx, tg, h, i)
		if err != nil {
			t.Fatalf("block %d step %d: %v", n, i, err)
		}
		add(fmt.Sprint("step ", i), ErrRootsAgree, func(p *protocol.FraudProof) { p.StateTransition = st })
	}
	for j := range honest.InboxedBundles {
		bv, err := buildBundleValidity(ctx, tg, h, uint32(j))
		if err != nil {
			t.Fatalf("block %d bundle %d: %v", n, j, err)
		}
		add(fmt.Sprint("bundle ", j), ErrRootsAgree, func(p *protocol.FraudProof) { p.BundleValidity = bv })
		lie := *bv
		if lie.Validity.IsValid() {
			lie.Validity = protocol.Invalid(protocol.InvalidIllegalTx, 0)
		} else {
			lie.Validity = protocol.Valid(junk("digest"))
		}
		add(fmt.Sprint("bundle ", j, " claimed ", lie.Validity), ErrValidityMismatch, func(p *protocol.FraudProof) { p.BundleValidity = &lie })
	}
	for _, f := range []protocol.ResultField{protocol.ResultGasUsed, protocol.ResultReceiptsRoot, protocol.ResultLogsBloom, protocol.ResultFees} {
		er, err := buildExecutionResult(ctx, tg, h, f)
		if err != nil {
			t.Fatalf("block %d %s: %v", n, f, err)
		}
		add(f.String(), ErrRootsAgree, func(p *protocol.FraudProof) { p.ExecutionResult = er })
	}
	return out
}

// An honest receipt never yields a proof that verifies: over many random
// blocks, Build refuses it and every proof made from the honest data
// fails, with the reason that the receipt agrees.
func TestHonestReceiptsNeverProved(t *testing.T) {
	rounds := 48
	if testing.Short() {
		rounds = 8
	}
	e := newEnv(t, 1000)
	v := e.verifier()
	ctx := context.Background()
	seen := map[string]int{} // what the random blocks covered
	for round := range rounds {
		rng := rand.New(rand.NewPCG(uint64(round), 0x70726f6f66))
		n := e.advance(e.randomBundles(rng)...)
		honest := e.honest[n]
		s := e.submit(honest)
		seen[fmt.Sprintf("%d txs", min(len(honest.Trace)-2, 3))]++
		for _, ib := range honest.InboxedBundles {
			if ib.Validity.IsValid() {
				seen["Valid"]++
			} else {
				seen[ib.Validity.Invalid.String()]++
			}
		}
		if _, err := Build(ctx, honest, e.honestInput(n)); !errors.Is(err, ErrHonestReceipt) {
			t.Fatalf("round %d (#%d): Build on the honest receipt: %v", round, n, err)
		}
		for _, hm := range e.handMadeProofs(t, n) {
			if err := v.Verify(ctx, s, hm.proof); !errors.Is(err, hm.want) {
				t.Fatalf("round %d (#%d, %d txs, validity %v): %s: %v, want %v", round, n,
					len(honest.Trace)-2, honest.InboxedBundles, hm.name, err, hm.want)
			}
		}
	}
	t.Logf("blocks and bundles covered: %v", seen)
	if !testing.Short() {
		for _, want := range []string{"0 txs", "3 txs", "Valid", "IllegalTx", "Undecodable", "InvalidBundleWeight"} {
			if seen[want] == 0 {
				t.Errorf("the random blocks never had %q: the generator lost coverage", want)
			}
		}
	}
}

// The verifier says why it cannot judge a proof at all.
func TestVerifyRejectsTargets(t *testing.T) {
	e := newEnv(t, 1)
	ctx := context.Background()
	for range 3 {
		e.advance(bundleSpec{operator: 1, xs: [][]byte{e.tx(0, kindTransfer, 1)}})
	}
	e.state, _ = e.extend(e.state, bundleSpec{operator: 1}) // carries ER 3: ER 2 confirms
	d, _ := e.state.Domain(testDomain)
	if d.Tree.Confirmed != 2 || d.Tree.Head != 3 {
		t.Fatalf("tree confirmed #%d head #%d, want 2 and 3", d.Tree.Confirmed, d.Tree.Head)
	}
	proofAgainst := func(domain protocol.DomainID, er *protocol.ExecutionReceipt) *protocol.FraudProof {
		return &protocol.FraudProof{Domain: domain, BadReceiptHash: er.Hash(), ExtrinsicsRoot: &protocol.ExtrinsicsRootProof{}}
	}
	cases := []struct {
		name   string
		blocks ConsensusBlocks
		proof  *protocol.FraudProof
		want   error
	}{
		{"unknown domain", e.blocks, proofAgainst(testDomain+1, e.honest[3]), ErrUnknownDomain},
		{"unknown receipt", e.blocks, proofAgainst(testDomain, cloneReceiptWith(e.honest[3], func(r *protocol.ExecutionReceipt) { r.GasUsed++ })), ErrUnknownReceipt},
		{"confirmed receipt", e.blocks, proofAgainst(testDomain, e.honest[2]), ErrReceiptConfirmed},
		{"consensus block unavailable", blockMap{}, proofAgainst(testDomain, e.honest[3]), ErrConsensusData},
		{"honest extrinsics root", e.blocks, proofAgainst(testDomain, e.honest[3]), ErrRootsAgree},
		{"no payload", e.blocks, &protocol.FraudProof{Domain: testDomain, BadReceiptHash: e.honest[3].Hash()}, protocol.ErrProofPayload},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v, err := NewVerifier(tc.blocks, Config{})
			if err != nil {
				t.Fatal(err)
			}
			if err := v.Verify(ctx, e.state, tc.proof); !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
}

func cloneReceiptWith(r *protocol.ExecutionReceipt, mutate func(*protocol.ExecutionReceipt)) *protocol.ExecutionReceipt {
	cp := cloneReceipt(r)
	mutate(cp)
	return cp
}
