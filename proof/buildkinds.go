package proof

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/receiptd/receiptd/protocol"
)

// buildBundleValidity proves the validity of inboxed bundle i: derivation
// over bundles 0..i on the parent state names the accounts involved, each
// proved against the parent root.
func buildBundleValidity(ctx context.Context, t *target, h *Honest, i uint32) (*protocol.BundleValidityProof, error) {
	sdb, err := h.Store.StateAt(h.Parent.Root)
	if err != nil {
		return nil, fmt.Errorf("parent state: %w", err)
	}
	rec := &recordingAccounts{AccountReader: sdb, read: map[common.Address]bool{}}
	truth, err := t.deriveValidity(ctx, i, h.Parent, rec)
	if err != nil {
		return nil, err
	}
	accounts := slices.SortedFunc(maps.Keys(rec.read), func(a, b common.Address) int { return a.Cmp(b) })
	nodes := newNodeSet()
	tr, err := sdb.Database().OpenTrie(h.Parent.Root)
	if err != nil {
		return nil, fmt.Errorf("parent account trie: %w", err)
	}
	for _, addr := range accounts {
		if err := tr.Prove(crypto.Keccak256(addr[:]), nodes); err != nil {
			return nil, fmt.Errorf("prove account %s: %w", addr, err)
		}
	}
	return &protocol.BundleValidityProof{
		BundleIndex: i,
		Validity:    truth,
		Parent:      types.CopyHeader(h.Parent),
		Accounts:    accounts,
		Nodes:       nodes.sorted(),
	}, nil
}

// buildStep proves trace entry i with the witness of that step alone.
func buildStep(ctx context.Context, t *target, h *Honest, i int) (*protocol.StateTransitionProof, error) {
	d := h.Derivation
	n := len(d.Txs)
	sw, err := t.exec.BuildStepWitness(ctx, h.Store, h.Chain, d.Header, d.Txs, i)
	if err != nil {
		return nil, fmt.Errorf("step %d witness: %w", i, err)
	}
	st := &protocol.StateTransitionProof{Phase: protocol.PhaseFinalize, Index: uint32(i), Witness: fromStateless(sw.Witness)}
	switch {
	case i == 0:
		st.Phase = protocol.PhaseInit
	case i <= n:
		st.Phase = protocol.PhaseTx
		if st.Tx, st.TxProof, err = proveTx(d.Txs, i-1); err != nil {
			return nil, err
		}
	}
	// go-ethereum's witness may hold more than the step reads; keep what a
	// recorded stateless run of the step reads.
	_, o, err := t.runStep(ctx, st, n)
	if err != nil {
		return nil, fmt.Errorf("step %d on its own witness: %w", i, err)
	}
	st.Witness = o.trimmed()
	return st, nil
}

// buildExecutionResult proves field f with the block and the witness of
// its whole execution.
func buildExecutionResult(ctx context.Context, t *target, h *Honest, f protocol.ResultField) (*protocol.ExecutionResultProof, error) {
	d := h.Derivation
	w, err := collectBlockWitness(ctx, t.exec, h.Store, h.Chain, h.Parent, d.Header, d.Txs)
	if err != nil {
		return nil, fmt.Errorf("block witness: %w", err)
	}
	block := types.NewBlockWithHeader(t.claimedHeader(d.Header)).WithBody(types.Body{Transactions: d.Txs})
	return &protocol.ExecutionResultProof{Field: f, Block: block, Witness: w}, nil
}
