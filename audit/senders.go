package audit

import (
	"context"
	"errors"
	"io"

	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/params"
	"golang.org/x/sync/errgroup"
)

// lookaheadBlocks bounds how many decoded blocks wait for the executor. It
// lets the sender workers run a few blocks ahead (a block of a few hundred
// txs keeps one worker busy for milliseconds) while capping memory at a few
// hundred blocks.
const lookaheadBlocks = 256

// pending is a record travelling to the executor; ready closes once the
// senders of its transactions are recovered.
type pending struct {
	rec   record
	ready chan struct{}
}

// feed reads records from br and delivers them, in stream order and with
// senders recovered, to out. The reader goroutine decodes; workers recover
// senders (types.Sender caches the result in each transaction) and hashes.
// It returns when the stream ends, a record is final, or ctx is done; out is
// closed on return.
func feed(ctx context.Context, br *blockReader, config *params.ChainConfig, workers int, out chan<- *pending) error {
	defer close(out)
	g, ctx := errgroup.WithContext(ctx)
	work := make(chan *pending, workers)
	for range workers {
		g.Go(func() error {
			for p := range work {
				recoverSenders(config, p.rec.block)
				close(p.ready)
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
			p := &pending{rec: rec, ready: make(chan struct{})}
			if rec.block == nil {
				close(p.ready)
			} else {
				select {
				case work <- p:
				case <-ctx.Done():
					return ctx.Err()
				}
			}
			select {
			case out <- p:
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

// recoverSenders fills the sender and hash caches of b's transactions and
// the block hash. Errors are left for execution to report.
func recoverSenders(config *params.ChainConfig, b *types.Block) {
	b.Hash()
	signer := types.MakeSigner(config, b.Number(), b.Time())
	for _, tx := range b.Transactions() {
		tx.Hash()
		_, _ = types.Sender(signer, tx)
	}
}
