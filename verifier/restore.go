package verifier

import (
	"context"
	"fmt"
	"maps"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"

	"github.com/receiptd/receiptd/domain"
	"github.com/receiptd/receiptd/protocol"
)

// restore rebuilds the follower's state after consensus block n from the
// index: the newest checkpoint at or below n, the domain states it names
// (re-executed from the newest flushed state when they were not written to
// disk), then the blocks after the checkpoint replayed without committing.
func (f *Follower) restore(ctx context.Context, n uint64) error {
	genesis, err := protocol.Genesis(f.net.Spec)
	if err != nil {
		return err
	}
	snap := f.genesisSnapshot(genesis)
	meta := map[protocol.DomainID]domainCheckpoint{}
	ck, blob, err := f.idx.Checkpoint(ctx, n)
	if err != nil {
		return fmt.Errorf("verifier: restore to %d: %w", n, err)
	}
	if blob != nil {
		if snap, meta, err = decodeCheckpoint(f.net.Spec, ck, blob); err != nil {
			return err
		}
	}
	for id, p := range f.pipes {
		dc, ok := meta[id]
		if !ok {
			// No checkpoint since the genesis: the genesis state is the
			// flushed state of the chain being restored. (The pipeline's
			// own may be on a fork being rolled back.)
			dc = domainCheckpoint{FlushedRoot: p.genesisRoot}
		}
		if err := f.rebuildState(ctx, p, snap.views[id], dc); err != nil {
			return err
		}
	}
	snap.flushedOf(f.pipes)
	f.tip, f.ring = snap, []*snapshot{snap}
	for m := ck + 1; m <= n; m++ {
		b, err := f.idx.ConsensusBlock(ctx, m)
		if err != nil {
			return fmt.Errorf("verifier: restore: block %d: %w", m, err)
		}
		pb, err := f.prep.prepare(ctx, b, f.tip.state.Header.Randomness)
		if err != nil {
			return err
		}
		_, next, _, err := f.verify(ctx, pb, protocol.ApplyOptions{Verifier: f.proofs, SealsChecked: true, RootsChecked: true})
		if err != nil {
			return fmt.Errorf("%w: replaying block %d: %w", ErrCorruptIndex, m, err)
		}
		f.push(next)
	}
	want, err := f.idx.CanonicalHash(ctx, n)
	if err != nil {
		return err
	}
	if n > 0 && f.tip.hash != want {
		return fmt.Errorf("%w: replayed block %d has hash %s, the index says %s", ErrCorruptIndex, n, f.tip.hash, want)
	}
	f.latest.Store(f.tip.state)
	f.status.update(func(st *Status) { st.Tip = f.tip.number })
	f.cfg.Logger.Info("restored", "block", n, "checkpoint", ck, "replayed", n-ck)
	return nil
}

// rebuildState makes the view's head state openable: if it is neither in
// memory nor on disk, the domain blocks from the newest flushed state up
// to the head are executed again from the consensus blocks in the index
// (from restoreBase's state, when the flushed one is gone). Only the head's
// state and the headers BLOCKHASH may read stay in memory; the states
// between are released as the execution passes them, and flushed on the
// way as the chain runs.
func (f *Follower) rebuildState(ctx context.Context, p *domainPipeline, v domainView, dc domainCheckpoint) error {
	head := v.Head.Number.Uint64()
	if err := f.loadHeaders(ctx, p, head-min(head, 256), head); err != nil {
		return err
	}
	p.headers[v.Head.Hash()] = v.Head
	if dc.FlushedRoot != (common.Hash{}) {
		p.flushed.root, p.flushed.number = dc.FlushedRoot, dc.FlushedNumber
	}
	if p.store.HasState(v.Head.Root) {
		return nil
	}
	parent, err := f.restoreBase(ctx, p, dc)
	if err != nil {
		return err
	}
	from := parent.Number.Uint64()
	if parent.Root == p.flushed.root {
		f.cfg.Logger.Info("re-executing domain blocks lost in a crash", "domain", p.id, "from", from+1, "to", head)
	} else {
		f.cfg.Logger.Warn("flushed domain state missing: re-executing from an older state", "domain", p.id,
			"flushed", dc.FlushedNumber, "from", from+1, "to", head)
		p.flushed.root, p.flushed.number = parent.Root, from
	}
	// BLOCKHASH in the first blocks executed reads up to 256 ancestors;
	// those from head-256 up are loaded already.
	if window := head - min(head, 256); window > 0 {
		if err := f.loadHeaders(ctx, p, from-min(from, 256), min(from, window-1)); err != nil {
			return err
		}
	}
	p.headers[parent.Hash()] = parent
	held := maps.Clone(p.roots) // states held before the rebuild stay
	for m := from + 1; m <= head; m++ {
		ex, err := f.executeIndexed(ctx, p, m, parent, nil, true)
		if err != nil {
			return err
		}
		prev, root := parent.Root, ex.result.Block.Root()
		if _, kept := held[prev]; !kept && m > from+1 && prev != root && prev != p.flushed.root {
			if err := p.store.Release(prev); err != nil {
				return fmt.Errorf("verifier: domain %d: release state %d: %w", p.id, m-1, err)
			}
			delete(p.roots, prev)
		}
		if m%256 == 0 { // headers BLOCKHASH can no longer read
			p.forgetHeaders(m - 256)
		}
		parent = ex.result.Block.Header()
	}
	return nil
}

// restoreBase returns the header of the state a rebuild starts from: the
// flushed state the checkpoint names; when that is gone (the state
// directory was lost, or a backup copied the index alone), the newest of
// the flushed states the index's checkpoints name that is still on disk
// and on the indexed chain (pruning keeps those whole; a checkpoint that
// a rollback brought back may name one pruned meanwhile, and the rebuild
// then fails on a missing node); else genesis, which the state database
// holds from its creation, so that a missing state directory costs a
// re-execution, never the index. Whole states on disk that no checkpoint
// names (an older backup of state/) are not used.
func (f *Follower) restoreBase(ctx context.Context, p *domainPipeline, dc domainCheckpoint) (*types.Header, error) {
	try := func(c flushedState) (*types.Header, error) {
		if c.number == 0 || !p.store.HasState(c.root) {
			return nil, nil
		}
		h, err := f.domainHeader(ctx, p, c.number)
		if err != nil || h.Root != c.root { // a fork's state
			return nil, err
		}
		return h, nil
	}
	// The checkpoint's own first: the common case, a crash, reads no more.
	if h, err := try(flushedState{root: dc.FlushedRoot, number: dc.FlushedNumber}); h != nil || err != nil {
		return h, err
	}
	named, err := f.checkpointFlushed(ctx, p.id)
	if err != nil {
		return nil, err
	}
	tried := map[common.Hash]bool{dc.FlushedRoot: true}
	for _, c := range named { // newest first
		if tried[c.root] {
			continue
		}
		tried[c.root] = true
		if h, err := try(c); h != nil || err != nil {
			return h, err
		}
	}
	if !p.store.HasState(p.genesisRoot) {
		return nil, fmt.Errorf("verifier: domain %d: the state database has neither the flushed state %s (#%d), an older flushed state, nor the genesis state %s",
			p.id, dc.FlushedRoot, dc.FlushedNumber, p.genesisRoot)
	}
	return f.domainHeader(ctx, p, 0)
}

// domainHeader is the header of indexed domain block n; for block 0, which
// the index does not hold, the genesis header the pipeline keeps.
func (f *Follower) domainHeader(ctx context.Context, p *domainPipeline, n uint64) (*types.Header, error) {
	if n == 0 {
		if h := p.headerWithRoot(0, p.genesisRoot); h != nil {
			return h, nil
		}
		return nil, fmt.Errorf("verifier: domain %d: genesis header no longer held", p.id)
	}
	h, _, err := f.idx.DomainBlock(ctx, p.id, n)
	if err != nil {
		return nil, fmt.Errorf("verifier: domain %d block %d: %w", p.id, n, err)
	}
	return h, nil
}

// loadHeaders loads the indexed headers of domain blocks from to to
// (inclusive; block 0, which the index does not hold, is skipped: the
// pipeline keeps the genesis header) for BLOCKHASH and witnesses.
func (f *Follower) loadHeaders(ctx context.Context, p *domainPipeline, from, to uint64) error {
	for m := max(1, from); m <= to; m++ {
		h, _, err := f.idx.DomainBlock(ctx, p.id, m)
		if err != nil {
			return fmt.Errorf("verifier: domain %d header %d: %w", p.id, m, err)
		}
		p.headers[h.Hash()] = h
	}
	return nil
}

// executeIndexed executes indexed domain block m again on parent, from
// its consensus block in the index, and checks that it hashes to the
// indexed block. parentReceipt, when known, is block m-1's honest receipt
// (the new receipt's parent link). With flush the state is flushed when
// its number is due (executeBlock, for a restore); without, it stays in
// memory (execute, for a proof: the newest flushed state never moves
// back).
func (f *Follower) executeIndexed(ctx context.Context, p *domainPipeline, m uint64, parent *types.Header, parentReceipt *protocol.ExecutionReceipt, flush bool) (*executed, error) {
	want, cnum, err := f.idx.DomainBlock(ctx, p.id, m)
	if err != nil {
		return nil, fmt.Errorf("verifier: domain %d block %d: %w", p.id, m, err)
	}
	c, err := f.idx.ConsensusBlock(ctx, cnum)
	if err != nil {
		return nil, fmt.Errorf("verifier: consensus block %d: %w", cnum, err)
	}
	prepared, err := domain.Prepare(ctx, p.signer, c, p.id, f.cfg.Workers)
	if err != nil {
		return nil, fmt.Errorf("verifier: prepare domain %d block %d: %w", p.id, m, err)
	}
	view := domainView{Head: parent, Honest: map[uint64]*protocol.ExecutionReceipt{}, Bad: map[common.Hash]bool{}}
	if parentReceipt != nil {
		view.Honest[m-1] = parentReceipt
	}
	run := p.execute
	if flush {
		run = p.executeBlock
	}
	ex, _, err := run(ctx, prepared, view)
	if err != nil {
		return nil, fmt.Errorf("verifier: re-executing domain %d block %d: %w", p.id, m, err)
	}
	if got := ex.result.Block.Hash(); got != want.Hash() {
		return nil, fmt.Errorf("%w: domain %d block %d re-executes to %s, the index has %s", ErrCorruptIndex, p.id, m, got, want.Hash())
	}
	return ex, nil
}

// headerWithRoot finds a loaded header by number and state root. The
// loaded headers hold every fork the pipeline executed, so the number alone
// may name an orphaned block.
func (p *domainPipeline) headerWithRoot(n uint64, root common.Hash) *types.Header {
	for _, h := range p.headers {
		if h.Number.Uint64() == n && h.Root == root {
			return h
		}
	}
	return nil
}
