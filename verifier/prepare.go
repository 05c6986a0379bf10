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
	keys map[protocol.OperatorID]protocol.PublicKey
	// parsed holds the keys that decode, decoded once. Operators and their
	// keys come from the network spec and never change while the follower
	// runs, so nothing invalidates an entry and the map is as large as the
	// spec. A key that does not decode is absent: bundles of its operator
	// take the one-by-one path, which reports it.
	parsed  map[protocol.OperatorID]*protocol.VerifyingKey
	pipes   map[protocol.DomainID]*domainPipeline
	workers int
}

func newPreparer(ops []protocol.Operator, pipes map[protocol.DomainID]*domainPipeline, workers int) *preparer {
	p := &preparer{
		keys:   make(map[protocol.OperatorID]protocol.PublicKey, len(ops)),
		parsed: make(map[protocol.OperatorID]*protocol.VerifyingKey, len(ops)),
		pipes:  pipes, workers: workers,
	}
	for _, op := range ops {
		p.keys[op.ID] = op.PublicKey
		if k, err := protocol.ParsePublicKey(op.PublicKey); err == nil {
			p.parsed[op.ID] = k
		}
	}
	return p
}

func (p *preparer) prepare(ctx context.Context, b *protocol.Block, parentRandomness common.Hash) (*preparedBlock, error) {
	pb := &preparedBlock{block: b, hash: b.Hash(), domains: map[protocol.DomainID]*domain.Prepared{}}
	// Nearly every block's signatures are all valid: check them in one
	// batch, and only when it fails one by one, to name the bad one.
	if !p.signaturesValid(b, parentRandomness) {
		if err := p.checkEachSignature(b, parentRandomness); err != nil {
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

// signaturesValid reports whether every BLS signature of b verifies, in
// one batch. False when any does not, or an operator is unknown or has a
// bad key: checkEachSignature says which.
func (p *preparer) signaturesValid(b *protocol.Block, parentRandomness common.Hash) bool {
	var batch protocol.SignatureBatch
	for _, x := range b.Body.Bundles {
		k := p.parsed[x.Sealed.Header.Operator]
		if k == nil {
			return false
		}
		batch.AddBundle(k, x, parentRandomness)
	}
	for _, s := range b.Body.Submissions {
		k := p.parsed[s.Operator]
		if k == nil {
			return false
		}
		batch.AddSubmission(k, s)
	}
	return batch.Verify()
}

// checkEachSignature checks b's signatures one by one on the workers and
// returns the error of the first bad one in body order (bundles, then
// submissions), or nil.
func (p *preparer) checkEachSignature(b *protocol.Block, parentRandomness common.Hash) error {
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
	_ = g.Wait() // the workers report through sigErrs
	for _, err := range sigErrs {
		if err != nil {
			return err
		}
	}
	return nil
}
