package verifier

import (
	"context"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"golang.org/x/sync/errgroup"

	"github.com/receiptd/receiptd/domain"
	"github.com/receiptd/receiptd/protocol"
)

// preparedBlock is a consensus block with the state-free work done: each
// domain's extrinsics decoded with senders recovered, and every BLS
// signature checked. The election thresholds and everything else that
// needs the consensus state are left to the follower.
type preparedBlock struct {
	block    *protocol.Block
	hash     common.Hash
	domains  map[protocol.DomainID]*domain.Prepared
	sigError error // a bad signature: the block is invalid
}

// preparer does the state-free work for blocks on up to workers
// goroutines. It only reads immutable data: safe for concurrent use.
type preparer struct {
	keys    map[protocol.OperatorID]protocol.PublicKey
	pipes   map[protocol.DomainID]*domainPipeline
	workers int
}

func (p *preparer) prepare(ctx context.Context, b *protocol.Block, parentRandomness common.Hash) (*preparedBlock, error) {
	pb := &preparedBlock{block: b, hash: b.Hash(), domains: map[protocol.DomainID]*domain.Prepared{}}
	var g errgroup.Group
	g.SetLimit(p.workers)
	sigErrs := make([]error, len(b.Body.Bundles)+len(b.Body.Submissions))
	for i, x := range b.Body.Bundles {
		g.Go(func() error {
			pk, ok := p.keys[x.Sealed.Header.Operator]
			if !ok {
				sigErrs[i] = fmt.Errorf("bundle %d: %w %d", i, protocol.ErrUnknownOperator, x.Sealed.Header.Operator)
				return nil
			}
			if err := protocol.CheckBundleSignatures(pk, x, parentRandomness); err != nil {
				sigErrs[i] = fmt.Errorf("bundle %d: %w", i, err)
			}
			return nil
		})
	}
	for i, s := range b.Body.Submissions {
		g.Go(func() error {
			pk, ok := p.keys[s.Operator]
			if !ok {
				sigErrs[len(b.Body.Bundles)+i] = fmt.Errorf("submission %d: %w %d", i, protocol.ErrUnknownOperator, s.Operator)
				return nil
			}
			if err := protocol.VerifySubmissionSignature(pk, s); err != nil {
				sigErrs[len(b.Body.Bundles)+i] = fmt.Errorf("submission %d: %w", i, err)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	for _, err := range sigErrs {
		if err != nil {
			pb.sigError = err
			return pb, nil
		}
	}
	for id, pipe := range p.pipes {
		prepared, err := domain.Prepare(ctx, pipe.signer, b, id, p.workers)
		if err != nil {
			return nil, err
		}
		if prepared.HasBlock() {
			pb.domains[id] = prepared
		}
	}
	return pb, nil
}
