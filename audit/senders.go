package audit

import (
	"context"
	"errors"
	"io"
	"sync/atomic"

	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/params"
	"golang.org/x/sync/errgroup"
	"golang.org/x/sync/semaphore"
)

// lookaheadBlocks bounds how many decoded blocks wait for the executor. It
// lets the sender workers run a few blocks ahead (a block of a few hundred
// txs keeps one worker busy for milliseconds) while capping memory at a few
// hundred blocks.
const lookaheadBlocks = 256

// lookaheadBytes bounds the encoded bytes of the blocks waiting, whatever
// their number: a decoded block takes several times its encoding (up to
// about 33 times for a block of minimal transactions), so 256 blocks of
// Config.MaxBlockBytes would not fit in memory. A block larger than the
// budget waits alone. Real chains never reach it: the 20,000-tx benchmark
// chain is 2.4 MB in all.
const lookaheadBytes = 32 << 20

// recoverChunk is how many transactions a recoverer claims at a time: about
// a millisecond of work, small enough that the executor never waits long for
// a chunk a worker holds, large enough that claiming costs nothing.
const recoverChunk = 16

// pending is a record travelling to the executor, with the recovery of its
// transactions' senders shared out in chunks. Sender workers and the
// executor both claim chunks (help), so that neither a worker backlog nor an
// idle executor leaves a core unused: the executor recovers whatever of its
// next block no worker has started, then waits (ready) only for the chunks
// in flight.
type pending struct {
	rec    record
	weight int64 // its share of lookaheadBytes, released once judged
	signer types.Signer
	roots  bodyRoots     // set by the claimer of the first chunk
	next   atomic.Int64  // index of the next unclaimed transaction
	left   atomic.Int64  // transactions not yet recovered
	ready  chan struct{} // closed when left reaches 0
}

func newPending(rec record, config *params.ChainConfig) *pending {
	p := &pending{rec: rec, ready: make(chan struct{})}
	b := rec.block
	if b == nil {
		close(p.ready)
		return p
	}
	if len(b.Transactions()) == 0 {
		p.roots = computeBodyRoots(b)
		close(p.ready)
		return p
	}
	p.signer = types.MakeSigner(config, b.Number(), b.Time())
	p.left.Store(int64(len(b.Transactions())))
	return p
}

// help recovers unclaimed chunks of p's senders until none is left. Senders
// and hashes land in each transaction's cache (types.Sender, tx.Hash);
// errors are left for execution to report. Whoever claims the first chunk
// also computes the body's roots, which are work off the executor's path
// too. Any goroutine may call it.
func (p *pending) help() {
	if p.rec.block == nil {
		return
	}
	txs := p.rec.block.Transactions()
	for {
		end := p.next.Add(recoverChunk)
		start := end - recoverChunk
		if start >= int64(len(txs)) {
			return
		}
		end = min(end, int64(len(txs)))
		if start == 0 {
			p.roots = computeBodyRoots(p.rec.block)
		}
		for _, tx := range txs[start:end] {
			tx.Hash()
			_, _ = types.Sender(p.signer, tx)
		}
		if p.left.Add(start-end) == 0 {
			close(p.ready)
		}
	}
}

// wait helps with p's recovery, then waits for chunks other goroutines hold.
func (p *pending) wait(ctx context.Context) error {
	p.help()
	select {
	case <-p.ready:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// feed reads records from br and delivers them, in stream order, to out;
// workers recover the senders of their transactions meanwhile (see pending).
// The reader goroutine decodes and hashes each block. Each record takes
// its encoded size (at most budgetBytes, the budget's size) from budget
// before it is delivered; the consumer gives it back (pending.weight).
// feed returns when
// the stream ends, a record is final, or ctx is done; out is closed on
// return.
func feed(ctx context.Context, br *blockReader, config *params.ChainConfig, workers int, budget *semaphore.Weighted, budgetBytes int64, out chan<- *pending) error {
	defer close(out)
	g, ctx := errgroup.WithContext(ctx)
	work := make(chan *pending, lookaheadBlocks)
	for range workers {
		g.Go(func() error {
			for p := range work {
				if err := ctx.Err(); err != nil {
					return err // cancelled: the blocks queued are not wanted
				}
				p.help()
			}
			return nil
		})
	}
	g.Go(func() error {
		defer close(work)
		for {
			rec, err := br.next()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if rec.block != nil {
				rec.block.Hash()
			}
			p := newPending(rec, config)
			p.weight = min(rec.size, budgetBytes)
			if err := budget.Acquire(ctx, p.weight); err != nil {
				return err
			}
			select {
			case out <- p:
			case <-ctx.Done():
				return ctx.Err()
			}
			// Workers never block, so a full work queue only holds the
			// reader until a worker finishes its chunk.
			select {
			case work <- p:
			case <-ctx.Done():
				return ctx.Err()
			}
			if rec.final {
				return nil
			}
		}
	})
	return g.Wait()
}
