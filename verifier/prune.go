package verifier

import (
	"context"
	"fmt"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/rlp"

	"github.com/receiptd/receiptd/domain"
	"github.com/receiptd/receiptd/protocol"
)

// Pruning flushed domain state.
//
// A flush every Config.PruneEvery flushes marks its domain for pruning; the
// follower's goroutine prunes after the block, while no domain executes.
// What it keeps is what anything may still open:
//
//   - every state held in memory (proofs, the reorg ring) and the newest
//     flushed one;
//   - each snapshot of the ring: its domain head and its flushed state
//     (a rollback returns to both);
//   - every checkpoint the index still holds — the only ones a restart or
//     a deep reorg can restore from — and, from the oldest flushed state
//     any of them names up to the head, the state of every domain block,
//     indexed or executed here on any fork;
//   - for each pending receipt judged bad, the flushed state at or below
//     its parent (proofBase): a challenger restarted before proving it
//     executes its block again from there.
//
// The last rule keeps more than the checkpoints' flushed states on purpose:
// a restore first asks whether the checkpoint's head state is there
// (StateStore.HasState), and the trie database's clean cache may still
// answer for a pruned root until the store is reopened. Every head a restore
// may ask for is at or above the oldest flushed state, so each is either
// whole on disk or was never written.

// pruneDomains prunes the state of every domain a flush marked.
func (f *Follower) pruneDomains(ctx context.Context) {
	for _, p := range f.pipes {
		if !p.pruneDue {
			continue
		}
		p.pruneDue = false
		start := time.Now()
		keep, err := f.pruneKeep(ctx, p)
		if err == nil {
			var st domain.PruneStats
			st, err = p.store.Prune(ctx, keep)
			p.pruned += st.Deleted
			if err == nil {
				f.cfg.Logger.Info("pruned domain state", "domain", p.id, "head", p.flushed.number, "roots", st.Roots,
					"nodes", st.Marked, "deleted", st.Deleted, "codes", st.Codes, "took", time.Since(start).Round(time.Millisecond))
				continue
			}
		}
		// Pruning deletes only what no kept root reaches: a failed or
		// half-done prune loses nothing, and the next one catches up.
		f.cfg.Logger.Warn("domain state not pruned", "domain", p.id, "err", err)
	}
}

// pruneKeep returns the roots of p's domain that must survive a prune (see
// the comment at the top of this file), without duplicates.
func (f *Follower) pruneKeep(ctx context.Context, p *domainPipeline) ([]common.Hash, error) {
	set := map[common.Hash]struct{}{p.genesisRoot: {}, p.flushed.root: {}}
	for root := range p.roots {
		set[root] = struct{}{}
	}
	lowest, head := p.flushed.number, p.flushed.number
	for _, s := range f.ring {
		if fs, ok := s.flushed[p.id]; ok {
			set[fs.root] = struct{}{}
			lowest = min(lowest, fs.number)
		}
		if v, ok := s.views[p.id]; ok && v.Head != nil {
			set[v.Head.Root] = struct{}{}
			head = max(head, v.Head.Number.Uint64())
		}
	}
	fromCheckpoints, err := f.checkpointFlushed(ctx, p.id)
	if err != nil {
		return nil, err
	}
	for _, fs := range fromCheckpoints {
		set[fs.root] = struct{}{}
		lowest = min(lowest, fs.number)
	}
	// A challenger proves a pending bad receipt from its parent's state;
	// after a restart its block is executed again from the flushed state
	// at or below the parent (Follower.reexecuted), which stays.
	ds, _ := f.tip.state.Domain(p.id)
	for _, n := range pendingBad(ds, f.tip.views[p.id]) {
		if m := proofBase(n, p.flushEvery); m > 0 {
			h, _, err := f.idx.DomainBlock(ctx, p.id, m)
			if err != nil {
				return nil, fmt.Errorf("domain %d block %d: %w", p.id, m, err)
			}
			set[h.Root] = struct{}{}
		}
	}
	executed := make(map[uint64]bool)
	for _, h := range p.headers {
		if n := h.Number.Uint64(); n >= lowest {
			set[h.Root] = struct{}{}
			executed[n] = true
		}
	}
	for n := max(lowest, 1); n <= head; n++ {
		h, _, err := f.idx.DomainBlock(ctx, p.id, n)
		switch {
		case err == nil:
			set[h.Root] = struct{}{}
		case !executed[n]:
			// Neither indexed nor executed here: the keep set would be
			// incomplete, so this prune does not happen.
			return nil, fmt.Errorf("domain %d block %d: %w", p.id, n, err)
		}
	}
	keep := make([]common.Hash, 0, len(set))
	for root := range set {
		keep = append(keep, root)
	}
	return keep, nil
}

// pendingBad returns the domain numbers of the receipts pending in ds that
// v judged bad on their own claims (not only for descending from one).
func pendingBad(ds *protocol.DomainState, v domainView) []uint64 {
	if ds == nil {
		return nil
	}
	var out []uint64
	for h, own := range v.Bad {
		if st, n, ok := ds.Tree.Status(h); own && ok && st == protocol.ReceiptPending {
			out = append(out, n)
		}
	}
	return out
}

// proofBase is the domain block whose flushed state a proof of block n
// starts from after a restart: the newest flushed one at or below n's
// parent (flushes happen at multiples of flushEvery; 0 is the genesis).
func proofBase(n, flushEvery uint64) uint64 {
	if n == 0 || flushEvery == 0 {
		return 0
	}
	return (n - 1) / flushEvery * flushEvery
}

// checkpointFlushed returns the flushed state of domain id that each
// checkpoint the index holds names, newest first.
func (f *Follower) checkpointFlushed(ctx context.Context, id protocol.DomainID) ([]flushedState, error) {
	tip, _, ok, err := f.idx.Progress(ctx)
	if err != nil || !ok {
		return nil, err
	}
	var out []flushedState
	for n := tip; ; {
		at, blob, err := f.idx.Checkpoint(ctx, n)
		if err != nil {
			return nil, fmt.Errorf("checkpoint at or below %d: %w", n, err)
		}
		if blob == nil {
			return out, nil
		}
		var w checkpointWire
		if err := rlp.DecodeBytes(blob, &w); err != nil {
			return nil, fmt.Errorf("%w: checkpoint %d: %w", ErrCorruptIndex, at, err)
		}
		for _, dc := range w.Domains {
			if dc.ID == id {
				out = append(out, flushedState{root: dc.FlushedRoot, number: dc.FlushedNumber})
			}
		}
		if at == 0 {
			return out, nil
		}
		n = at - 1
	}
}
