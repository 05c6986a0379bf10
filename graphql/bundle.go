package graphql

import (
	"context"

	gql "github.com/graph-gophers/graphql-go"

	"github.com/ethereum/go-ethereum/common"

	"github.com/receiptd/receiptd/indexer"
	"github.com/receiptd/receiptd/protocol"
)

type bundlesArgs struct {
	Where   *bundleFilter
	OrderBy string
	pageInput
}

type bundleFilter struct {
	Domain          *int32
	Operator        *Long
	ConsensusNumber *Long
}

func bundleByHash(s *session, h common.Hash) (*bundleResolver, error) {
	rec, err := s.bundle(h)
	if err != nil || rec == nil {
		return nil, err
	}
	return &bundleResolver{s: s, rec: rec}, nil
}

func bundles(ctx context.Context, s *session, args bundlesArgs, op *protocol.OperatorID) (*connection[*bundleResolver], error) {
	pa, err := s.srv.args(args.pageInput, desc(args.OrderBy))
	if err != nil {
		return nil, err
	}
	q := indexer.BundleQuery{PageArgs: pa, Operator: op}
	if w := args.Where; w != nil {
		if q.Domain, err = optDomain(w.Domain); err != nil {
			return nil, err
		}
		if w.Operator != nil {
			id := protocol.OperatorID(*w.Operator)
			q.Operator = &id
		}
		if w.ConsensusNumber != nil {
			n := uint64(*w.ConsensusNumber)
			q.ConsensusNumber = &n
		}
	}
	rd, err := s.reader()
	if err != nil {
		return nil, err
	}
	p, err := rd.Bundles(q)
	if err != nil {
		return nil, s.srv.listErr(err)
	}
	remember(s, s.bundles, func(b *indexer.BundleRecord) common.Hash { return b.Hash }, p.Items)
	if err := prefetchBundleLinks(ctx, s, p.Items); err != nil {
		return nil, err
	}
	count := s.srv.countOf(func() (uint64, bool, error) { return rd.CountBundles(q) })
	return newConnection(p, func(b *indexer.BundleRecord) *bundleResolver { return &bundleResolver{s: s, rec: b} }, count), nil
}

// prefetchBundleLinks loads, in one sorted pass each, what the selection
// asks of every bundle on the page.
func prefetchBundleLinks(ctx context.Context, s *session, bs []*indexer.BundleRecord) error {
	if selected(ctx, "receipt") {
		hs := make([]common.Hash, len(bs))
		for i, b := range bs {
			hs[i] = b.ReceiptHash
		}
		if err := s.prefetchReceipts(hs); err != nil {
			return err
		}
	}
	if selected(ctx, "consensusBlock") {
		ns := make([]uint64, len(bs))
		for i, b := range bs {
			ns[i] = b.ConsensusNumber
		}
		if err := s.prefetchBlocks(ns); err != nil {
			return err
		}
	}
	if selected(ctx, "operator") {
		ids := make([]protocol.OperatorID, len(bs))
		for i, b := range bs {
			ids[i] = b.Operator
		}
		return s.prefetchOperators(ids)
	}
	return nil
}

type bundleResolver struct {
	s   *session
	rec *indexer.BundleRecord
}

func (r *bundleResolver) ID() gql.ID                       { return globalID("Bundle", r.rec.Hash.Hex()) }
func (r *bundleResolver) Hash() common.Hash                { return r.rec.Hash }
func (r *bundleResolver) ConsensusNumber() Long            { return Long(r.rec.ConsensusNumber) }
func (r *bundleResolver) Index() int32                     { return int32Of(r.rec.Index) }
func (r *bundleResolver) Domain() *domainResolver          { return &domainResolver{s: r.s, id: r.rec.Domain} }
func (r *bundleResolver) OperatorId() Long                 { return Long(r.rec.Operator) }
func (r *bundleResolver) Slot() Long                       { return Long(r.rec.Slot) }
func (r *bundleResolver) DeclaredGas() Long                { return Long(r.rec.DeclaredGas) }
func (r *bundleResolver) ExtrinsicsRoot() common.Hash      { return r.rec.ExtrinsicsRoot }
func (r *bundleResolver) ReceiptHash() common.Hash         { return r.rec.ReceiptHash }
func (r *bundleResolver) Validity() *validityResolver      { return &validityResolver{r.rec.Validity} }
func (r *bundleResolver) Admitted() bool                   { return r.rec.Admitted }
func (r *bundleResolver) TransactionHashes() []common.Hash { return r.rec.TxHashes }

func (r *bundleResolver) ConsensusBlock() (*blockResolver, error) {
	return blockByNumber(r.s, r.rec.ConsensusNumber)
}

func (r *bundleResolver) Operator() (*operatorResolver, error) {
	return operatorByID(r.s, r.rec.Operator)
}

func (r *bundleResolver) Receipt() (*receiptResolver, error) {
	return receiptByHash(r.s, r.rec.ReceiptHash)
}

// Transactions are the bundle's extrinsics, each the occurrence at this
// bundle's position.
func (r *bundleResolver) Transactions() ([]*txResolver, error) {
	out := make([]*txResolver, 0, len(r.rec.TxHashes))
	for i, h := range r.rec.TxHashes {
		tx, err := txOccurrence(r.s, h, r.rec.ConsensusNumber, r.rec.Index, uint32(i))
		if err != nil {
			return nil, err
		}
		if tx != nil {
			out = append(out, tx)
		}
	}
	return out, nil
}

type validityResolver struct{ v protocol.BundleValidity }

func (r *validityResolver) Valid() bool { return r.v.IsValid() }

func (r *validityResolver) InvalidKind() *string {
	if r.v.IsValid() {
		return nil
	}
	s := map[protocol.InvalidKind]string{protocol.InvalidUndecodable: "UNDECODABLE",
		protocol.InvalidIllegalTx: "ILLEGAL_TX", protocol.InvalidBundleWeight: "INVALID_BUNDLE_WEIGHT"}[r.v.Invalid]
	return &s
}

func (r *validityResolver) TxIndex() *int32 {
	if r.v.IsValid() {
		return nil
	}
	i := int32Of(r.v.TxIndex)
	return &i
}

func (r *validityResolver) Digest() *common.Hash {
	if !r.v.IsValid() {
		return nil
	}
	return &r.v.Digest
}
