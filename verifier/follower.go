package verifier

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"golang.org/x/sync/errgroup"

	"github.com/receiptd/receiptd/metrics"
	"github.com/receiptd/receiptd/protocol"
	"github.com/receiptd/receiptd/source"
)

// Errors the follower reports.
var (
	// ErrInvalidBlock: the source served a block that breaks consensus
	// rules (a hostile or broken source). Nothing of it is indexed.
	ErrInvalidBlock = errors.New("verifier: source served an invalid block")
	// ErrCorruptIndex: stored data does not decode or contradicts itself.
	ErrCorruptIndex = errors.New("verifier: corrupt index")
	// ErrReorgTooDeep: the source's chain forked below the reorg window.
	ErrReorgTooDeep = errors.New("verifier: reorg deeper than the window")
	// ErrWrongNetwork: the index was written for another chain.
	ErrWrongNetwork = errors.New("verifier: index belongs to another network")
)

// Source is the chain the follower reads (source.Source satisfies it).
type Source interface {
	HeadNumber(ctx context.Context) (uint64, error)
	BlockByNumber(ctx context.Context, n uint64) (*protocol.Block, error)
	Notify() <-chan struct{}
}

// Follower follows a consensus chain, verifies every domain block and
// receipt, and indexes the results, one atomic commit per consensus block.
// Its state belongs to the goroutine running Run.
type Follower struct {
	cfg     Config
	net     *source.Network
	src     Source
	idx     Index
	proofs  protocol.ProofVerifier
	metrics Metricer
	pipes   map[protocol.DomainID]*domainPipeline
	prep    *preparer

	tip        *snapshot
	ring       []*snapshot // recent snapshots, oldest first, tip last
	commits    *committer  // during syncOnce: the index writer
	status     statusBox
	behind     bool // the source's head was last seen below the tip (warned once)
	latest     atomic.Pointer[protocol.State]
	challenger *challenger // nil when ChallengeOff
}

// processBlock verifies one prepared block on top of the tip and commits
// it. An invalid block leaves everything as it was.
func (f *Follower) processBlock(ctx context.Context, pb *preparedBlock) error {
	start := time.Now()
	u, snap, txs, err := f.verify(ctx, pb, protocol.ApplyOptions{Verifier: f.proofs, SignaturesChecked: true})
	if err != nil {
		return err
	}
	if u.Number%f.cfg.CheckpointEvery == 0 {
		if u.Checkpoint, err = encodeCheckpoint(snap); err != nil {
			return fmt.Errorf("verifier: checkpoint %d: %w", u.Number, err)
		}
	}
	f.onChainChallenges(u)
	f.collectChallenges(u)
	if err := f.commits.send(ctx, commitItem{u: u, snap: snap, txs: txs, start: start}); err != nil {
		return err
	}
	f.push(snap)
	if err := f.releaseStates(); err != nil {
		return err
	}
	f.pruneDomains(ctx)
	f.queueChallenges(ctx)
	return nil
}

// verify runs a block on top of the tip: consensus rules, domain
// execution, receipt verdicts. It changes nothing but the domain states it
// commits (content-addressed, harmless if the block is dropped).
func (f *Follower) verify(ctx context.Context, pb *preparedBlock, opts protocol.ApplyOptions) (*BlockUpdate, *snapshot, int, error) {
	start := time.Now()
	b := pb.block
	if pb.sigError != nil {
		return nil, nil, 0, fmt.Errorf("%w: block %d %s: %w", ErrInvalidBlock, b.Header.Number, pb.hash, pb.sigError)
	}
	next, events, err := f.tip.state.Apply(b, opts)
	if err != nil {
		return nil, nil, 0, fmt.Errorf("%w: block %d %s: %w", ErrInvalidBlock, b.Header.Number, pb.hash, err)
	}
	f.metrics.RecordStage(metrics.StageApply, time.Since(start))

	views := make(map[protocol.DomainID]domainView, len(f.tip.views))
	for id, v := range f.tip.views {
		views[id] = v
	}
	derived := map[protocol.DomainID]bool{}
	for _, ev := range events {
		if ev.Kind == protocol.EventDomainBlockDerived {
			derived[ev.Domain] = true
		}
	}
	execStart := time.Now()
	results := map[protocol.DomainID]*executed{}
	var g errgroup.Group
	type out struct {
		id   protocol.DomainID
		ex   *executed
		view domainView
	}
	outs := make(chan out, len(derived))
	for id := range derived {
		prepared := pb.domains[id]
		if prepared == nil {
			return nil, nil, 0, fmt.Errorf("%w: block %d derives domain %d without its bundles", ErrInvalidBlock, b.Header.Number, id)
		}
		pipe, view := f.pipes[id], views[id]
		g.Go(func() error {
			ex, nv, err := pipe.executeBlock(ctx, prepared, view)
			if err != nil {
				return err
			}
			outs <- out{id, ex, nv}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, nil, 0, fmt.Errorf("verifier: block %d: %w", b.Header.Number, err)
	}
	close(outs)
	txs := 0
	for o := range outs {
		results[o.id] = o.ex
		views[o.id] = o.view
		txs += len(o.ex.result.Block.Transactions())
	}
	f.metrics.RecordStage(metrics.StageExecute, time.Since(execStart))

	u := &BlockUpdate{Number: b.Header.Number, Hash: pb.hash, Block: b, State: next, Events: events}
	f.judgeReceipts(u, views)
	for id := range views {
		ds, _ := next.Domain(id)
		views[id] = views[id].trim(ds.Tree.Confirmed, ds.Tree)
	}
	for _, id := range next.DomainIDs() {
		if ex := results[id]; ex != nil {
			u.Domains = append(u.Domains, domainUpdate(id, ex))
		}
	}
	for _, ev := range events {
		if ev.Kind == protocol.EventReceiptConfirmed && f.tip.views[ev.Domain].Bad[ev.Receipt] { // own claims wrong
			u.ConfirmedBad = append(u.ConfirmedBad, ev)
			f.metrics.RecordConfirmedBad(uint32(ev.Domain))
		}
	}
	snap := &snapshot{number: b.Header.Number, hash: pb.hash, state: next, views: views}
	snap.flushedOf(f.pipes)
	for _, id := range next.DomainIDs() {
		p := f.pipes[id]
		v := views[id]
		u.Progress = append(u.Progress, DomainProgress{
			Domain: id, VerifiedHeight: v.Head.Number.Uint64(), HeadHash: v.Head.Hash(), StateRoot: v.Head.Root,
			FlushedRoot: p.flushed.root, FlushedNumber: p.flushed.number,
		})
	}
	return u, snap, txs, nil
}

// judgeReceipts gives every receipt the block carries its verdict and
// marks the bad ones in the views.
func (f *Follower) judgeReceipts(u *BlockUpdate, views map[protocol.DomainID]domainView) {
	add := func(d protocol.DomainID, op protocol.OperatorID, r *protocol.ExecutionReceipt, bundle common.Hash) {
		v := views[d]
		hash := r.Hash()
		var verdict Verdict
		if honest := v.Honest[r.DomainNumber]; honest == nil {
			verdict = Verdict{Field: FieldConsensusBlock, Expected: "a domain block receiptd derived", Claimed: fmt.Sprintf("#%d", r.DomainNumber)}
		} else {
			var honestParent common.Hash
			if p := v.Honest[r.DomainNumber-1]; p != nil && r.DomainNumber > 0 {
				honestParent = p.Hash()
			}
			_, parentBad := v.Bad[r.ParentReceiptHash]
			verdict = CheckParent(CheckContent(r, honest), r, honestParent, parentBad)
		}
		if _, known := v.Bad[hash]; !verdict.Valid && !known {
			bad := make(map[common.Hash]bool, len(v.Bad)+1)
			for h, own := range v.Bad {
				bad[h] = own
			}
			bad[hash] = !verdict.DescendsFromBad
			v.Bad = bad
			views[d] = v
		}
		u.Receipts = append(u.Receipts, CarriedReceipt{Domain: d, Operator: op, Receipt: r, Hash: hash, Verdict: verdict, Bundle: bundle})
		verdictLabel := "valid" // the wrong field is in the index; the metric stays two-valued
		if !verdict.Valid {
			verdictLabel = "bad"
		}
		f.metrics.RecordReceiptVerdict(uint32(d), verdictLabel)
	}
	for _, s := range u.Block.Body.Submissions {
		add(s.Domain, s.Operator, &s.Receipt, common.Hash{})
	}
	for _, x := range u.Block.Body.Bundles {
		h := &x.Sealed.Header
		add(h.Domain, h.Operator, &h.Receipt, x.Hash())
	}
}

func domainUpdate(id protocol.DomainID, ex *executed) DomainUpdate {
	du := DomainUpdate{
		Domain: id, Block: ex.result.Block, Receipts: ex.result.Receipts, Honest: ex.honest,
		Inboxed: ex.derivation.Inboxed, Kept: ex.derivation.Kept,
	}
	for _, pb := range ex.prepared.Bundles {
		du.BundleRefs = append(du.BundleRefs, pb.Bundle.Hash())
		du.Extrinsics = append(du.Extrinsics, pb.Bundle.Extrinsics)
		senders := make([]common.Address, len(pb.Txs))
		hashes := make([]common.Hash, len(pb.Txs))
		for i, t := range pb.Txs {
			senders[i] = t.Sender
			if t.Tx != nil {
				hashes[i] = t.Tx.Hash() // cached since validity
			} else {
				hashes[i] = extrinsicHash(pb.Bundle.Extrinsics[i])
			}
		}
		du.Senders = append(du.Senders, senders)
		du.TxHashes = append(du.TxHashes, hashes)
	}
	return du
}

// push makes s the tip and keeps the ring within the window.
func (f *Follower) push(s *snapshot) {
	f.tip = s
	f.latest.Store(s.state)
	f.ring = append(f.ring, s)
	if over := len(f.ring) - f.cfg.ReorgWindow; over > 0 {
		f.ring = append([]*snapshot(nil), f.ring[over:]...)
	}
}

// releaseStates drops domain states nothing can need again: below the
// confirmed receipt (no proof needs them) and outside the reorg window.
func (f *Follower) releaseStates() error {
	for id, p := range f.pipes {
		ds, _ := f.tip.state.Domain(id)
		keep := ds.Tree.Confirmed
		oldest := f.ring[0].views[id].Head.Number.Uint64()
		keep = min(keep, oldest)
		if err := p.release(keep); err != nil {
			return err
		}
	}
	return nil
}

// recordChain records slashes and, per domain, how old the oldest pending
// bad receipt is against the challenge period: the alert that matters
// most, a bad receipt about to be confirmed.
func (f *Follower) recordChain(u *BlockUpdate, snap *snapshot) {
	for _, ev := range u.Events {
		if ev.Kind == protocol.EventOperatorSlashed {
			f.metrics.RecordOperatorSlashed(uint32(ev.Domain))
		}
	}
	for id, v := range snap.views {
		ds, _ := snap.state.Domain(id)
		var age uint64
		for _, n := range pendingBad(ds, v) {
			age = max(age, ds.Tree.Head-n)
		}
		f.metrics.RecordBadReceiptAge(uint32(id), age, ds.Config.ChallengePeriod)
	}
}
