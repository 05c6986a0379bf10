package proof

import (
	"context"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/core/vm"

	"github.com/receiptd/receiptd/domain"
	"github.com/receiptd/receiptd/protocol"
)

// Honest is the honest derivation and execution of the domain block a bad
// ER describes, as a verifier pipeline or the devnet computed it, with what
// re-executing it needs.
type Honest struct {
	// Domain is the domain the block belongs to.
	Domain protocol.DomainID
	// Derivation and Result are the block derived from the bad ER's
	// consensus block and its execution.
	Derivation *domain.Derivation
	Result     *domain.Result
	// Parent is the header of the parent domain block.
	Parent *types.Header
	// Store holds the state at Parent.Root; Build commits intermediate
	// states into it for the duration of the call and releases them.
	Store *domain.StateStore
	// Chain gives Parent and its ancestors, up to 256 back.
	Chain domain.HeaderReader
	// Workers bounds sender-recovery goroutines; 0 means GOMAXPROCS.
	Workers int
}

func (h *Honest) check(bad *protocol.ExecutionReceipt) error {
	switch {
	case bad == nil || h == nil || h.Derivation == nil || h.Result == nil || h.Parent == nil || h.Store == nil || h.Chain == nil:
		return fmt.Errorf("%w: missing input", ErrNotProvable)
	case h.Derivation.Consensus == nil || h.Derivation.Consensus.Hash() != bad.ConsensusHash:
		return fmt.Errorf("%w: the honest block was derived from another consensus block than the receipt's %s", ErrNotProvable, bad.ConsensusHash)
	case h.Result.Block.NumberU64() != bad.DomainNumber:
		return fmt.Errorf("%w: the honest block is #%d, the receipt #%d", ErrNotProvable, h.Result.Block.NumberU64(), bad.DomainNumber)
	case h.Result.Block.ParentHash() != h.Parent.Hash():
		return fmt.Errorf("%w: the parent header is not the honest block's parent", ErrNotProvable)
	}
	return nil
}

// target is the target Build checks its proofs against: the bad ER with
// the honest parent block standing in for the parent ER.
func (h *Honest) target(bad *protocol.ExecutionReceipt) (*target, error) {
	exec, err := domain.NewExecutor(h.Store.Config(), vm.Config{})
	if err != nil {
		return nil, fmt.Errorf("proof: build: %w", err)
	}
	return &target{
		domain:     h.Domain,
		bad:        bad,
		parentHash: h.Parent.Hash(),
		parentRoot: h.Parent.Root,
		consensus:  h.Derivation.Consensus,
		config:     h.Store.Config(),
		gasLimit:   h.Derivation.Header.GasLimit,
		exec:       exec,
		workers:    h.Workers,
	}, nil
}

// Build returns the proof of the highest-priority wrong field of bad
// (DESIGN.md §1.7: bundle validity, extrinsics root, trace, execution
// result, block hash), built from the honest derivation and execution of
// the same domain block. It returns ErrHonestReceipt if bad is the honest
// ER, and checks the proof it built against the same data before returning
// it. bad should be the oldest bad ER of a run (see OldestBad): Build
// trusts bad's parent to be the honest parent.
func Build(ctx context.Context, bad *protocol.ExecutionReceipt, h *Honest) (*protocol.FraudProof, error) {
	if err := h.check(bad); err != nil {
		return nil, err
	}
	t, err := h.target(bad)
	if err != nil {
		return nil, err
	}
	ref := domain.NewReceipt(h.Derivation, h.Result, bad.ParentReceiptHash)
	p := &protocol.FraudProof{Domain: h.Domain, BadReceiptHash: bad.Hash()}
	if err := build(ctx, t, h, ref, p); err != nil {
		return nil, fmt.Errorf("proof: build against #%d %s: %w", bad.DomainNumber, p.BadReceiptHash.TerminalString(), err)
	}
	if err := t.verify(ctx, p); err != nil {
		return nil, fmt.Errorf("proof: built %s proof does not verify: %w", p.Kind(), err)
	}
	return p, nil
}

// build fills p's payload with the proof of the first wrong field of
// t.bad by priority, ref being the honest ER.
func build(ctx context.Context, t *target, h *Honest, ref *protocol.ExecutionReceipt, p *protocol.FraudProof) error {
	bad := t.bad
	if len(bad.InboxedBundles) != len(ref.InboxedBundles) {
		return fmt.Errorf("%w: %d inboxed bundles, the block has %d", ErrNotProvable, len(bad.InboxedBundles), len(ref.InboxedBundles))
	}
	for i := range bad.InboxedBundles {
		if bad.InboxedBundles[i].Validity != ref.InboxedBundles[i].Validity {
			bv, err := buildBundleValidity(ctx, t, h, uint32(i))
			p.BundleValidity = bv
			return err
		}
	}
	if bad.ExtrinsicsRoot != ref.ExtrinsicsRoot {
		p.ExtrinsicsRoot = &protocol.ExtrinsicsRootProof{}
		return nil
	}
	if len(bad.Trace) != len(ref.Trace) {
		p.StateTransition = &protocol.StateTransitionProof{Phase: protocol.PhaseTraceLength}
		return nil
	}
	if i := firstDivergence(bad.Trace, ref.Trace); i >= 0 {
		st, err := buildStep(ctx, t, h, i)
		p.StateTransition = st
		return err
	}
	for _, f := range []protocol.ResultField{protocol.ResultGasUsed, protocol.ResultReceiptsRoot, protocol.ResultLogsBloom, protocol.ResultFees} {
		if _, differ := resultField(f, h.Result, bad); differ {
			er, err := buildExecutionResult(ctx, t, h, f)
			p.ExecutionResult = er
			return err
		}
	}
	if bad.DomainHash != ref.DomainHash {
		p.DomainBlockHash = &protocol.DomainBlockHashProof{Parent: types.CopyHeader(h.Parent)}
		return nil
	}
	if bad.Hash() == ref.Hash() {
		return ErrHonestReceipt
	}
	return fmt.Errorf("%w: the receipt differs only in fields consensus checks (number, parent, consensus block)", ErrNotProvable)
}

// firstDivergence returns the index of the first entry where two traces of
// equal length differ, or −1. Both traces are in hand in full, so a scan is
// the cheapest exact search (see the package doc).
func firstDivergence(bad, honest []common.Hash) int {
	for i := range min(len(bad), len(honest)) {
		if bad[i] != honest[i] {
			return i
		}
	}
	return -1
}

// OldestBad returns the oldest of pending (a block tree's pending entries,
// oldest first) whose receipt is not the honest one for its number: the
// receipt to prove when several in a row are bad, since a proof against it
// prunes its descendants too. honest reports the honest receipt hash of a
// domain block number, and false when it is not known yet; OldestBad stops
// at the first unknown number.
func OldestBad(pending []*protocol.TreeEntry, honest func(number uint64) (common.Hash, bool)) (*protocol.TreeEntry, bool) {
	for _, e := range pending {
		want, ok := honest(e.Receipt.DomainNumber)
		if !ok {
			return nil, false
		}
		if want != e.Hash {
			return e, true
		}
	}
	return nil, false
}
