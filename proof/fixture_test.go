package proof

import (
	"context"
	"slices"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/receiptd/receiptd/protocol"
)

// fixture is the test chain up to a target domain block n whose consensus
// block has a Valid bundle (transfers, a storage write with a log, a
// BLOCKHASH call reading three blocks back, a call that runs out of gas)
// and a bundle Invalid at its second tx.
type fixture struct {
	*env
	n                          uint64
	store, blockHash, outOfGas common.Hash // tx hashes in block n
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	e := newEnv(t, 1000)
	for b := range int64(3) {
		e.advance(bundleSpec{operator: 1, xs: [][]byte{e.tx(0, kindTransfer, b), e.tx(1, kindStore, b), e.tx(2, kindBlockHash, b)}})
	}
	f := &fixture{env: e}
	valid := [][]byte{e.tx(0, kindTransfer, 10), e.tx(1, kindStore, 11), e.tx(2, kindBlockHash, 12),
		e.tx(3, kindOutOfGas, 13), e.tx(0, kindTransfer, 14), e.tx(4, kindStore, 15)}
	invalid := [][]byte{e.tx(5, kindTransfer, 16), e.tx(6, kindNonceHigh, 17), e.tx(7, kindTransfer, 18)}
	f.store, f.blockHash, f.outOfGas = txHash(valid[1]), txHash(valid[2]), txHash(valid[3])
	f.n = e.advance(bundleSpec{operator: 1, xs: valid}, bundleSpec{operator: 2, xs: invalid})
	got := e.honest[f.n].InboxedBundles
	if len(got) != 2 || !got[0].Validity.IsValid() || got[1].Validity != protocol.Invalid(protocol.InvalidIllegalTx, 1) {
		t.Fatalf("fixture block validity %v, want [Valid, Invalid(IllegalTx, 1)]", got)
	}
	return f
}

// cloneReceipt deep-copies an ER.
func cloneReceipt(r *protocol.ExecutionReceipt) *protocol.ExecutionReceipt {
	cp := *r
	cp.InboxedBundles = slices.Clone(r.InboxedBundles)
	cp.Trace = slices.Clone(r.Trace)
	return &cp
}

// junk is a hash nobody knows a preimage of.
func junk(tag string) common.Hash { return crypto.Keccak256Hash([]byte("junk " + tag)) }

// fault is one way an ER of the fixture's block n can be wrong, and the
// proof Build must make of it.
type fault struct {
	name   string
	mutate func(f *fixture, r *protocol.ExecutionReceipt)
	want   func(f *fixture, p *protocol.FraudProof) bool
}

func stepProof(phase protocol.TracePhase, index func(f *fixture) int) func(*fixture, *protocol.FraudProof) bool {
	return func(f *fixture, p *protocol.FraudProof) bool {
		st := p.StateTransition
		return st != nil && st.Phase == phase && int(st.Index) == index(f)
	}
}

func resultProof(field protocol.ResultField) func(*fixture, *protocol.FraudProof) bool {
	return func(_ *fixture, p *protocol.FraudProof) bool {
		return p.ExecutionResult != nil && p.ExecutionResult.Field == field
	}
}

func validityProof(i uint32) func(*fixture, *protocol.FraudProof) bool {
	return func(_ *fixture, p *protocol.FraudProof) bool {
		return p.BundleValidity != nil && p.BundleValidity.BundleIndex == i
	}
}

func (f *fixture) txCount() int { return len(f.derived[f.n].d.Txs) }

func faults() []fault {
	at := func(i int) func(*fixture) int { return func(*fixture) int { return i } }
	pos := func(which func(f *fixture) common.Hash) func(*fixture) int {
		return func(f *fixture) int { return f.position(f.n, which(f)) }
	}
	return []fault{
		{"trace init", func(_ *fixture, r *protocol.ExecutionReceipt) { r.Trace[0] = junk("init") },
			stepProof(protocol.PhaseInit, at(0))},
		{"trace first tx", func(_ *fixture, r *protocol.ExecutionReceipt) { r.Trace[1] = r.Trace[0] },
			stepProof(protocol.PhaseTx, at(1))},
		{"trace storage tx", func(f *fixture, r *protocol.ExecutionReceipt) { r.Trace[f.position(f.n, f.store)] = junk("store") },
			stepProof(protocol.PhaseTx, pos(func(f *fixture) common.Hash { return f.store }))},
		{"trace blockhash tx", func(f *fixture, r *protocol.ExecutionReceipt) {
			i := f.position(f.n, f.blockHash)
			r.Trace[i] = r.Trace[i-1]
		}, stepProof(protocol.PhaseTx, pos(func(f *fixture) common.Hash { return f.blockHash }))},
		{"trace out-of-gas tx", func(f *fixture, r *protocol.ExecutionReceipt) { r.Trace[f.position(f.n, f.outOfGas)] = junk("oog") },
			stepProof(protocol.PhaseTx, pos(func(f *fixture) common.Hash { return f.outOfGas }))},
		{"trace finalise", func(_ *fixture, r *protocol.ExecutionReceipt) { r.Trace[len(r.Trace)-1] = junk("final") },
			stepProof(protocol.PhaseFinalize, func(f *fixture) int { return f.txCount() + 1 })},
		{"final state root", func(_ *fixture, r *protocol.ExecutionReceipt) {
			n := len(r.Trace)
			r.Trace[n-2], r.Trace[n-1] = r.Trace[n-3], r.Trace[n-3] // the last tx left out
		}, stepProof(protocol.PhaseTx, func(f *fixture) int { return f.txCount() })},
		{"trace too short", func(_ *fixture, r *protocol.ExecutionReceipt) { r.Trace = slices.Delete(r.Trace, 2, 3) },
			stepProof(protocol.PhaseTraceLength, at(0))},
		{"trace too long", func(_ *fixture, r *protocol.ExecutionReceipt) { r.Trace = append(r.Trace, r.Trace[len(r.Trace)-1]) },
			stepProof(protocol.PhaseTraceLength, at(0))},
		{"extrinsics root", func(_ *fixture, r *protocol.ExecutionReceipt) { r.ExtrinsicsRoot = junk("txs") },
			func(_ *fixture, p *protocol.FraudProof) bool { return p.ExtrinsicsRoot != nil }},
		{"bundle wrongly Valid", func(_ *fixture, r *protocol.ExecutionReceipt) {
			r.InboxedBundles[1].Validity = protocol.Valid(junk("digest"))
		}, validityProof(1)},
		{"bundle wrongly Invalid", func(_ *fixture, r *protocol.ExecutionReceipt) {
			r.InboxedBundles[0].Validity = protocol.Invalid(protocol.InvalidIllegalTx, 3)
		}, validityProof(0)},
		{"wrong digest", func(_ *fixture, r *protocol.ExecutionReceipt) {
			r.InboxedBundles[0].Validity = protocol.Valid(junk("digest"))
		}, validityProof(0)},
		{"wrong invalid index", func(_ *fixture, r *protocol.ExecutionReceipt) {
			r.InboxedBundles[1].Validity = protocol.Invalid(protocol.InvalidIllegalTx, 2)
		}, validityProof(1)},
		{"wrong invalid kind", func(_ *fixture, r *protocol.ExecutionReceipt) {
			r.InboxedBundles[1].Validity = protocol.Invalid(protocol.InvalidBundleWeight, 0)
		}, validityProof(1)},
		{"domain block hash", func(_ *fixture, r *protocol.ExecutionReceipt) { r.DomainHash = junk("hash") },
			func(_ *fixture, p *protocol.FraudProof) bool { return p.DomainBlockHash != nil }},
		{"operator fees", func(_ *fixture, r *protocol.ExecutionReceipt) { r.Fees.Operators.AddUint64(&r.Fees.Operators, 1) },
			resultProof(protocol.ResultFees)},
		{"burned fees", func(_ *fixture, r *protocol.ExecutionReceipt) { r.Fees.Burned.Clear() }, resultProof(protocol.ResultFees)},
		{"gas used", func(_ *fixture, r *protocol.ExecutionReceipt) { r.GasUsed-- }, resultProof(protocol.ResultGasUsed)},
		{"receipts root", func(_ *fixture, r *protocol.ExecutionReceipt) { r.ReceiptsRoot = junk("receipts") },
			resultProof(protocol.ResultReceiptsRoot)},
		{"logs bloom", func(_ *fixture, r *protocol.ExecutionReceipt) { r.LogsBloom[7] ^= 0x10 }, resultProof(protocol.ResultLogsBloom)},
		{"priority: validity over trace and hash", func(_ *fixture, r *protocol.ExecutionReceipt) {
			r.Trace[2], r.DomainHash = junk("t"), junk("h")
			r.InboxedBundles[1].Validity = protocol.Valid(junk("d"))
		}, validityProof(1)},
		{"priority: trace over result", func(_ *fixture, r *protocol.ExecutionReceipt) {
			r.Trace[3], r.GasUsed = junk("t"), 1
		}, stepProof(protocol.PhaseTx, at(3))},
		{"priority: result over hash", func(_ *fixture, r *protocol.ExecutionReceipt) {
			r.ReceiptsRoot, r.DomainHash = junk("r"), junk("h")
		}, resultProof(protocol.ResultReceiptsRoot)},
	}
}

// badCase is a fault applied: the bad ER, the consensus state with it
// pending, and the proof Build made.
type badCase struct {
	fault
	bad   *protocol.ExecutionReceipt
	state *protocol.State
	proof *protocol.FraudProof
}

// badReceipt applies the fault to the honest ER of block n and keeps the
// trace rules consensus checks.
func (f *fixture) badReceipt(ft fault) *protocol.ExecutionReceipt {
	r := cloneReceipt(f.honest[f.n])
	ft.mutate(f, r)
	r.TraceRoot, r.FinalStateRoot = protocol.TraceRoot(r.Trace), r.Trace[len(r.Trace)-1]
	return r
}

// build submits each fault's bad ER and builds its proof.
func (f *fixture) build(t testing.TB) []badCase {
	t.Helper()
	var out []badCase
	for _, ft := range faults() {
		bad := f.badReceipt(ft)
		s := f.submit(bad)
		p, err := Build(context.Background(), bad, f.honestInput(f.n))
		if err != nil {
			t.Fatalf("%s: build: %v", ft.name, err)
		}
		out = append(out, badCase{fault: ft, bad: bad, state: s, proof: p})
	}
	return out
}
