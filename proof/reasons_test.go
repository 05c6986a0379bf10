package proof

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"

	"github.com/receiptd/receiptd/protocol"
)

// deepCopy copies a proof through its encoding, so a tampering never
// reaches the original.
func deepCopy(t *testing.T, p *protocol.FraudProof) *protocol.FraudProof {
	t.Helper()
	var buf bytes.Buffer
	if err := p.EncodeRLP(&buf); err != nil {
		t.Fatal(err)
	}
	cp, err := protocol.DecodeProof(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	return cp
}

// A built proof, tampered with one way or checked against another receipt,
// fails with the reason that names what is wrong.
func TestVerifyReasons(t *testing.T) {
	f := newFixture(t)
	v := f.verifier()
	ctx := context.Background()
	cases := map[string]badCase{}
	for _, c := range f.build(t) {
		cases[c.name] = c
	}
	tests := []struct {
		name   string
		proof  string // the case whose proof is tampered with
		state  string // the case whose state (and bad ER) it is checked against; "" for the same
		tamper func(p *protocol.FraudProof)
		want   error
	}{
		{name: "trace-length proof of a trace of the right length", proof: "trace too long", state: "trace storage tx", want: ErrRootsAgree},
		{name: "step proof of a trace of the wrong length", proof: "trace storage tx", state: "trace too long", want: ErrWrongPhase},
		{name: "step proof of an entry that is right", proof: "trace storage tx", state: "trace init", want: ErrRootsAgree},
		{name: "tx step named finalise", proof: "trace storage tx", want: ErrWrongPhase,
			tamper: func(p *protocol.FraudProof) {
				p.StateTransition.Phase, p.StateTransition.Tx, p.StateTransition.TxProof = protocol.PhaseFinalize, nil, nil
			}},
		{name: "index past the trace", proof: "trace finalise", want: ErrWrongPhase,
			tamper: func(p *protocol.FraudProof) { p.StateTransition.Index += 5 }},
		{name: "tx of another position", proof: "trace storage tx", want: ErrTxProof,
			tamper: func(p *protocol.FraudProof) { p.StateTransition.Index-- }},
		{name: "tx proof with a node missing", proof: "trace storage tx", want: ErrTxProof,
			tamper: func(p *protocol.FraudProof) { p.StateTransition.TxProof = p.StateTransition.TxProof[1:] }},
		{name: "tx proof nodes out of order", proof: "trace storage tx", want: ErrNonCanonical,
			tamper: func(p *protocol.FraudProof) { slices.Reverse(p.StateTransition.TxProof) }},
		{name: "witness node duplicated", proof: "trace storage tx", want: ErrNonCanonical,
			tamper: func(p *protocol.FraudProof) {
				w := &p.StateTransition.Witness
				w.State = slices.Insert(w.State, 1, w.State[1])
			}},
		{name: "witness with a node of another step", proof: "trace init", want: ErrWitnessUnused,
			tamper: func(p *protocol.FraudProof) {
				w := &p.StateTransition.Witness
				w.State = append(w.State, cases["trace storage tx"].proof.StateTransition.Witness.State...)
				slices.SortFunc(w.State, bytes.Compare)
				w.State = slices.CompactFunc(w.State, func(a, b []byte) bool { return bytes.Equal(a, b) })
			}},
		{name: "witness missing the deepest BLOCKHASH header", proof: "trace blockhash tx", want: ErrWitnessIncomplete,
			tamper: func(p *protocol.FraudProof) {
				w := &p.StateTransition.Witness
				w.Headers = w.Headers[:len(w.Headers)-1]
			}},
		{name: "witness with a header no step reads", proof: "trace storage tx", want: ErrWitnessUnused,
			tamper: func(p *protocol.FraudProof) {
				w := &p.StateTransition.Witness
				w.Headers = append(w.Headers, f.headers[w.Headers[0].ParentHash])
			}},
		{name: "witness of another parent", proof: "trace init", want: ErrAnchor,
			tamper: func(p *protocol.FraudProof) {
				w := &p.StateTransition.Witness
				w.Headers[0] = f.headers[w.Headers[0].ParentHash]
			}},
		{name: "trace-length proof with a witness", proof: "trace too long", want: ErrNonCanonical,
			tamper: func(p *protocol.FraudProof) {
				p.StateTransition.Witness = cases["trace init"].proof.StateTransition.Witness
			}},
		{name: "validity with an account never read", proof: "bundle wrongly Valid", want: ErrWitnessUnused,
			tamper: func(p *protocol.FraudProof) { addAccount(p.BundleValidity, common.Address{}) }},
		{name: "validity missing an account", proof: "bundle wrongly Valid", want: ErrWitnessIncomplete,
			tamper: func(p *protocol.FraudProof) { p.BundleValidity.Accounts = p.BundleValidity.Accounts[1:] }},
		{name: "validity accounts out of order", proof: "bundle wrongly Valid", want: ErrNonCanonical,
			tamper: func(p *protocol.FraudProof) { slices.Reverse(p.BundleValidity.Accounts) }},
		{name: "validity of a bundle past the block", proof: "bundle wrongly Valid", want: ErrNoSuchBundle,
			tamper: func(p *protocol.FraudProof) { p.BundleValidity.BundleIndex = 2 }},
		{name: "validity that is not the derived one", proof: "bundle wrongly Valid", want: ErrValidityMismatch,
			tamper: func(p *protocol.FraudProof) {
				p.BundleValidity.Validity = protocol.Invalid(protocol.InvalidIllegalTx, 0)
			}},
		{name: "validity with the parent of another block", proof: "bundle wrongly Valid", want: ErrAnchor,
			tamper: func(p *protocol.FraudProof) { p.BundleValidity.Parent = f.headers[p.BundleValidity.Parent.ParentHash] }},
		{name: "result field that is right", proof: "operator fees", want: ErrRootsAgree,
			tamper: func(p *protocol.FraudProof) { p.ExecutionResult.Field = protocol.ResultGasUsed }},
		{name: "result block with another header", proof: "operator fees", want: ErrBlockMismatch,
			tamper: func(p *protocol.FraudProof) {
				h := p.ExecutionResult.Block.Header()
				h.Extra = []byte{1}
				p.ExecutionResult.Block = p.ExecutionResult.Block.WithSeal(h)
			}},
		{name: "result block with an empty withdrawals list", proof: "operator fees", want: ErrBlockMismatch,
			tamper: func(p *protocol.FraudProof) {
				b := p.ExecutionResult.Block
				p.ExecutionResult.Block = b.WithBody(types.Body{Transactions: b.Transactions(), Withdrawals: []*types.Withdrawal{}})
			}},
		{name: "result block missing a tx", proof: "operator fees", want: ErrTxProof,
			tamper: func(p *protocol.FraudProof) {
				b := p.ExecutionResult.Block
				p.ExecutionResult.Block = b.WithBody(types.Body{Transactions: b.Transactions()[1:]})
			}},
		{name: "result witness missing a code", proof: "operator fees", want: ErrWitnessIncomplete,
			tamper: func(p *protocol.FraudProof) { p.ExecutionResult.Witness.Codes = p.ExecutionResult.Witness.Codes[1:] }},
		{name: "block hash with the grandparent", proof: "domain block hash", want: ErrAnchor,
			tamper: func(p *protocol.FraudProof) {
				p.DomainBlockHash.Parent = f.headers[p.DomainBlockHash.Parent.ParentHash]
			}},
		{name: "block hash of a receipt whose hash is right", proof: "domain block hash", state: "trace storage tx", want: ErrRootsAgree},
		{name: "extrinsics root that is right", proof: "extrinsics root", state: "trace init", want: ErrRootsAgree},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src, ok := cases[tc.proof]
			if !ok {
				t.Fatalf("no case %q", tc.proof)
			}
			against := src
			if tc.state != "" {
				against = cases[tc.state]
			}
			p := deepCopy(t, src.proof)
			p.BadReceiptHash = against.bad.Hash()
			if tc.tamper != nil {
				tc.tamper(p)
			}
			err := v.Verify(ctx, against.state, p)
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			t.Log(err)
		})
	}
}

// addAccount adds an account to a validity proof in canonical order.
func addAccount(bv *protocol.BundleValidityProof, a common.Address) {
	bv.Accounts = append(bv.Accounts, a)
	slices.SortFunc(bv.Accounts, func(x, y common.Address) int { return x.Cmp(y) })
}
