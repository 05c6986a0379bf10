package graphql

import (
	"fmt"

	gql "github.com/graph-gophers/graphql-go"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"

	"github.com/receiptd/receiptd/indexer"
	"github.com/receiptd/receiptd/protocol"
)

func blockByNumber(s *session, n uint64) (*blockResolver, error) {
	rec, err := s.block(n)
	if err != nil || rec == nil {
		return nil, err
	}
	return &blockResolver{s: s, rec: rec}, nil
}

func desc(orderBy string) bool {
	return orderBy == "NUMBER_DESC" || orderBy == "CHAIN_DESC" || orderBy == "ID_DESC"
}

func consensusBlocks(s *session, args blocksArgs) (*connection[*blockResolver], error) {
	pa, err := s.srv.args(args.pageInput, desc(args.OrderBy))
	if err != nil {
		return nil, err
	}
	from, to, err := args.Where.bounds()
	if err != nil {
		return nil, err
	}
	rd, err := s.reader()
	if err != nil {
		return nil, err
	}
	p, err := rd.ConsensusBlocks(from, to, pa)
	if err != nil {
		return nil, s.srv.listErr(err)
	}
	remember(s, s.blocks, func(b *indexer.ConsensusBlockRecord) uint64 { return b.Number }, p.Items)
	var count func() (*Long, error)
	if args.Where == nil || (args.Where.NumberFrom == nil && args.Where.NumberTo == nil) {
		count = func() (*Long, error) {
			pr, ok, err := rd.Progress()
			if err != nil {
				return nil, s.srv.internal("progress", err)
			}
			if !ok {
				return longPtr(0), nil
			}
			return longPtr(pr.Number + 1), nil
		}
	}
	return newConnection(p, func(b *indexer.ConsensusBlockRecord) *blockResolver { return &blockResolver{s: s, rec: b} }, count), nil
}

type blockResolver struct {
	s   *session
	rec *indexer.ConsensusBlockRecord
}

func (r *blockResolver) ID() gql.ID               { return globalID("ConsensusBlock", r.rec.Number) }
func (r *blockResolver) Number() Long             { return Long(r.rec.Number) }
func (r *blockResolver) Hash() common.Hash        { return r.rec.Hash }
func (r *blockResolver) ParentHash() common.Hash  { return r.rec.Header.ParentHash }
func (r *blockResolver) Slot() Long               { return Long(r.rec.Header.Slot) }
func (r *blockResolver) Timestamp() Long          { return Long(r.rec.Header.Timestamp) }
func (r *blockResolver) Randomness() common.Hash  { return r.rec.Header.Randomness }
func (r *blockResolver) Author() common.Address   { return r.rec.Header.Author }
func (r *blockResolver) BundlesRoot() common.Hash { return r.rec.Header.BundlesRoot }
func (r *blockResolver) ProofsRoot() common.Hash  { return r.rec.Header.ProofsRoot }
func (r *blockResolver) ReceiptsRoot() common.Hash {
	return r.rec.Header.ReceiptsRoot
}
func (r *blockResolver) Raw() hexutil.Bytes         { return r.rec.Raw }
func (r *blockResolver) BundleCount() int32         { return int32Of(len(r.rec.BundleHashes)) }
func (r *blockResolver) ProofHashes() []common.Hash { return r.rec.ProofHashes }
func (r *blockResolver) SubmissionCount() int32     { return int32Of(r.rec.Submissions) }
func (r *blockResolver) ExtrinsicCount() int32      { return int32Of(r.rec.Extrinsics) }

func (r *blockResolver) Parent() (*blockResolver, error) {
	if r.rec.Number == 0 {
		return nil, nil
	}
	return blockByNumber(r.s, r.rec.Number-1)
}

func (r *blockResolver) Bundles() ([]*bundleResolver, error) {
	if err := r.s.prefetchBundles(r.rec.BundleHashes); err != nil {
		return nil, err
	}
	out := make([]*bundleResolver, 0, len(r.rec.BundleHashes))
	for _, h := range r.rec.BundleHashes {
		b, err := bundleByHash(r.s, h)
		if err != nil {
			return nil, err
		}
		if b != nil {
			out = append(out, b)
		}
	}
	return out, nil
}

// DomainBlocks finds the domain blocks this block derives: each domain's
// block whose consensus number is this one (at most one per domain).
func (r *blockResolver) DomainBlocks() ([]*domainBlockResolver, error) {
	if r.rec.DomainBlocks == 0 {
		return []*domainBlockResolver{}, nil
	}
	ids, err := domainIDs(r.s)
	if err != nil {
		return nil, err
	}
	out := []*domainBlockResolver{}
	for _, d := range ids {
		b, err := derivedBy(r.s, d, r.rec.Number)
		if err != nil {
			return nil, err
		}
		if b != nil {
			out = append(out, &domainBlockResolver{s: r.s, rec: b})
		}
	}
	return out, nil
}

// derivedBy finds domain d's block derived by consensus block c, by
// binary search over domain block numbers (consensus numbers grow with
// them): O(log n) point reads.
func derivedBy(s *session, d protocol.DomainID, c uint64) (*indexer.DomainBlockRecord, error) {
	p, err := domainProgress(s, d)
	if err != nil || p == nil {
		return nil, err
	}
	lo, hi := uint64(1), p.VerifiedHeight
	for lo <= hi {
		mid := lo + (hi-lo)/2
		b, err := s.domainBlock(d, mid)
		if err != nil {
			return nil, err
		}
		if b == nil {
			return nil, s.srv.internal("derived by", fmt.Errorf("domain %d block %d missing below the verified height", d, mid))
		}
		switch {
		case b.ConsensusNumber == c:
			return b, nil
		case b.ConsensusNumber < c:
			lo = mid + 1
		default:
			hi = mid - 1
		}
	}
	return nil, nil
}
