package graphql

import (
	"context"
	"fmt"

	gql "github.com/graph-gophers/graphql-go"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"

	"github.com/receiptd/receiptd/indexer"
	"github.com/receiptd/receiptd/protocol"
)

type receiptsArgs struct {
	Where   *receiptFilter
	OrderBy string
	pageInput
}

type receiptFilter struct {
	Domain     *int32
	Operator   *Long
	Status     *string
	Verdict    *string
	NumberFrom *Long
	NumberTo   *Long
}

var receiptStatuses = map[string]protocol.ReceiptStatus{
	"PENDING": protocol.ReceiptPending, "CONFIRMED": protocol.ReceiptConfirmed, "PRUNED": protocol.ReceiptPruned,
}

// query merges the filter into base; base's fields (set by the parent
// object: a domain, an operator) win, and a filter contradicting them is
// an error.
func (f *receiptFilter) query(base indexer.ReceiptQuery) (indexer.ReceiptQuery, error) {
	q := base
	if f == nil {
		return q, nil
	}
	d, err := optDomain(f.Domain)
	if err != nil {
		return q, err
	}
	if d != nil {
		if q.Domain != nil && *q.Domain != *d {
			return q, fmt.Errorf("where.domain %d contradicts the parent's domain %d", *d, *q.Domain)
		}
		q.Domain = d
	}
	if f.Operator != nil {
		op := protocol.OperatorID(*f.Operator)
		if q.Operator != nil && *q.Operator != op {
			return q, fmt.Errorf("where.operator %d contradicts the parent's operator %d", op, *q.Operator)
		}
		q.Operator = &op
	}
	if f.Status != nil {
		q.Status = receiptStatuses[*f.Status]
	}
	if f.Verdict != nil {
		q.Verdict = map[string]indexer.VerdictFilter{"VALID": indexer.VerdictValid, "BAD": indexer.VerdictBad}[*f.Verdict]
	}
	r := blockRange{NumberFrom: f.NumberFrom, NumberTo: f.NumberTo}
	from, to, err := r.bounds()
	if err != nil {
		return q, err
	}
	q.NumberFrom, q.NumberTo = from, to
	return q, nil
}

// matches applies a filter to one receipt (subscriptions).
func (f *receiptFilter) matches(rec *indexer.ReceiptRecord) bool {
	q, err := f.query(indexer.ReceiptQuery{})
	if err != nil {
		return false
	}
	switch {
	case q.Domain != nil && rec.Domain != *q.Domain,
		q.Status != 0 && rec.Status != q.Status,
		q.Verdict == indexer.VerdictValid && !rec.Verdict.Valid,
		q.Verdict == indexer.VerdictBad && rec.Verdict.Valid,
		rec.Number < q.NumberFrom, q.NumberTo != nil && rec.Number > *q.NumberTo:
		return false
	case q.Operator != nil:
		for _, b := range rec.Backers {
			if b == *q.Operator {
				return true
			}
		}
		return false
	}
	return true
}

func receipts(ctx context.Context, s *session, args receiptsArgs, base indexer.ReceiptQuery) (*connection[*receiptResolver], error) {
	q, err := args.Where.query(base)
	if err != nil {
		return nil, err
	}
	return receiptsQuery(ctx, s, q, args.pageInput, desc(args.OrderBy))
}

func receiptsQuery(ctx context.Context, s *session, q indexer.ReceiptQuery, in pageInput, desc bool) (*connection[*receiptResolver], error) {
	pa, err := s.srv.args(in, desc)
	if err != nil {
		return nil, err
	}
	q.PageArgs = pa
	rd, err := s.reader()
	if err != nil {
		return nil, err
	}
	p, err := rd.Receipts(q)
	if err != nil {
		return nil, s.srv.listErr(err)
	}
	remember(s, s.receipts, func(r *indexer.ReceiptRecord) common.Hash { return r.Hash }, p.Items)
	if ctx != nil {
		if err := prefetchReceiptLinks(ctx, s, p.Items); err != nil {
			return nil, err
		}
	}
	count := s.srv.countOf(func() (uint64, bool, error) { return rd.CountReceipts(q) })
	return newConnection(p, func(r *indexer.ReceiptRecord) *receiptResolver { return &receiptResolver{s: s, rec: r} }, count), nil
}

// prefetchReceiptLinks loads what the selection asks of every receipt on
// the page, one sorted pass per kind of record.
func prefetchReceiptLinks(ctx context.Context, s *session, rs []*indexer.ReceiptRecord) error {
	if selected(ctx, "consensusBlock") || selected(ctx, "inboxedBundles.bundle") {
		ns := make([]uint64, len(rs))
		for i, r := range rs {
			ns[i] = r.Receipt.ConsensusNumber
		}
		if err := s.prefetchBlocks(ns); err != nil {
			return err
		}
	}
	if selected(ctx, "inboxedBundles.bundle") {
		var hs []common.Hash
		for _, r := range rs {
			if b, err := s.block(r.Receipt.ConsensusNumber); err == nil && b != nil {
				hs = append(hs, b.BundleHashes...)
			}
		}
		if err := s.prefetchBundles(hs); err != nil {
			return err
		}
	}
	if selected(ctx, "parent") {
		hs := make([]common.Hash, len(rs))
		for i, r := range rs {
			hs[i] = r.Receipt.ParentReceiptHash
		}
		if err := s.prefetchReceipts(hs); err != nil {
			return err
		}
	}
	if selected(ctx, "backers") {
		var ids []protocol.OperatorID
		for _, r := range rs {
			ids = append(ids, r.Backers...)
		}
		return s.prefetchOperators(ids)
	}
	return nil
}

func receiptByHash(s *session, h common.Hash) (*receiptResolver, error) {
	rec, err := s.receipt(h)
	if err != nil || rec == nil {
		return nil, err
	}
	return &receiptResolver{s: s, rec: rec}, nil
}

type receiptResolver struct {
	s   *session
	rec *indexer.ReceiptRecord
}

func (r *receiptResolver) er() *protocol.ExecutionReceipt { return &r.rec.Receipt }

func (r *receiptResolver) ID() gql.ID                   { return globalID("Receipt", r.rec.Hash.Hex()) }
func (r *receiptResolver) Hash() common.Hash            { return r.rec.Hash }
func (r *receiptResolver) Domain() *domainResolver      { return &domainResolver{s: r.s, id: r.rec.Domain} }
func (r *receiptResolver) Number() Long                 { return Long(r.rec.Number) }
func (r *receiptResolver) DomainBlockHash() common.Hash { return r.er().DomainHash }
func (r *receiptResolver) ExtrinsicsRoot() common.Hash  { return r.er().ExtrinsicsRoot }
func (r *receiptResolver) ParentReceiptHash() common.Hash {
	return r.er().ParentReceiptHash
}
func (r *receiptResolver) ConsensusNumber() Long       { return Long(r.er().ConsensusNumber) }
func (r *receiptResolver) ConsensusHash() common.Hash  { return r.er().ConsensusHash }
func (r *receiptResolver) GasUsed() Long               { return Long(r.er().GasUsed) }
func (r *receiptResolver) ReceiptsRoot() common.Hash   { return r.er().ReceiptsRoot }
func (r *receiptResolver) LogsBloom() hexutil.Bytes    { return r.er().LogsBloom.Bytes() }
func (r *receiptResolver) FinalStateRoot() common.Hash { return r.er().FinalStateRoot }
func (r *receiptResolver) Trace() []common.Hash        { return r.er().Trace }
func (r *receiptResolver) TraceRoot() common.Hash      { return r.er().TraceRoot }
func (r *receiptResolver) Fees() *feesResolver         { return &feesResolver{&r.er().Fees} }
func (r *receiptResolver) Verdict() *verdictResolver   { return &verdictResolver{&r.rec.Verdict} }
func (r *receiptResolver) Status() string              { return statusName(r.rec.Status) }
func (r *receiptResolver) ConfirmedBad() bool          { return r.rec.ConfirmedBad }
func (r *receiptResolver) FirstSeen() Long             { return Long(r.rec.FirstSeen) }

func statusName(s protocol.ReceiptStatus) string {
	switch s {
	case protocol.ReceiptConfirmed:
		return "CONFIRMED"
	case protocol.ReceiptPruned:
		return "PRUNED"
	}
	return "PENDING"
}

func (r *receiptResolver) DomainBlock() (*domainBlockResolver, error) {
	return domainBlockByNumber(r.s, r.rec.Domain, r.rec.Number)
}

func (r *receiptResolver) Parent() (*receiptResolver, error) {
	if r.rec.Number == 0 {
		return nil, nil
	}
	return receiptByHash(r.s, r.er().ParentReceiptHash)
}

func (r *receiptResolver) ConsensusBlock() (*blockResolver, error) {
	b, err := blockByNumber(r.s, r.er().ConsensusNumber)
	if err != nil || b == nil || b.rec.Hash != r.er().ConsensusHash {
		return nil, err // the ER names a block that is not canonical
	}
	return b, nil
}

func (r *receiptResolver) InboxedBundles() ([]*inboxedResolver, error) {
	out := make([]*inboxedResolver, len(r.er().InboxedBundles))
	for i := range r.er().InboxedBundles {
		out[i] = &inboxedResolver{r: r, i: i, ib: &r.er().InboxedBundles[i]}
	}
	return out, nil
}

func (r *receiptResolver) BackerIds() []Long {
	out := make([]Long, len(r.rec.Backers))
	for i, b := range r.rec.Backers {
		out[i] = Long(b)
	}
	return out
}

func (r *receiptResolver) Backers() ([]*operatorResolver, error) {
	return operatorsByIDs(r.s, r.rec.Backers)
}

// operatorsByIDs resolves operator ids in one prefetch, skipping unknown ones.
func operatorsByIDs(s *session, ids []protocol.OperatorID) ([]*operatorResolver, error) {
	if err := s.prefetchOperators(ids); err != nil {
		return nil, err
	}
	out := make([]*operatorResolver, 0, len(ids))
	for _, id := range ids {
		op, err := operatorByID(s, id)
		if err != nil {
			return nil, err
		}
		if op != nil {
			out = append(out, op)
		}
	}
	return out, nil
}

func (r *receiptResolver) Timeline() []*statusChangeResolver {
	out := make([]*statusChangeResolver, len(r.rec.Timeline))
	for i, c := range r.rec.Timeline {
		out[i] = &statusChangeResolver{s: r.s, c: c}
	}
	return out
}

func (r *receiptResolver) Challenge() (*challengeResolver, error) {
	if r.rec.ChallengeID == (common.Hash{}) {
		return nil, nil
	}
	return challengeByID(r.s, r.rec.ChallengeID)
}
