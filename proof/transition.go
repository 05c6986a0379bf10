package proof

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/ethereum/go-ethereum/trie"

	"github.com/receiptd/receiptd/domain"
	"github.com/receiptd/receiptd/protocol"
)

// wirePhase maps a domain step phase to its wire name.
func wirePhase(p domain.Phase) protocol.TracePhase {
	switch p {
	case domain.PhaseInit:
		return protocol.PhaseInit
	case domain.PhaseTx:
		return protocol.PhaseTx
	case domain.PhaseFinalise:
		return protocol.PhaseFinalize
	}
	return 0
}

// verifyStateTransition checks a state-transition proof: a trace of the
// wrong length, or a step whose re-execution differs from its trace entry.
func (t *target) verifyStateTransition(ctx context.Context, st *protocol.StateTransitionProof) error {
	n, err := t.txCount()
	if err != nil {
		return err
	}
	trace := t.bad.Trace
	if st.Phase == protocol.PhaseTraceLength {
		if st.Index != 0 || len(st.Tx) != 0 || len(st.TxProof) != 0 || !emptyWitness(&st.Witness) {
			return fmt.Errorf("%w: a trace-length proof carries no index, tx or witness", ErrNonCanonical)
		}
		if len(trace) == n+2 {
			return fmt.Errorf("%w: the trace has %d entries, as a block of %d txs needs", ErrRootsAgree, len(trace), n)
		}
		return nil
	}
	root, o, err := t.runStep(ctx, st, n)
	if err != nil {
		return err
	}
	if err := o.unused(); err != nil {
		return err
	}
	if root == trace[st.Index] {
		return fmt.Errorf("%w: step %d (%s) yields %s, as trace[%d] says", ErrRootsAgree, st.Index, st.Phase, root, st.Index)
	}
	return nil
}

// runStep re-executes the step st names on its witness and returns the root
// it yields with the opened witness, whose usage the caller checks or trims
// to. n is the block's transaction count.
func (t *target) runStep(ctx context.Context, st *protocol.StateTransitionProof, n int) (common.Hash, *openWitness, error) {
	trace := t.bad.Trace
	if len(trace) != n+2 {
		return common.Hash{}, nil, fmt.Errorf("%w: the trace has %d entries, a block of %d txs needs %d: prove the trace length",
			ErrWrongPhase, len(trace), n, n+2)
	}
	phase, err := domain.StepPhase(int(st.Index), n)
	if err != nil || wirePhase(phase) != st.Phase {
		return common.Hash{}, nil, fmt.Errorf("%w: trace entry %d of a block of %d txs is not a %s step", ErrWrongPhase, st.Index, n, st.Phase)
	}
	step := domain.Step{Index: int(st.Index), TxCount: n, PreRoot: t.parentRoot}
	if st.Index > 0 {
		step.PreRoot = trace[st.Index-1]
	}
	if phase == domain.PhaseTx {
		if step.Tx, err = verifyTx(t.bad.ExtrinsicsRoot, st.Index-1, st.Tx, st.TxProof); err != nil {
			return common.Hash{}, nil, err
		}
	}
	o, err := open(&st.Witness, t.parentHash)
	if err != nil {
		return common.Hash{}, nil, err
	}
	header, err := t.header(o.parent())
	if err != nil {
		return common.Hash{}, nil, err
	}
	sdb, err := o.state(step.PreRoot)
	if err != nil {
		return common.Hash{}, nil, err
	}
	root, err := t.exec.ExecuteStepOn(ctx, o.headers, header, o.parent(), sdb, step)
	if err != nil {
		return common.Hash{}, nil, execError(err)
	}
	return root, o, nil
}

// execError classifies a re-execution failure: stopped by its context
// (no verdict on the proof: the context's error stays visible to
// errors.Is), a missing witness item, or anything else.
func execError(err error) error {
	switch {
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("proof: re-execution stopped: %w", err)
	case errors.Is(err, domain.ErrMissingState) || errors.Is(err, domain.ErrUnknownAncestor):
		return fmt.Errorf("%w: %v", ErrWitnessIncomplete, err)
	}
	return fmt.Errorf("%w: %v", ErrExecution, err)
}

// txKey is the ordered-trie key of position i.
func txKey(i uint32) []byte { return rlp.AppendUint64(nil, uint64(i)) }

// verifyTx checks that raw is the transaction at position i under root,
// with exactly the proof nodes given, and decodes it.
func verifyTx(root common.Hash, i uint32, raw []byte, nodes [][]byte) (*types.Transaction, error) {
	db, err := newProofDB("tx proof", nodes)
	if err != nil {
		return nil, err
	}
	val, err := trie.VerifyProof(root, txKey(i), db)
	switch {
	case err != nil:
		return nil, fmt.Errorf("%w: position %d: %v", ErrTxProof, i, err)
	case val == nil:
		return nil, fmt.Errorf("%w: the extrinsics root holds no tx at position %d", ErrTxProof, i)
	case !bytes.Equal(val, raw):
		return nil, fmt.Errorf("%w: the tx at position %d is not the one carried", ErrTxProof, i)
	}
	if err := db.unused("tx proof"); err != nil {
		return nil, err
	}
	tx := new(types.Transaction)
	if err := tx.UnmarshalBinary(raw); err != nil {
		return nil, fmt.Errorf("%w: tx at position %d does not decode: %v", ErrTxProof, i, err)
	}
	return tx, nil
}

// proveTx returns the raw tx at position i of txs and the nodes proving it
// under their ordered root, ascending.
func proveTx(txs []*types.Transaction, i int) ([]byte, [][]byte, error) {
	tr := trie.NewEmpty(nil)
	for k, tx := range txs {
		raw, err := tx.MarshalBinary()
		if err != nil {
			return nil, nil, fmt.Errorf("proof: encode tx %d: %w", k, err)
		}
		if err := tr.Update(txKey(uint32(k)), raw); err != nil {
			return nil, nil, fmt.Errorf("proof: tx trie: %w", err)
		}
	}
	set := newNodeSet()
	if err := tr.Prove(txKey(uint32(i)), set); err != nil {
		return nil, nil, fmt.Errorf("proof: prove tx %d: %w", i, err)
	}
	raw, err := txs[i].MarshalBinary()
	if err != nil {
		return nil, nil, fmt.Errorf("proof: encode tx %d: %w", i, err)
	}
	return raw, set.sorted(), nil
}
