package domain

import (
	"context"
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core"
	"github.com/ethereum/go-ethereum/core/state"
	"github.com/ethereum/go-ethereum/core/stateless"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/triedb"
)

// blockHashWindow is how far back BLOCKHASH reads.
const blockHashWindow = 256

var (
	// ErrWitnessIncomplete reports a witness lacking a trie node, a code or
	// a header that the step reads.
	ErrWitnessIncomplete = errors.New("domain: incomplete witness")
	// ErrWitnessAnchor reports witness headers that do not hash-link to the
	// executed header's parent.
	ErrWitnessAnchor = errors.New("domain: witness headers not anchored")
	// ErrInvalidStep reports a trace step that does not exist or lacks
	// what its phase needs.
	ErrInvalidStep = errors.New("domain: invalid trace step")
)

// Phase is the kind of a trace step.
type Phase uint8

// The phases; the zero value is invalid.
const (
	phaseInvalid  Phase = iota
	PhaseInit           // trace[0]: go-ethereum's pre-execution
	PhaseTx             // trace[1..n]: one transaction
	PhaseFinalise       // trace[n+1]: post-execution and Finalize
)

func (p Phase) String() string {
	switch p {
	case PhaseInit:
		return "init"
	case PhaseTx:
		return "tx"
	case PhaseFinalise:
		return "finalise"
	}
	return fmt.Sprintf("Phase(%d)", uint8(p))
}

// StepPhase returns the phase of trace entry index in a block of txCount
// transactions, or ErrInvalidStep if there is no such entry.
func StepPhase(index, txCount int) (Phase, error) {
	switch {
	case txCount < 0 || index < 0 || index > txCount+1:
		return phaseInvalid, fmt.Errorf("%w: index %d in a block of %d txs", ErrInvalidStep, index, txCount)
	case index == 0:
		return PhaseInit, nil
	case index <= txCount:
		return PhaseTx, nil
	}
	return PhaseFinalise, nil
}

// Step is one trace step to re-execute without state beyond a witness.
type Step struct {
	// Index is the trace entry the step computes.
	Index int
	// TxCount is the number of transactions in the block.
	TxCount int
	// Tx is transaction Index−1 for a transaction step, nil otherwise.
	Tx *types.Transaction
	// PreRoot is the state root the step starts from: the parent's final
	// root for initialisation, trace[Index−1] otherwise.
	PreRoot common.Hash
	// GasUsedBefore is the gas used by the block's transactions before Tx.
	GasUsedBefore uint64
}

func (s Step) phase() (Phase, error) {
	p, err := StepPhase(s.Index, s.TxCount)
	if err != nil {
		return p, err
	}
	if (p == PhaseTx) != (s.Tx != nil) {
		return phaseInvalid, fmt.Errorf("%w: %s step %d with tx %v", ErrInvalidStep, p, s.Index, s.Tx != nil)
	}
	return p, nil
}

// StepWitness is a step together with the witness that re-executes it.
type StepWitness struct {
	Step
	// PostRoot is the trace entry the step computed.
	PostRoot common.Hash
	// Witness holds the trie nodes and codes the step reads, anchored at
	// Step.PreRoot, and the headers from the parent back as far as
	// BLOCKHASH reads them (Headers[0] is the parent, always present).
	Witness *stateless.Witness
}

// BuildStepWitness re-executes header's block of txs from its parent's final
// state in store up to trace entry index, and records the witness of that
// step. The intermediate state is committed into store for the duration of
// the call and released before it returns.
func (e *Executor) BuildStepWitness(ctx context.Context, store *StateStore, chain HeaderReader, header *types.Header, txs []*types.Transaction, index int) (_ *StepWitness, err error) {
	if store == nil || chain == nil {
		return nil, errors.New("domain: build step witness: nil store or header reader")
	}
	if err := checkHeader(e.config, header); err != nil {
		return nil, fmt.Errorf("domain: build step witness: %w", err)
	}
	step := Step{Index: index, TxCount: len(txs)}
	if index >= 1 && index <= len(txs) {
		step.Tx = txs[index-1]
	}
	phase, err := step.phase()
	if err != nil {
		return nil, err
	}
	parent := chain.GetHeader(header.ParentHash, header.Number.Uint64()-1)
	if parent == nil {
		return nil, fmt.Errorf("%w: block %d parent %x", ErrUnknownParent, header.Number, header.ParentHash)
	}
	// stateless.Witness pulls BLOCKHASH headers from chain and cannot take a
	// missing one; make sure all it may ask for are there.
	if err := checkAncestors(chain, parent); err != nil {
		return nil, err
	}
	step.PreRoot = parent.Root
	if index > 0 {
		root, gasUsed, err := e.commitPrefix(ctx, store, chain, header, parent, txs[:index-1])
		if err != nil {
			return nil, fmt.Errorf("domain: block %d: replay to step %d: %w", header.Number, index, err)
		}
		defer func() { err = errors.Join(err, store.Release(root)) }()
		step.PreRoot, step.GasUsedBefore = root, gasUsed
	}
	pre, err := store.StateAt(step.PreRoot)
	if err != nil {
		return nil, err
	}
	w, err := stateless.NewWitness(header, chain, false)
	if err != nil {
		return nil, fmt.Errorf("domain: block %d: new witness: %w", header.Number, err)
	}
	pre.StartPrefetcher("domain/witness", w)
	defer pre.StopPrefetcher()

	post, err := e.runStep(ctx, chain, header, parent, pre, step, phase)
	if err != nil {
		return nil, fmt.Errorf("domain: block %d: step %d: %w", header.Number, index, err)
	}
	// go-ethereum's witness keeps the header of the oldest block BLOCKHASH
	// named, but that block's hash is its child's ParentHash: the step reads
	// one header fewer. The parent always stays, as the anchor.
	if len(w.Headers) > 1 {
		w.Headers = w.Headers[:len(w.Headers)-1]
	}
	return &StepWitness{Step: step, PostRoot: post, Witness: w}, nil
}

// commitPrefix runs initialisation and txs on the parent's state, commits
// the result into store and returns its root, referenced, and the gas used.
func (e *Executor) commitPrefix(ctx context.Context, store *StateStore, chain HeaderReader, header, parent *types.Header, txs []*types.Transaction) (common.Hash, uint64, error) {
	sdb, err := store.StateAt(parent.Root)
	if err != nil {
		return common.Hash{}, 0, err
	}
	r := e.newRun(ctx, chain, header, sdb)
	defer r.release()
	if _, err := r.initialise(ctx, parent); err != nil {
		return common.Hash{}, 0, err
	}
	gp := core.NewGasPool(header.GasLimit)
	for i, tx := range txs {
		if _, _, err := r.applyTx(ctx, i, tx, gp); err != nil {
			return common.Hash{}, 0, err
		}
		if _, err := r.root(); err != nil {
			return common.Hash{}, 0, err
		}
	}
	root, err := store.Commit(sdb, header)
	return root, gp.Used(), err
}

// ExecuteStep re-executes one trace step of header's block from witness w
// alone and returns the trace entry it computes. The pre-state is opened at
// s.PreRoot from w's trie nodes and codes; BLOCKHASH reads w's headers,
// which must hash-link from header's parent. Anything the step reads that w
// lacks is an ErrWitnessIncomplete.
func (e *Executor) ExecuteStep(ctx context.Context, header *types.Header, w *stateless.Witness, s Step) (common.Hash, error) {
	if err := checkHeader(e.config, header); err != nil {
		return common.Hash{}, fmt.Errorf("domain: execute step: %w", err)
	}
	phase, err := s.phase()
	if err != nil {
		return common.Hash{}, err
	}
	if w == nil {
		return common.Hash{}, fmt.Errorf("%w: no witness", ErrWitnessIncomplete)
	}
	headers, err := anchorHeaders(header, w.Headers)
	if err != nil {
		return common.Hash{}, err
	}
	memdb := w.MakeHashDB()
	sdb, err := state.New(s.PreRoot, state.NewDatabase(triedb.NewDatabase(memdb, triedb.HashDefaults), state.NewCodeDB(memdb)))
	if err != nil {
		return common.Hash{}, fmt.Errorf("%w: pre-state %x: %w", ErrWitnessIncomplete, s.PreRoot, err)
	}
	root, err := e.runStep(ctx, headers, header, w.Headers[0], sdb, s, phase)
	if errors.Is(err, ErrMissingState) || errors.Is(err, ErrUnknownAncestor) {
		return common.Hash{}, fmt.Errorf("%w: block %d step %d: %w", ErrWitnessIncomplete, header.Number, s.Index, err)
	}
	if err != nil {
		return common.Hash{}, fmt.Errorf("domain: block %d step %d: %w", header.Number, s.Index, err)
	}
	return root, nil
}

// runStep runs step s, of the given phase, on sdb and returns the root after.
func (e *Executor) runStep(ctx context.Context, chain HeaderReader, header, parent *types.Header, sdb *state.StateDB, s Step, phase Phase) (common.Hash, error) {
	r := e.newRun(ctx, chain, header, sdb)
	defer r.release()
	switch phase {
	case PhaseInit:
		return r.initialise(ctx, parent)
	case PhaseTx:
		if s.GasUsedBefore > header.GasLimit {
			return common.Hash{}, fmt.Errorf("%w: gas used before %d exceeds the gas limit %d", ErrInvalidStep, s.GasUsedBefore, header.GasLimit)
		}
		if _, _, err := r.applyTx(ctx, s.Index-1, s.Tx, core.NewGasPool(header.GasLimit-s.GasUsedBefore)); err != nil {
			return common.Hash{}, err
		}
		return r.root()
	default:
		return r.finalise(ctx, s.TxCount)
	}
}

// checkAncestors reports whether chain holds every header BLOCKHASH may
// read in the child of parent.
func checkAncestors(chain HeaderReader, parent *types.Header) error {
	h := parent
	for k := 1; k < blockHashWindow && h.Number.Sign() > 0; k++ {
		number := h.Number.Uint64() - 1
		if h = chain.GetHeader(h.ParentHash, number); h == nil {
			return fmt.Errorf("%w: block %d", ErrUnknownAncestor, number)
		}
	}
	return nil
}

// witnessHeaders serves a witness's headers by hash.
type witnessHeaders map[common.Hash]*types.Header

func (w witnessHeaders) GetHeader(hash common.Hash, number uint64) *types.Header {
	if h := w[hash]; h != nil && h.Number.Uint64() == number {
		return h
	}
	return nil
}

// anchorHeaders checks that headers run from header's parent back, each the
// parent of the one before, and indexes them.
func anchorHeaders(header *types.Header, headers []*types.Header) (witnessHeaders, error) {
	if len(headers) == 0 || headers[0] == nil {
		return nil, fmt.Errorf("%w: no parent header", ErrWitnessAnchor)
	}
	byHash := make(witnessHeaders, len(headers))
	want := header.ParentHash
	for i, h := range headers {
		if h == nil || h.Number == nil {
			return nil, fmt.Errorf("%w: header %d is empty", ErrWitnessAnchor, i)
		}
		hash := h.Hash()
		if hash != want {
			return nil, fmt.Errorf("%w: header %d hashes to %x, want %x", ErrWitnessAnchor, i, hash, want)
		}
		byHash[hash] = h
		want = h.ParentHash
	}
	return byHash, nil
}
