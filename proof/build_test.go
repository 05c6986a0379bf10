package proof

import (
	"context"
	"errors"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/receiptd/receiptd/protocol"
)

// A bundle with bytes that are no transaction, flagged Valid: Build proves
// its validity, and proofs of fields ranked below say a higher-priority
// field is wrong instead of judging on flags that cannot hold.
func TestUndecodableFlaggedValid(t *testing.T) {
	e := newEnv(t, 1000)
	ctx := context.Background()
	e.advance(bundleSpec{operator: 1, xs: [][]byte{e.tx(0, kindTransfer, 1)}})
	n := e.advance(bundleSpec{operator: 1, xs: [][]byte{e.tx(1, kindTransfer, 2), e.tx(0, kindUndecodable, 3)}})
	honest := e.honest[n]
	if got := honest.InboxedBundles[0].Validity; got != protocol.Invalid(protocol.InvalidUndecodable, 1) {
		t.Fatalf("bundle validity %s, want Invalid(Undecodable, 1)", got)
	}
	bad := cloneReceiptWith(honest, func(r *protocol.ExecutionReceipt) { r.InboxedBundles[0].Validity = protocol.Valid(junk("d")) })
	s := e.submit(bad)
	v := e.verifier()

	p, err := Build(ctx, bad, e.honestInput(n))
	if err != nil {
		t.Fatal(err)
	}
	if p.BundleValidity == nil || p.BundleValidity.Validity != honest.InboxedBundles[0].Validity {
		t.Fatalf("built %s proof, want the bundle's true validity", p.Kind())
	}
	if err := v.Verify(ctx, s, p); err != nil {
		t.Fatalf("verify: %v", err)
	}
	for _, q := range []*protocol.FraudProof{
		{ExtrinsicsRoot: &protocol.ExtrinsicsRootProof{}},
		{StateTransition: &protocol.StateTransitionProof{Phase: protocol.PhaseTraceLength}},
	} {
		q.Domain, q.BadReceiptHash = testDomain, bad.Hash()
		if err := v.Verify(ctx, s, q); !errors.Is(err, ErrPrecedingFault) {
			t.Errorf("%s proof: %v, want ErrPrecedingFault", q.Kind(), err)
		}
	}
}

// Build refuses inputs that do not describe the bad ER's block and ERs
// whose only faults consensus itself rules out.
func TestBuildRefuses(t *testing.T) {
	e := newEnv(t, 1000)
	ctx := context.Background()
	for k := range 2 {
		e.advance(bundleSpec{operator: 1, xs: [][]byte{e.tx(k, kindStore, int64(k))}})
	}
	honest := e.honest[2]
	cases := []struct {
		name  string
		bad   *protocol.ExecutionReceipt
		input *Honest
		want  error
	}{
		{"honest receipt", honest, e.honestInput(2), ErrHonestReceipt},
		{"another block's honest data", cloneReceiptWith(honest, func(r *protocol.ExecutionReceipt) { r.GasUsed++ }), e.honestInput(1), ErrNotProvable},
		{"no honest data", honest, &Honest{}, ErrNotProvable},
		{"only the trace root wrong", cloneReceiptWith(honest, func(r *protocol.ExecutionReceipt) { r.TraceRoot = junk("root") }), e.honestInput(2), ErrNotProvable},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if p, err := Build(ctx, tc.bad, tc.input); !errors.Is(err, tc.want) {
				t.Fatalf("proof %v, error %v; want %v", p, err, tc.want)
			}
		})
	}
}

func TestOldestBad(t *testing.T) {
	entry := func(n uint64, tag string) *protocol.TreeEntry {
		r := &protocol.ExecutionReceipt{DomainNumber: n, DomainHash: junk(tag)}
		return &protocol.TreeEntry{Receipt: r, Hash: r.Hash()}
	}
	good := []*protocol.TreeEntry{entry(5, "a"), entry(6, "b"), entry(7, "c"), entry(8, "d")}
	honest := func(known uint64) func(uint64) (common.Hash, bool) {
		return func(n uint64) (common.Hash, bool) {
			if n > known {
				return common.Hash{}, false
			}
			return good[n-5].Hash, true
		}
	}
	run := []*protocol.TreeEntry{good[0], entry(6, "x"), entry(7, "y"), entry(8, "z")}
	tests := []struct {
		name    string
		pending []*protocol.TreeEntry
		known   uint64
		want    uint64 // 0: none
	}{
		{"all honest", good, 8, 0},
		{"a run of bad receipts: the oldest", run, 8, 6},
		{"the honest side not there yet", run, 5, 0},
		{"nothing pending", nil, 8, 0},
	}
	for _, tt := range tests {
		e, ok := OldestBad(tt.pending, honest(tt.known))
		switch {
		case tt.want == 0 && ok:
			t.Errorf("%s: got #%d, want none", tt.name, e.Receipt.DomainNumber)
		case tt.want != 0 && (!ok || e.Receipt.DomainNumber != tt.want):
			t.Errorf("%s: got %v %v, want #%d", tt.name, e, ok, tt.want)
		}
	}
}
