package domain

import (
	"context"
	"fmt"
	"runtime"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"golang.org/x/sync/errgroup"

	"github.com/receiptd/receiptd/protocol"
)

// PreparedTx is one extrinsic of a bundle after decoding and sender
// recovery, the stateless half of the validity checks.
type PreparedTx struct {
	// Tx is the decoded transaction; nil when the bytes do not decode.
	Tx *types.Transaction
	// Sender is the recovered sender; zero when SenderErr is set.
	Sender common.Address
	// SenderErr is why the signature does not yield a sender under the
	// domain's signer (bad signature, wrong chain id, unsupported type).
	SenderErr error
}

// PreparedBundle is a bundle of the domain with its extrinsics prepared.
type PreparedBundle struct {
	Bundle *protocol.Bundle
	Txs    []PreparedTx
}

// Prepared is the stateless work of deriving a domain block from a
// consensus block: the domain's bundles in body order, every extrinsic
// decoded and its sender recovered. It needs no domain state, so a pipeline
// prepares block N+1 while block N executes.
type Prepared struct {
	Consensus *protocol.Block
	Domain    protocol.DomainID
	Bundles   []PreparedBundle
}

// HasBlock reports whether the consensus block makes a domain block: only
// one that admits at least one bundle of the domain does (DESIGN.md §1.5).
func (p *Prepared) HasBlock() bool { return len(p.Bundles) > 0 }

// TxCount is the number of extrinsics across the prepared bundles.
func (p *Prepared) TxCount() int {
	n := 0
	for _, b := range p.Bundles {
		n += len(b.Txs)
	}
	return n
}

// Prepare decodes the extrinsics of domain d's bundles in c and recovers
// their senders with signer, on up to workers goroutines (0 means
// GOMAXPROCS). Signature recovery dominates its cost. The result's
// transactions carry a cached sender, so execution does no recovery.
func Prepare(ctx context.Context, signer types.Signer, c *protocol.Block, d protocol.DomainID, workers int) (*Prepared, error) {
	p := &Prepared{Consensus: c, Domain: d}
	type job struct{ bundle, tx int }
	var jobs []job
	for _, b := range c.Body.Bundles {
		if b.Sealed.Header.Domain != d {
			continue
		}
		pb := PreparedBundle{Bundle: b, Txs: make([]PreparedTx, len(b.Extrinsics))}
		for i := range b.Extrinsics {
			jobs = append(jobs, job{len(p.Bundles), i})
		}
		p.Bundles = append(p.Bundles, pb)
	}
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, len(jobs))
	if workers <= 1 {
		for _, j := range jobs {
			p.prepareTx(signer, j.bundle, j.tx)
		}
		return p, ctx.Err()
	}
	// Each worker takes a contiguous share of the jobs: no channel per tx,
	// and every job writes only its own slot.
	g, gctx := errgroup.WithContext(ctx)
	for w := range workers {
		lo, hi := w*len(jobs)/workers, (w+1)*len(jobs)/workers
		g.Go(func() error {
			for _, j := range jobs[lo:hi] {
				if err := gctx.Err(); err != nil {
					return err
				}
				p.prepareTx(signer, j.bundle, j.tx)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, fmt.Errorf("domain: prepare consensus block %d: %w", c.Header.Number, err)
	}
	return p, nil
}

func (p *Prepared) prepareTx(signer types.Signer, bi, ti int) {
	raw := p.Bundles[bi].Bundle.Extrinsics[ti]
	slot := &p.Bundles[bi].Txs[ti]
	tx := new(types.Transaction)
	if err := tx.UnmarshalBinary(raw); err != nil {
		return
	}
	slot.Tx = tx
	slot.Sender, slot.SenderErr = types.Sender(signer, tx)
}
