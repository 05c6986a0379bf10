package verifier

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/receiptd/receiptd/metrics"
)

// committer writes blocks to the index on its own goroutine, in order, so
// that block n's commit overlaps block n+1's execution. A commit failure
// is final: later blocks are dropped and the error is returned by the next
// send and by finish. At most commitQueue blocks wait: enough to hide one
// commit behind one execution, few enough that a crash loses little work.
type committer struct {
	f    *Follower
	ch   chan commitItem
	done chan struct{}
	err  atomic.Pointer[error]
}

type commitItem struct {
	u     *BlockUpdate
	snap  *snapshot
	txs   int
	start time.Time
}

const commitQueue = 2

func (f *Follower) startCommitter(ctx context.Context) *committer {
	c := &committer{f: f, ch: make(chan commitItem, commitQueue), done: make(chan struct{})}
	go c.loop(ctx)
	return c
}

func (c *committer) loop(ctx context.Context) {
	defer close(c.done)
	f := c.f
	for item := range c.ch {
		if c.err.Load() != nil {
			continue
		}
		start := time.Now()
		if err := f.idx.Commit(ctx, item.u); err != nil {
			err = fmt.Errorf("verifier: commit block %d: %w", item.u.Number, err)
			c.err.Store(&err)
			continue
		}
		f.metrics.RecordStage(metrics.StageCommit, time.Since(start))
		f.status.update(func(st *Status) { st.Tip, st.Updated = item.u.Number, time.Now() })
		if f.cfg.OnCommit != nil {
			f.cfg.OnCommit(item.u)
		}
		f.recordChain(item.u, item.snap)
		f.metrics.RecordBlockProcessed(item.txs)
		f.metrics.RecordConsensusHead(item.u.Number)
		f.metrics.RecordStage(metrics.StageBlock, time.Since(item.start))
		for _, ev := range item.u.ConfirmedBad {
			f.cfg.Logger.Error("bad receipt confirmed", "domain", ev.Domain, "number", ev.Number, "receipt", ev.Receipt, "block", item.u.Number)
		}
	}
}

// send queues a block; it waits while the queue is full and reports an
// earlier commit's failure.
func (c *committer) send(ctx context.Context, item commitItem) error {
	if err := c.err.Load(); err != nil {
		return *err
	}
	select {
	case c.ch <- item:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// finish waits for every queued commit and reports the first failure.
func (c *committer) finish() error {
	close(c.ch)
	<-c.done
	if err := c.err.Load(); err != nil {
		return *err
	}
	return nil
}
