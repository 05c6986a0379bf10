package graphql

import (
	"context"

	gql "github.com/graph-gophers/graphql-go"

	"github.com/ethereum/go-ethereum/common/hexutil"

	"github.com/receiptd/receiptd/indexer"
	"github.com/receiptd/receiptd/protocol"
)

type operatorsArgs struct {
	Where   *operatorFilter
	OrderBy string
	pageInput
}

type operatorFilter struct {
	Domain *int32
	Status *string
}

var operatorStatuses = map[string]protocol.OperatorStatus{"ACTIVE": protocol.OperatorActive, "SLASHED": protocol.OperatorSlashed}

func operators(s *session, args operatorsArgs, domain *protocol.DomainID) (*connection[*operatorResolver], error) {
	pa, err := s.srv.args(args.pageInput, desc(args.OrderBy))
	if err != nil {
		return nil, err
	}
	q := indexer.OperatorQuery{Domain: domain, PageArgs: pa}
	if w := args.Where; w != nil {
		if q.Domain, err = optDomain(w.Domain); err != nil {
			return nil, err
		}
		if w.Status != nil {
			q.Status = operatorStatuses[*w.Status]
		}
	}
	rd, err := s.reader()
	if err != nil {
		return nil, err
	}
	p, err := rd.Operators(q)
	if err != nil {
		return nil, s.srv.listErr(err)
	}
	remember(s, s.operators, func(o *indexer.OperatorRecord) protocol.OperatorID { return o.Operator.ID }, p.Items)
	return newConnection(p, func(o *indexer.OperatorRecord) *operatorResolver { return &operatorResolver{s: s, rec: o} }, nil), nil
}

func operatorByID(s *session, id protocol.OperatorID) (*operatorResolver, error) {
	rec, err := s.operator(id)
	if err != nil || rec == nil {
		return nil, err
	}
	return &operatorResolver{s: s, rec: rec}, nil
}

type operatorResolver struct {
	s   *session
	rec *indexer.OperatorRecord
}

func (r *operatorResolver) op() *protocol.Operator { return &r.rec.Operator }
func (r *operatorResolver) ID() gql.ID             { return globalID("Operator", r.op().ID) }
func (r *operatorResolver) OperatorId() Long       { return Long(r.op().ID) }
func (r *operatorResolver) Domain() *domainResolver {
	return &domainResolver{s: r.s, id: r.op().Domain}
}
func (r *operatorResolver) Stake() Long              { return Long(r.op().Stake) }
func (r *operatorResolver) Status() string           { return nameOf(operatorStatuses, r.op().Status) }
func (r *operatorResolver) PublicKey() hexutil.Bytes { return r.op().PublicKey[:] }
func (r *operatorResolver) Rewards() hexutil.Big     { return bigInt(&r.op().Rewards) }
func (r *operatorResolver) ElectionsWon() Long       { return Long(r.rec.ElectionsWon) }
func (r *operatorResolver) BundleCount() Long        { return Long(r.rec.Bundles) }
func (r *operatorResolver) ReceiptsBacked() Long     { return Long(r.rec.ReceiptsBacked) }
func (r *operatorResolver) Faults() Long             { return Long(r.rec.Faults) }
func (r *operatorResolver) Slashes() Long            { return Long(r.rec.Slashes) }
func (r *operatorResolver) Fees() hexutil.Big        { return bigInt(&r.rec.Fees) }

func (r *operatorResolver) Bundles(ctx context.Context, args struct{ pageInput }) (*connection[*bundleResolver], error) {
	id := r.op().ID
	return bundles(ctx, r.s, bundlesArgs{OrderBy: "CHAIN_ASC", pageInput: args.pageInput}, &id)
}

func (r *operatorResolver) Receipts(ctx context.Context, args receiptsArgs) (*connection[*receiptResolver], error) {
	id := r.op().ID
	return receipts(ctx, r.s, args, indexer.ReceiptQuery{Operator: &id})
}
