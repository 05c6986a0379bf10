package graphql

import (
	"errors"
	"sync"

	gql "github.com/graph-gophers/graphql-go"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"

	"github.com/receiptd/receiptd/indexer"
)

func txOccurrences(s *session, h common.Hash) ([]*indexer.TxRecord, error) {
	rd, err := s.reader()
	if err != nil {
		return nil, err
	}
	s.reads.Add(1)
	all, err := rd.Txs(h)
	if errors.Is(err, indexer.ErrNotFound) {
		return []*indexer.TxRecord{}, nil
	}
	if err != nil {
		return nil, s.srv.internal("txs", err)
	}
	return all, nil
}

// txOccurrence is the occurrence of h at (consensus block, bundle index,
// extrinsic index), or nil.
func txOccurrence(s *session, h common.Hash, cnum uint64, bundle, ext uint32) (*txResolver, error) {
	all, err := txOccurrences(s, h)
	if err != nil {
		return nil, err
	}
	for _, tx := range all {
		if tx.ConsensusNumber == cnum && tx.BundleIndex == bundle && tx.ExtrinsicIndex == ext {
			return &txResolver{s: s, rec: tx}, nil
		}
	}
	return nil, nil
}

type txResolver struct {
	s    *session
	rec  *indexer.TxRecord
	once sync.Once
	dec  *types.Transaction // decoded lazily; nil when it does not decode
}

func (r *txResolver) tx() *types.Transaction {
	r.once.Do(func() {
		t := new(types.Transaction)
		if t.UnmarshalBinary(r.rec.Raw) == nil {
			r.dec = t
		}
	})
	return r.dec
}

func (r *txResolver) ID() gql.ID {
	return globalID("Transaction", r.rec.Hash.Hex(), r.rec.ConsensusNumber, r.rec.BundleIndex, r.rec.ExtrinsicIndex)
}
func (r *txResolver) Hash() common.Hash       { return r.rec.Hash }
func (r *txResolver) Domain() *domainResolver { return &domainResolver{s: r.s, id: r.rec.Domain} }
func (r *txResolver) From() common.Address    { return r.rec.Sender }
func (r *txResolver) Raw() hexutil.Bytes      { return r.rec.Raw }
func (r *txResolver) Decodes() bool           { return r.tx() != nil }
func (r *txResolver) ConsensusNumber() Long   { return Long(r.rec.ConsensusNumber) }
func (r *txResolver) BundleIndex() int32      { return int32Of(r.rec.BundleIndex) }
func (r *txResolver) ExtrinsicIndex() int32   { return int32Of(r.rec.ExtrinsicIndex) }
func (r *txResolver) DomainBlockNumber() Long { return Long(r.rec.Fate.DomainNumber) }

func (r *txResolver) Type() *int32 {
	if t := r.tx(); t != nil {
		v := int32(t.Type())
		return &v
	}
	return nil
}

func (r *txResolver) Nonce() *Long {
	if t := r.tx(); t != nil {
		return longPtr(t.Nonce())
	}
	return nil
}

func (r *txResolver) To() *common.Address {
	if t := r.tx(); t != nil {
		return t.To()
	}
	return nil
}

func (r *txResolver) Value() *hexutil.Big {
	if t := r.tx(); t != nil {
		return bigPtr(t.Value())
	}
	return nil
}

func (r *txResolver) Gas() *Long {
	if t := r.tx(); t != nil {
		return longPtr(t.Gas())
	}
	return nil
}

func (r *txResolver) GasPrice() *hexutil.Big {
	if t := r.tx(); t != nil {
		return bigPtr(t.GasPrice())
	}
	return nil
}

func (r *txResolver) MaxFeePerGas() *hexutil.Big {
	if t := r.tx(); t != nil && t.Type() == types.DynamicFeeTxType {
		return bigPtr(t.GasFeeCap())
	}
	return nil
}

func (r *txResolver) MaxPriorityFeePerGas() *hexutil.Big {
	if t := r.tx(); t != nil && t.Type() == types.DynamicFeeTxType {
		return bigPtr(t.GasTipCap())
	}
	return nil
}

func (r *txResolver) InputData() *hexutil.Bytes {
	if t := r.tx(); t != nil {
		b := hexutil.Bytes(t.Data())
		return &b
	}
	return nil
}

func (r *txResolver) Bundle() (*bundleResolver, error) {
	b, err := bundleByHash(r.s, r.rec.Fate.BundleHash)
	if err != nil || b != nil {
		return b, err
	}
	return nil, nil
}

func (r *txResolver) Fate() string {
	switch r.rec.Fate.Kind {
	case indexer.TxIncluded:
		return "INCLUDED"
	case indexer.TxDuplicate:
		return "DUPLICATE"
	case indexer.TxInInvalidBundle:
		return "INVALID_BUNDLE"
	}
	return "SKIPPED"
}

func (r *txResolver) included() bool { return r.rec.Fate.Kind == indexer.TxIncluded }

func (r *txResolver) DomainBlock() (*domainBlockResolver, error) {
	return domainBlockByNumber(r.s, r.rec.Domain, r.rec.Fate.DomainNumber)
}

func (r *txResolver) Position() *int32 {
	if !r.included() {
		return nil
	}
	p := int32Of(r.rec.Fate.Position)
	return &p
}

func (r *txResolver) receiptLong(v uint64) *Long {
	if !r.included() {
		return nil
	}
	return longPtr(v)
}

func (r *txResolver) Status() *Long            { return r.receiptLong(r.rec.Status) }
func (r *txResolver) GasUsed() *Long           { return r.receiptLong(r.rec.GasUsed) }
func (r *txResolver) CumulativeGasUsed() *Long { return r.receiptLong(r.rec.CumulativeGasUsed) }

func (r *txResolver) ContractAddress() *common.Address {
	if !r.included() || r.rec.ContractAddress == (common.Address{}) {
		return nil
	}
	return &r.rec.ContractAddress
}

func (r *txResolver) Logs() *[]*logResolver {
	if !r.included() {
		return nil
	}
	out := make([]*logResolver, len(r.rec.Logs))
	for i := range r.rec.Logs {
		out[i] = &logResolver{i: i, l: &r.rec.Logs[i]}
	}
	return &out
}

type logResolver struct {
	i int
	l *indexer.LogRecord
}

func (r *logResolver) Index() int32            { return int32(r.i) }
func (r *logResolver) Account() common.Address { return r.l.Address }
func (r *logResolver) Topics() []common.Hash   { return r.l.Topics }
func (r *logResolver) Data() hexutil.Bytes     { return r.l.Data }
