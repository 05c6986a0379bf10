package graphql

import (
	"context"
	"strings"
	"sync"

	gql "github.com/graph-gophers/graphql-go"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/rlp"

	"github.com/receiptd/receiptd/indexer"
	"github.com/receiptd/receiptd/protocol"
)

func domainBlockByNumber(s *session, d protocol.DomainID, n uint64) (*domainBlockResolver, error) {
	rec, err := s.domainBlock(d, n)
	if err != nil || rec == nil {
		return nil, err
	}
	return &domainBlockResolver{s: s, rec: rec}, nil
}

func domainBlocks(s *session, d protocol.DomainID, args blocksArgs) (*connection[*domainBlockResolver], error) {
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
	p, err := rd.DomainBlocks(d, from, to, pa)
	if err != nil {
		return nil, s.srv.listErr(err)
	}
	var count func() (*Long, error)
	if from == 0 && to == nil {
		count = s.srv.countOf(func() (uint64, bool, error) {
			n, err := rd.CountDomainBlocks(d)
			return n, true, err
		})
	}
	return newConnection(p, func(b *indexer.DomainBlockRecord) *domainBlockResolver {
		return &domainBlockResolver{s: s, rec: b}
	}, count), nil
}

type domainBlockResolver struct {
	s    *session
	rec  *indexer.DomainBlockRecord
	once sync.Once
	hdr  *types.Header
	err  error
}

// header decodes the stored go-ethereum header; a record that does not
// decode is corrupt, an internal error.
func (r *domainBlockResolver) header() (*types.Header, error) {
	r.once.Do(func() {
		h := new(types.Header)
		if err := rlp.DecodeBytes(r.rec.Header, h); err != nil {
			r.err = r.s.srv.internal("decode domain header", err)
			return
		}
		r.hdr = h
	})
	return r.hdr, r.err
}

func (r *domainBlockResolver) ID() gql.ID { return globalID("DomainBlock", r.rec.Domain, r.rec.Number) }
func (r *domainBlockResolver) Domain() *domainResolver {
	return &domainResolver{s: r.s, id: r.rec.Domain}
}
func (r *domainBlockResolver) Number() Long             { return Long(r.rec.Number) }
func (r *domainBlockResolver) Hash() common.Hash        { return r.rec.Hash }
func (r *domainBlockResolver) RawHeader() hexutil.Bytes { return r.rec.Header }
func (r *domainBlockResolver) ConsensusNumber() Long    { return Long(r.rec.ConsensusNumber) }
func (r *domainBlockResolver) TransactionCount() int32  { return int32Of(len(r.rec.TxHashes)) }
func (r *domainBlockResolver) TransactionHashes() []common.Hash {
	return r.rec.TxHashes
}
func (r *domainBlockResolver) HonestReceiptHash() common.Hash { return r.rec.ReceiptHash }

func hdrField[T any](r *domainBlockResolver, f func(*types.Header) T) (T, error) {
	h, err := r.header()
	if err != nil {
		var zero T
		return zero, err
	}
	return f(h), nil
}

func (r *domainBlockResolver) ParentHash() (common.Hash, error) {
	return hdrField(r, func(h *types.Header) common.Hash { return h.ParentHash })
}
func (r *domainBlockResolver) StateRoot() (common.Hash, error) {
	return hdrField(r, func(h *types.Header) common.Hash { return h.Root })
}
func (r *domainBlockResolver) TransactionsRoot() (common.Hash, error) {
	return hdrField(r, func(h *types.Header) common.Hash { return h.TxHash })
}
func (r *domainBlockResolver) ReceiptsRoot() (common.Hash, error) {
	return hdrField(r, func(h *types.Header) common.Hash { return h.ReceiptHash })
}
func (r *domainBlockResolver) LogsBloom() (hexutil.Bytes, error) {
	return hdrField(r, func(h *types.Header) hexutil.Bytes { return h.Bloom.Bytes() })
}
func (r *domainBlockResolver) Miner() (common.Address, error) {
	return hdrField(r, func(h *types.Header) common.Address { return h.Coinbase })
}
func (r *domainBlockResolver) Timestamp() (Long, error) {
	return hdrField(r, func(h *types.Header) Long { return Long(h.Time) })
}
func (r *domainBlockResolver) GasLimit() (Long, error) {
	return hdrField(r, func(h *types.Header) Long { return Long(h.GasLimit) })
}
func (r *domainBlockResolver) GasUsed() Long { return Long(r.rec.GasUsed) }
func (r *domainBlockResolver) BaseFeePerGas() (*hexutil.Big, error) {
	return hdrField(r, func(h *types.Header) *hexutil.Big { return bigPtr(h.BaseFee) })
}
func (r *domainBlockResolver) MixHash() (common.Hash, error) {
	return hdrField(r, func(h *types.Header) common.Hash { return h.MixDigest })
}
func (r *domainBlockResolver) ParentBeaconBlockRoot() (*common.Hash, error) {
	return hdrField(r, func(h *types.Header) *common.Hash { return h.ParentBeaconRoot })
}

func (r *domainBlockResolver) Parent() (*domainBlockResolver, error) {
	if r.rec.Number == 0 {
		return nil, nil
	}
	return domainBlockByNumber(r.s, r.rec.Domain, r.rec.Number-1)
}

func (r *domainBlockResolver) ConsensusBlock() (*blockResolver, error) {
	return blockByNumber(r.s, r.rec.ConsensusNumber)
}

func (r *domainBlockResolver) Transactions(ctx context.Context, args pageInput) (*connection[*txResolver], error) {
	pa, err := r.s.srv.args(args, false)
	if err != nil {
		return nil, err
	}
	rd, err := r.s.reader()
	if err != nil {
		return nil, err
	}
	n := Long(len(r.rec.TxHashes))
	count := func() (*Long, error) { return &n, nil }
	if refsSuffice(ctx) {
		p, err := rd.DomainTxRefs(r.rec.Domain, r.rec.Number, pa)
		if err != nil {
			return nil, r.s.srv.listErr(err)
		}
		return newConnection(p, func(t indexer.TxRef) *txResolver { return &txResolver{s: r.s, rec: r.refRecord(t)} }, count), nil
	}
	p, err := rd.DomainTxs(r.rec.Domain, r.rec.Number, pa)
	if err != nil {
		return nil, r.s.srv.listErr(err)
	}
	return newConnection(p, func(t *indexer.TxRecord) *txResolver { return &txResolver{s: r.s, rec: t} }, count), nil
}

// txRefFields are the Transaction fields a TxRef answers, with the block
// (refRecord): a page of transactions selecting no others is listed from
// the block's index entries alone, without reading each transaction.
var txRefFields = map[string]bool{"id": true, "hash": true, "domain": true, "consensusNumber": true, "bundleIndex": true,
	"extrinsicIndex": true, "domainBlockNumber": true, "position": true, "fate": true}

// refsSuffice reports whether the connection's nodes select only
// txRefFields (fragments are flattened in the selection); without
// selection information it says no.
func refsSuffice(ctx context.Context) bool {
	names := gql.SelectedFieldNames(ctx)
	if len(names) == 0 { // no selection info (DisableFieldSelections): read the records
		return false
	}
	for _, name := range names {
		var f string
		switch {
		case strings.HasPrefix(name, "nodes."):
			f = name[len("nodes."):]
		case strings.HasPrefix(name, "edges.node."):
			f = name[len("edges.node."):]
		default:
			continue
		}
		if i := strings.IndexByte(f, '.'); i >= 0 {
			f = f[:i]
		}
		if !txRefFields[f] {
			return false
		}
	}
	return true
}

// refRecord is the part of an included transaction's record that its
// block and ref hold: what txRefFields read, nothing else.
func (r *domainBlockResolver) refRecord(t indexer.TxRef) *indexer.TxRecord {
	return &indexer.TxRecord{Hash: t.Hash, Domain: r.rec.Domain, ConsensusNumber: t.ConsensusNumber, BundleIndex: t.BundleIndex,
		ExtrinsicIndex: t.ExtrinsicIndex, Fate: indexer.TxFate{Kind: indexer.TxIncluded, DomainNumber: r.rec.Number, Position: t.Position}}
}

func (r *domainBlockResolver) Receipts(args pageInput) (*connection[*receiptResolver], error) {
	n := r.rec.Number
	return receiptsQuery(context.TODO(), r.s, indexer.ReceiptQuery{Domain: &r.rec.Domain, NumberFrom: n, NumberTo: &n}, args, false)
}
