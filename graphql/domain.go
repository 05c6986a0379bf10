package graphql

import (
	"context"
	"slices"

	gql "github.com/graph-gophers/graphql-go"

	"github.com/ethereum/go-ethereum/common"

	"github.com/receiptd/receiptd/indexer"
	"github.com/receiptd/receiptd/protocol"
)

func domainProgress(s *session, d protocol.DomainID) (*indexer.DomainProgress, error) {
	return load(s, map[protocol.DomainID]*indexer.DomainProgress{}, d, (*indexer.Reader).DomainProgress)
}

// domainIDs lists the followed domains: the domains of the registered
// operators that have a progress record. (The index has no listing of
// domains; operators are few, so this reads them all.)
func domainIDs(s *session) ([]protocol.DomainID, error) {
	rd, err := s.reader()
	if err != nil {
		return nil, err
	}
	seen := map[protocol.DomainID]bool{}
	args := indexer.PageArgs{First: indexer.MaxPageSize}
	for range 16 {
		p, err := rd.Operators(indexer.OperatorQuery{PageArgs: args})
		if err != nil {
			return nil, s.srv.internal("list operators", err)
		}
		for _, op := range p.Items {
			seen[op.Operator.Domain] = true
		}
		if !p.HasNext {
			break
		}
		args.After = p.EndCursor()
	}
	var ids []protocol.DomainID
	for d := range seen {
		p, err := domainProgress(s, d)
		if err != nil {
			return nil, err
		}
		if p != nil {
			ids = append(ids, d)
		}
	}
	slices.Sort(ids)
	return ids, nil
}

type statusResolver struct {
	s  *session
	st Status
}

func (r *statusResolver) progress() (indexer.Progress, bool, error) {
	rd, err := r.s.reader()
	if err != nil {
		return indexer.Progress{}, false, err
	}
	p, ok, err := rd.Progress()
	if err != nil {
		return p, false, r.s.srv.internal("progress", err)
	}
	return p, ok, nil
}

func (r *statusResolver) ConsensusHead() (*blockResolver, error) {
	p, ok, err := r.progress()
	if err != nil || !ok {
		return nil, err
	}
	return blockByNumber(r.s, p.Number)
}

func (r *statusResolver) ConsensusNumber() (Long, error) {
	p, _, err := r.progress()
	return Long(p.Number), err
}

func (r *statusResolver) SourceHead() *Long {
	if !r.st.Known {
		return nil
	}
	return longPtr(r.st.SourceHead)
}

func (r *statusResolver) Lag() (*Long, error) {
	if !r.st.Known {
		return nil, nil
	}
	p, _, err := r.progress()
	if err != nil {
		return nil, err
	}
	return longPtr(r.st.SourceHead - min(r.st.SourceHead, p.Number)), nil
}

func (r *statusResolver) Syncing() bool { return r.st.Syncing }

func (r *statusResolver) Domains() ([]*domainStatusResolver, error) {
	ids, err := domainIDs(r.s)
	if err != nil {
		return nil, err
	}
	out := make([]*domainStatusResolver, 0, len(ids))
	for _, id := range ids {
		p, err := domainProgress(r.s, id)
		if err != nil {
			return nil, err
		}
		out = append(out, &domainStatusResolver{s: r.s, p: p, st: r.st})
	}
	return out, nil
}

type domainStatusResolver struct {
	s  *session
	p  *indexer.DomainProgress
	st Status
}

func (r *domainStatusResolver) Domain() *domainResolver {
	return &domainResolver{s: r.s, id: r.p.Domain}
}
func (r *domainStatusResolver) VerifiedHeight() Long   { return Long(r.p.VerifiedHeight) }
func (r *domainStatusResolver) HeadHash() common.Hash  { return r.p.HeadHash }
func (r *domainStatusResolver) StateRoot() common.Hash { return r.p.StateRoot }
func (r *domainStatusResolver) Lag() *Long {
	head, ok := r.st.DomainHeads[r.p.Domain]
	if !ok {
		return nil
	}
	return longPtr(head - min(head, r.p.VerifiedHeight))
}

type domainResolver struct {
	s  *session
	id protocol.DomainID
}

func (r *domainResolver) ID() gql.ID      { return globalID("Domain", r.id) }
func (r *domainResolver) DomainId() int32 { return int32Of(uint32(r.id)) }

func (r *domainResolver) Status() (*domainStatusResolver, error) {
	p, err := domainProgress(r.s, r.id)
	if err != nil || p == nil {
		return nil, err
	}
	return &domainStatusResolver{s: r.s, p: p, st: r.s.followerStatus()}, nil
}

func (r *domainResolver) Head() (*domainBlockResolver, error) {
	p, err := domainProgress(r.s, r.id)
	if err != nil || p == nil {
		return nil, err
	}
	return domainBlockByNumber(r.s, r.id, p.VerifiedHeight)
}

func (r *domainResolver) count(f func(*indexer.Reader) (uint64, error)) (Long, error) {
	rd, err := r.s.reader()
	if err != nil {
		return 0, err
	}
	n, err := f(rd)
	if err != nil {
		return 0, r.s.srv.internal("count", err)
	}
	return Long(n), nil
}

func (r *domainResolver) BlockCount() (Long, error) {
	return r.count(func(rd *indexer.Reader) (uint64, error) { return rd.CountDomainBlocks(r.id) })
}

func (r *domainResolver) TransactionCount() (Long, error) {
	return r.count(func(rd *indexer.Reader) (uint64, error) { return rd.CountDomainTxs(r.id) })
}

func (r *domainResolver) ReceiptCount() (Long, error) {
	return r.count(func(rd *indexer.Reader) (uint64, error) {
		n, _, err := rd.CountReceipts(indexer.ReceiptQuery{Domain: &r.id})
		return n, err
	})
}

func (r *domainResolver) BundleCount() (Long, error) {
	return r.count(func(rd *indexer.Reader) (uint64, error) {
		n, _, err := rd.CountBundles(indexer.BundleQuery{Domain: &r.id})
		return n, err
	})
}

func (r *domainResolver) Blocks(args blocksArgs) (*connection[*domainBlockResolver], error) {
	return domainBlocks(r.s, r.id, args)
}

func (r *domainResolver) Receipts(ctx context.Context, args receiptsArgs) (*connection[*receiptResolver], error) {
	return receipts(ctx, r.s, args, indexer.ReceiptQuery{Domain: &r.id})
}

func (r *domainResolver) Operators(args struct{ pageInput }) (*connection[*operatorResolver], error) {
	return operators(r.s, operatorsArgs{OrderBy: "ID_ASC", pageInput: args.pageInput}, &r.id)
}
