package graphql

import (
	"context"
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"

	"github.com/receiptd/receiptd/indexer"
	"github.com/receiptd/receiptd/protocol"
)

// resolver is the root of Query, Mutation and Subscription. It holds no
// request state: each request's snapshot travels in its context (session).
type resolver struct{ srv *Server }

func domainArg(v int32) (protocol.DomainID, error) {
	if v < 0 {
		return 0, fmt.Errorf("domain %d is negative", v)
	}
	return protocol.DomainID(v), nil
}

func optDomain(v *int32) (*protocol.DomainID, error) {
	if v == nil {
		return nil, nil
	}
	d, err := domainArg(*v)
	return &d, err
}

func (r *resolver) Status(ctx context.Context) (*statusResolver, error) {
	s, err := sessionOf(ctx)
	if err != nil {
		return nil, err
	}
	return &statusResolver{s: s, st: s.followerStatus()}, nil
}

func (r *resolver) Domains(ctx context.Context) ([]*domainResolver, error) {
	s, err := sessionOf(ctx)
	if err != nil {
		return nil, err
	}
	ids, err := domainIDs(s)
	if err != nil {
		return nil, err
	}
	out := make([]*domainResolver, len(ids))
	for i, id := range ids {
		out[i] = &domainResolver{s: s, id: id}
	}
	return out, nil
}

func (r *resolver) Domain(ctx context.Context, args struct{ ID int32 }) (*domainResolver, error) {
	s, err := sessionOf(ctx)
	if err != nil {
		return nil, err
	}
	d, err := domainArg(args.ID)
	if err != nil {
		return nil, err
	}
	return r.domain(s, d)
}

// domain is nil when the index has no progress record for d.
func (r *resolver) domain(s *session, d protocol.DomainID) (*domainResolver, error) {
	p, err := domainProgress(s, d)
	if err != nil || p == nil {
		return nil, err
	}
	return &domainResolver{s: s, id: d}, nil
}

func (r *resolver) ConsensusBlock(ctx context.Context, args struct {
	Number *Long
	Hash   *common.Hash
}) (*blockResolver, error) {
	s, err := sessionOf(ctx)
	if err != nil {
		return nil, err
	}
	switch {
	case (args.Number == nil) == (args.Hash == nil):
		return nil, errors.New("pass exactly one of number and hash")
	case args.Number != nil:
		return blockByNumber(s, uint64(*args.Number))
	}
	rd, err := s.reader()
	if err != nil {
		return nil, err
	}
	rec, err := rd.ConsensusBlockByHash(*args.Hash)
	if errors.Is(err, indexer.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, r.srv.internal("consensus block by hash", err)
	}
	remember(s, s.blocks, func(b *indexer.ConsensusBlockRecord) uint64 { return b.Number }, []*indexer.ConsensusBlockRecord{rec})
	return &blockResolver{s: s, rec: rec}, nil
}

type blocksArgs struct {
	Where   *blockRange
	OrderBy string
	pageInput
}

type blockRange struct {
	NumberFrom *Long
	NumberTo   *Long
}

func (b *blockRange) bounds() (from uint64, to *uint64, err error) {
	if b == nil {
		return 0, nil, nil
	}
	if b.NumberFrom != nil {
		from = uint64(*b.NumberFrom)
	}
	if b.NumberTo != nil {
		t := uint64(*b.NumberTo)
		to = &t
		if t < from {
			return 0, nil, fmt.Errorf("numberTo %d is below numberFrom %d", t, from)
		}
	}
	return from, to, nil
}

func (r *resolver) ConsensusBlocks(ctx context.Context, args blocksArgs) (*connection[*blockResolver], error) {
	s, err := sessionOf(ctx)
	if err != nil {
		return nil, err
	}
	return consensusBlocks(s, args)
}

func (r *resolver) Bundle(ctx context.Context, args struct{ Hash common.Hash }) (*bundleResolver, error) {
	s, err := sessionOf(ctx)
	if err != nil {
		return nil, err
	}
	return bundleByHash(s, args.Hash)
}

func (r *resolver) Bundles(ctx context.Context, args bundlesArgs) (*connection[*bundleResolver], error) {
	s, err := sessionOf(ctx)
	if err != nil {
		return nil, err
	}
	return bundles(ctx, s, args, nil)
}

func (r *resolver) Receipt(ctx context.Context, args struct{ Hash common.Hash }) (*receiptResolver, error) {
	s, err := sessionOf(ctx)
	if err != nil {
		return nil, err
	}
	return receiptByHash(s, args.Hash)
}

func (r *resolver) Receipts(ctx context.Context, args receiptsArgs) (*connection[*receiptResolver], error) {
	s, err := sessionOf(ctx)
	if err != nil {
		return nil, err
	}
	return receipts(ctx, s, args, indexer.ReceiptQuery{})
}

func (r *resolver) DomainBlock(ctx context.Context, args struct {
	Domain int32
	Number *Long
	Hash   *common.Hash
}) (*domainBlockResolver, error) {
	s, err := sessionOf(ctx)
	if err != nil {
		return nil, err
	}
	d, err := domainArg(args.Domain)
	if err != nil {
		return nil, err
	}
	switch {
	case (args.Number == nil) == (args.Hash == nil):
		return nil, errors.New("pass exactly one of number and hash")
	case args.Number != nil:
		return domainBlockByNumber(s, d, uint64(*args.Number))
	}
	rd, err := s.reader()
	if err != nil {
		return nil, err
	}
	rec, err := rd.DomainBlockByHash(*args.Hash)
	if errors.Is(err, indexer.ErrNotFound) || (err == nil && rec.Domain != d) {
		return nil, nil
	}
	if err != nil {
		return nil, r.srv.internal("domain block by hash", err)
	}
	return &domainBlockResolver{s: s, rec: rec}, nil
}

type domainBlocksArgs struct {
	Domain  int32
	Where   *blockRange
	OrderBy string
	pageInput
}

func (r *resolver) DomainBlocks(ctx context.Context, args domainBlocksArgs) (*connection[*domainBlockResolver], error) {
	s, err := sessionOf(ctx)
	if err != nil {
		return nil, err
	}
	d, err := domainArg(args.Domain)
	if err != nil {
		return nil, err
	}
	return domainBlocks(s, d, blocksArgs{Where: args.Where, OrderBy: args.OrderBy, pageInput: args.pageInput})
}

func (r *resolver) Transaction(ctx context.Context, args struct{ Hash common.Hash }) (*txResolver, error) {
	s, err := sessionOf(ctx)
	if err != nil {
		return nil, err
	}
	rd, err := s.reader()
	if err != nil {
		return nil, err
	}
	tx, err := rd.Tx(args.Hash)
	if errors.Is(err, indexer.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, r.srv.internal("tx", err)
	}
	return &txResolver{s: s, rec: tx}, nil
}

func (r *resolver) TransactionOccurrences(ctx context.Context, args struct{ Hash common.Hash }) ([]*txResolver, error) {
	s, err := sessionOf(ctx)
	if err != nil {
		return nil, err
	}
	all, err := txOccurrences(s, args.Hash)
	if err != nil {
		return nil, err
	}
	out := make([]*txResolver, len(all))
	for i, tx := range all {
		out[i] = &txResolver{s: s, rec: tx}
	}
	return out, nil
}

func (r *resolver) Operator(ctx context.Context, args struct{ ID Long }) (*operatorResolver, error) {
	s, err := sessionOf(ctx)
	if err != nil {
		return nil, err
	}
	return operatorByID(s, protocol.OperatorID(args.ID))
}

func (r *resolver) Operators(ctx context.Context, args operatorsArgs) (*connection[*operatorResolver], error) {
	s, err := sessionOf(ctx)
	if err != nil {
		return nil, err
	}
	return operators(s, args, nil)
}

func (r *resolver) Challenge(ctx context.Context, args struct{ ID common.Hash }) (*challengeResolver, error) {
	s, err := sessionOf(ctx)
	if err != nil {
		return nil, err
	}
	return challengeByID(s, args.ID)
}

func (r *resolver) Challenges(ctx context.Context, args challengesArgs) (*connection[*challengeResolver], error) {
	s, err := sessionOf(ctx)
	if err != nil {
		return nil, err
	}
	return challenges(s, args)
}
