package graphql

import (
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"

	"github.com/receiptd/receiptd/indexer"
	"github.com/receiptd/receiptd/protocol"
)

type inboxedResolver struct {
	r  *receiptResolver
	i  int
	ib *protocol.InboxedBundle
}

func (r *inboxedResolver) Index() int32                { return int32(r.i) }
func (r *inboxedResolver) Validity() *validityResolver { return &validityResolver{r.ib.Validity} }
func (r *inboxedResolver) ExtrinsicsRoot() common.Hash { return r.ib.ExtrinsicsRoot }

// Bundle is the i-th bundle of the receipt's domain in the consensus block
// that derived its domain block (DESIGN.md §1.6: the entries follow C's
// bundles of the domain in body order).
func (r *inboxedResolver) Bundle() (*bundleResolver, error) {
	s := r.r.s
	b, err := s.block(r.r.er().ConsensusNumber)
	if err != nil || b == nil || b.Hash != r.r.er().ConsensusHash {
		return nil, err
	}
	if err := s.prefetchBundles(b.BundleHashes); err != nil {
		return nil, err
	}
	k := 0
	for _, h := range b.BundleHashes {
		br, err := s.bundle(h)
		if err != nil {
			return nil, err
		}
		if br == nil || br.Domain != r.r.rec.Domain || !br.Admitted {
			continue
		}
		if k == r.i {
			return &bundleResolver{s: s, rec: br}, nil
		}
		k++
	}
	return nil, nil
}

type feesResolver struct{ f *protocol.BlockFees }

func (r *feesResolver) Operators() hexutil.Big { return bigInt(&r.f.Operators) }
func (r *feesResolver) Burned() hexutil.Big    { return bigInt(&r.f.Burned) }

type verdictResolver struct{ v *indexer.Verdict }

func (r *verdictResolver) Valid() bool           { return r.v.Valid }
func (r *verdictResolver) DescendsFromBad() bool { return r.v.DescendsFromBad }
func (r *verdictResolver) Field() *string        { return optString(r.v.Field) }
func (r *verdictResolver) Expected() *string     { return optString(r.v.Expected) }
func (r *verdictResolver) Claimed() *string      { return optString(r.v.Claimed) }

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

type statusChangeResolver struct {
	s *session
	c indexer.StatusChange
}

func (r *statusChangeResolver) Status() string        { return statusName(r.c.Status) }
func (r *statusChangeResolver) ConsensusNumber() Long { return Long(r.c.ConsensusNumber) }
func (r *statusChangeResolver) ConsensusBlock() (*blockResolver, error) {
	return blockByNumber(r.s, r.c.ConsensusNumber)
}
