package verifier

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"golang.org/x/sync/errgroup"

	"github.com/receiptd/receiptd/metrics"
	"github.com/receiptd/receiptd/protocol"
)

// Metricer is what the follower records (metrics.Metricer satisfies it).
type Metricer interface {
	RecordConsensusHead(number uint64)
	RecordSourceHead(number uint64)
	RecordDomainVerified(domain uint32, height, lagBlocks uint64)
	RecordReceiptVerdict(domain uint32, verdict string)
	RecordBlockProcessed(txs int)
	RecordStage(stage string, d time.Duration)
	RecordReorg(depth int)
	RecordSourceError(kind string)
	RecordConfirmedBad(domain uint32)
	RecordOperatorSlashed(domain uint32)
	RecordBadReceiptAge(domain uint32, ageBlocks, challengePeriod uint64)
	RecordUp(component string, up bool)
	RecordChallenge(status string, delta int)
	RecordOldestChallengeAge(ageBlocks uint64)
	RecordProof(result string)
}

// Run follows the source until ctx ends. Source trouble (errors, invalid
// blocks) is logged, counted and retried with backoff; a failure of
// receiptd's own storage ends Run with the error.
//
// It reports receiptd_up for the follower (up while Run runs), the source
// (down after source trouble, up after a sync that reached its head) and,
// when challenging, the challenger.
func (f *Follower) Run(ctx context.Context) error {
	f.metrics.RecordUp(metrics.ComponentFollower, true)
	defer f.metrics.RecordUp(metrics.ComponentFollower, false)
	if f.challenger != nil {
		f.metrics.RecordUp(metrics.ComponentChallenger, true)
		defer f.metrics.RecordUp(metrics.ComponentChallenger, false)
	}
	backoff := f.cfg.RetryBackoff
	for {
		err := f.syncOnce(ctx)
		switch {
		case ctx.Err() != nil:
			return nil
		case err == nil:
			f.metrics.RecordUp(metrics.ComponentSource, true)
			backoff = f.cfg.RetryBackoff
		case isSourceTrouble(err):
			kind := metrics.SourceErrorSource
			if errors.Is(err, ErrInvalidBlock) {
				kind = metrics.SourceErrorInvalidBlock
			}
			f.metrics.RecordSourceError(kind)
			f.metrics.RecordUp(metrics.ComponentSource, false)
			f.cfg.Logger.Warn("source trouble, retrying", "err", err, "backoff", backoff)
			if !sleep(ctx, backoff) {
				return nil
			}
			backoff = min(2*backoff, f.cfg.MaxBackoff)
			continue
		default:
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case <-f.src.Notify():
		case <-time.After(f.cfg.PollInterval):
		}
	}
}

// sourceError marks errors that come from the source, not from receiptd.
type sourceError struct{ err error }

func (e *sourceError) Error() string { return e.err.Error() }
func (e *sourceError) Unwrap() error { return e.err }

func isSourceTrouble(err error) bool {
	var se *sourceError
	return errors.As(err, &se) || errors.Is(err, ErrInvalidBlock)
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// syncOnce catches up with the source's head: a fetcher goroutine fetches
// and prepares blocks ahead (bounded by Lookahead) while this goroutine
// executes and commits them in order. A block that does not extend the tip
// means a reorg: the fetcher stops, the follower rolls back to the common
// ancestor, and the next call resumes from there.
func (f *Follower) syncOnce(ctx context.Context) error {
	head, err := f.src.HeadNumber(ctx)
	if err != nil {
		return &sourceError{fmt.Errorf("head: %w", err)}
	}
	f.metrics.RecordSourceHead(head)
	f.status.update(func(st *Status) { st.SourceHead, st.HeadKnown = head, true })
	if behind := head < f.tip.number; behind != f.behind {
		f.behind = behind
		if behind {
			f.cfg.Logger.Warn("the source's head is below the verified tip: waiting for it (a node still syncing, or a recorded chain shorter than the index)",
				"source_head", head, "tip", f.tip.number)
		}
	}
	if head <= f.tip.number {
		f.recordLag(head)
		return nil
	}
	fctx, cancel := context.WithCancel(ctx)
	defer cancel()
	f.commits = f.startCommitter(ctx)
	blocks := make(chan *preparedBlock, f.cfg.Lookahead)
	var g errgroup.Group
	g.Go(func() error {
		defer close(blocks)
		randomness := f.tip.state.Header.Randomness
		for n := f.tip.number + 1; n <= head; n++ {
			start := time.Now()
			b, err := f.src.BlockByNumber(fctx, n)
			if err != nil {
				if fctx.Err() != nil {
					return nil
				}
				return &sourceError{fmt.Errorf("block %d: %w", n, err)}
			}
			pb, err := f.prep.prepare(fctx, b, randomness)
			if err != nil {
				if fctx.Err() != nil {
					return nil
				}
				return err
			}
			f.metrics.RecordStage(metrics.StagePrepare, time.Since(start))
			randomness = b.Header.Randomness
			select {
			case blocks <- pb:
			case <-fctx.Done():
				return nil
			}
		}
		return nil
	})
	var procErr error
	for pb := range blocks {
		if pb.block.Header.ParentHash != f.tip.hash || pb.block.Header.Number != f.tip.number+1 {
			cancel()
			// The index must hold every verified block before it rolls back.
			if procErr = f.commits.finish(); procErr == nil {
				f.commits = f.startCommitter(ctx)
				procErr = f.handleReorg(ctx)
			}
			break
		}
		if procErr = f.processBlock(ctx, pb); procErr != nil {
			cancel()
			break
		}
		f.recordLag(head)
	}
	for range blocks { // let the fetcher finish
	}
	if err := g.Wait(); err != nil && procErr == nil {
		procErr = err
	}
	if err := f.commits.finish(); err != nil && procErr == nil {
		procErr = err
	}
	f.commits = nil
	return procErr
}

// recordLag records, per domain, the domain blocks not verified yet: the
// ones the processed consensus blocks derived beyond the verified head,
// plus one per consensus block not processed yet (each derives at most
// one per domain): an upper bound while catching up.
func (f *Follower) recordLag(sourceHead uint64) {
	for id := range f.pipes {
		v := f.tip.views[id]
		ds, _ := f.tip.state.Domain(id)
		newest := ds.Next - 1
		verified := v.Head.Number.Uint64()
		f.metrics.RecordDomainVerified(uint32(id), verified, newest-min(newest, verified)+sourceHead-min(sourceHead, f.tip.number))
	}
}

// handleReorg finds the newest block the source and the index share and
// rolls back to it.
func (f *Follower) handleReorg(ctx context.Context) error {
	low := uint64(0)
	if f.tip.number > uint64(f.cfg.ReorgWindow) {
		low = f.tip.number - uint64(f.cfg.ReorgWindow)
	}
	for n := f.tip.number; ; n-- {
		theirs, err := f.src.BlockByNumber(ctx, n)
		if err != nil {
			return &sourceError{fmt.Errorf("reorg: block %d: %w", n, err)}
		}
		ours, err := f.hashAt(ctx, n)
		if err != nil {
			return err
		}
		if theirs.Hash() == ours {
			if n == f.tip.number {
				// The source's block n is ours, yet its block n+1 does not
				// build on it: it moved under the fetcher, or it serves a
				// chain that does not hold together.
				return &sourceError{fmt.Errorf("block %d does not build on the source's own block %d %s", n+1, n, ours)}
			}
			return f.rollback(ctx, n)
		}
		if n == low {
			return fmt.Errorf("%w: no common block in the last %d", ErrReorgTooDeep, f.cfg.ReorgWindow)
		}
	}
}

func (f *Follower) hashAt(ctx context.Context, n uint64) (common.Hash, error) {
	for i := len(f.ring) - 1; i >= 0; i-- {
		if f.ring[i].number == n {
			return f.ring[i].hash, nil
		}
	}
	return f.idx.CanonicalHash(ctx, n)
}

// rollback undoes every block above n in the index and in memory.
func (f *Follower) rollback(ctx context.Context, n uint64) error {
	depth := int(f.tip.number - n)
	if err := f.idx.Rollback(ctx, n); err != nil {
		return fmt.Errorf("verifier: rollback to %d: %w", n, err)
	}
	f.forgetChallenges()
	if f.cfg.OnRollback != nil {
		defer f.cfg.OnRollback(n, depth)
	}
	for i := len(f.ring) - 1; i >= 0; i-- {
		if f.ring[i].number == n {
			f.ring = f.ring[:i+1]
			f.tip = f.ring[i]
			for id, p := range f.pipes {
				if fs, ok := f.tip.flushed[id]; ok {
					p.flushed = fs
				}
			}
			f.latest.Store(f.tip.state)
			f.status.update(func(st *Status) { st.Tip = n })
			f.metrics.RecordReorg(depth)
			f.cfg.Logger.Info("reorg", "depth", depth, "ancestor", n, "hash", f.tip.hash)
			return nil
		}
	}
	// Older than the ring: restore from the index.
	if err := f.restore(ctx, n); err != nil {
		return err
	}
	f.metrics.RecordReorg(depth)
	return nil
}

// genesisSnapshot is the follower's state before any block.
func (f *Follower) genesisSnapshot(st *protocol.State) *snapshot {
	s := &snapshot{number: 0, hash: st.Hash, state: st, views: map[protocol.DomainID]domainView{}}
	for id, p := range f.pipes {
		ds, _ := st.Domain(id)
		s.views[id] = domainView{
			Head:   p.headers[ds.Config.GenesisHash],
			Honest: map[uint64]*protocol.ExecutionReceipt{0: ds.Tree.HeadEntry().Receipt},
			Bad:    map[common.Hash]bool{},
		}
	}
	s.flushedOf(f.pipes)
	return s
}
