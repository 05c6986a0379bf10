package main

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/receiptd/receiptd/indexer"
	"github.com/receiptd/receiptd/protocol"
)

// The synthetic chain. Consensus block n (1..blocks) derives domain block
// n of every domain; each domain block carries txsAt(n) transactions in
// two bundles of two of the domain's operators, and gets its honest ER,
// backed by the domain's three honest operators. Operator 0 of every
// other domain is faulty: every 4th block it puts a bad ER (wrong final
// state root) beside the honest one. ERs older than the challenge period
// are confirmed (honest) or pruned (bad), with the timeline that says so.
// Every record goes through indexer.Writer, as the verifier's do; only
// the values are made up, and every value is derived from (domain, n), so
// the benchmark can rebuild any record to query it.
const (
	opsPerDomain    = 4
	challengePeriod = 100
	bundlesPerBlock = 2
)

type shape struct {
	domains int
	blocks  uint64 // consensus blocks, so domain blocks per domain
}

// receiptsPerBlock is the mean number of ERs a consensus block adds.
func (s shape) receiptsPerBlock() float64 {
	return float64(s.domains) * (1 + 0.25*float64(s.faulty())/float64(s.domains))
}

func (s shape) faulty() int { return (s.domains + 1) / 2 }

func (s shape) isFaulty(d protocol.DomainID) bool { return int(d)%2 == 1 }

// shapeFor picks the consensus blocks that give at least receipts ERs.
func shapeFor(receipts, domains int) shape {
	s := shape{domains: domains}
	s.blocks = uint64(float64(receipts)/s.receiptsPerBlock()) + 1
	for s.receipts() < receipts {
		s.blocks++
	}
	return s
}

// receipts counts the ERs of the whole chain.
func (s shape) receipts() int {
	bad := 0
	for d := 1; d <= s.domains; d++ {
		if s.isFaulty(protocol.DomainID(d)) {
			bad += int(s.blocks / 4)
		}
	}
	return s.domains*int(s.blocks) + bad
}

// txsAt is the transaction count of domain block n: mostly a few, every
// 50th block a busy one of 40.
func txsAt(n uint64) int {
	if n%50 == 0 {
		return 40
	}
	return int(n % 5)
}

func opID(d protocol.DomainID, i int) protocol.OperatorID {
	return protocol.OperatorID((int(d)-1)*opsPerDomain + i + 1)
}

// seed is a deterministic hash of its parts.
func seed(parts ...uint64) common.Hash {
	b := make([]byte, 0, 8*len(parts))
	for _, p := range parts {
		b = binary.BigEndian.AppendUint64(b, p)
	}
	return crypto.Keccak256Hash(b)
}

// block is what one commit writes.
type block struct {
	cons     indexer.ConsensusBlockRecord
	dblocks  []*indexer.DomainBlockRecord
	txs      []*indexer.TxRecord
	bundles  []*indexer.BundleRecord
	receipts []*indexer.ReceiptRecord
}

// load writes the synthetic chain into ix from the block after its
// progress on, so an interrupted load resumes. Records are built on one
// goroutine and committed on another.
func load(ctx context.Context, ix *indexer.Index, s shape, log io.Writer) error {
	next, parent := uint64(0), common.Hash{}
	if p, ok, err := ix.Progress(); err != nil {
		return err
	} else if ok {
		next, parent = p.Number+1, p.Hash
	}
	if next == 0 {
		h := protocol.Header{Number: 0, Author: common.Address{0xc0}}
		parent = h.Hash()
		err := ix.Commit(ctx, 0, h.Hash(), func(w *indexer.Writer) error {
			if err := w.PutConsensusBlock(&indexer.ConsensusBlockRecord{Number: 0, Hash: h.Hash(), Header: h}); err != nil {
				return err
			}
			for _, o := range s.operators() {
				if err := w.PutOperator(o); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("genesis: %w", err)
		}
		next = 1
	}
	if next > s.blocks {
		return nil
	}
	fmt.Fprintf(log, "loading consensus blocks %d..%d (%d domains, about %d receipts in all)\n", next, s.blocks, s.domains, s.receipts())
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	blocks := make(chan *block, 256)
	go func() {
		defer close(blocks)
		for n := next; n <= s.blocks; n++ {
			b := s.build(n, parent)
			parent = b.cons.Hash
			select {
			case blocks <- b:
			case <-ctx.Done():
				return
			}
		}
	}()
	start, last := time.Now(), time.Now()
	for b := range blocks {
		err := ix.Commit(ctx, b.cons.Number, b.cons.Hash, func(w *indexer.Writer) error {
			return writeBlock(w, b)
		})
		if err != nil {
			return fmt.Errorf("commit %d: %w", b.cons.Number, err)
		}
		if time.Since(last) > 10*time.Second {
			last = time.Now()
			done := b.cons.Number - next + 1
			fmt.Fprintf(log, "  block %d of %d, %.0f blocks/s\n", b.cons.Number, s.blocks, float64(done)/time.Since(start).Seconds())
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	fmt.Fprintf(log, "loaded %d blocks in %s\n", s.blocks-next+1, time.Since(start).Round(time.Second))
	return nil
}

func writeBlock(w *indexer.Writer, b *block) error {
	if err := w.PutConsensusBlock(&b.cons); err != nil {
		return err
	}
	for _, t := range b.txs {
		if err := w.PutTx(t); err != nil {
			return err
		}
	}
	for _, x := range b.bundles {
		if err := w.PutBundle(x); err != nil {
			return err
		}
	}
	for _, d := range b.dblocks {
		if err := w.PutDomainBlock(d); err != nil {
			return err
		}
		if err := w.SetDomainProgress(&indexer.DomainProgress{Domain: d.Domain, VerifiedHeight: d.Number, HeadHash: d.Hash,
			StateRoot: seed(12, uint64(d.Domain), d.Number)}); err != nil {
			return err
		}
	}
	for _, r := range b.receipts {
		if err := w.PutReceipt(r); err != nil {
			return err
		}
	}
	return nil
}
