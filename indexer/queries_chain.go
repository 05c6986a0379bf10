package indexer

import (
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"

	"github.com/receiptd/receiptd/protocol"
)

// ConsensusBlocks lists canonical consensus blocks numbered from..to
// (to nil: the newest).
func (r *Reader) ConsensusBlocks(from uint64, to *uint64, args PageArgs) (*Page[*ConsensusBlockRecord], error) {
	return scan(r, numberRange(newKey(pConsensus, ""), from, to), args,
		func(_ view, key, value []byte) (*ConsensusBlockRecord, bool, error) {
			rec := new(ConsensusBlockRecord)
			return rec, true, decodeRecord(key, value, rec)
		})
}

// DomainBlocks lists the blocks of domain d numbered from..to (to nil: the
// newest).
func (r *Reader) DomainBlocks(d protocol.DomainID, from uint64, to *uint64, args PageArgs) (*Page[*DomainBlockRecord], error) {
	return scan(r, numberRange(newKey(pDomBlock, "").dom(d), from, to), args,
		func(_ view, key, value []byte) (*DomainBlockRecord, bool, error) {
			rec := new(DomainBlockRecord)
			return rec, true, decodeRecord(key, value, rec)
		})
}

// CountDomainBlocks is the number of indexed blocks of domain d.
func (r *Reader) CountDomainBlocks(d protocol.DomainID) (uint64, error) {
	return r.counter(newKey(pCounter, ctDomainBlocks).dom(d))
}

// DomainTxs lists the included transactions of block n of domain d in
// execution order.
func (r *Reader) DomainTxs(d protocol.DomainID, n uint64, args PageArgs) (*Page[*TxRecord], error) {
	p := newKey(pIndex, ixTxByBlock).dom(d).u64(n)
	keys, err := scan(r, prefixRange(p), args, func(_ view, key, value []byte) ([]byte, bool, error) {
		if len(value) != txSuffixLen {
			return nil, false, corrupt(key, "tx reference of %d bytes", len(value))
		}
		return append([]byte{pTx}, value...), true, nil
	})
	if err != nil {
		return nil, err
	}
	txs, err := loadSorted[TxRecord](r, keys.Items, "tx")
	if err != nil {
		return nil, err
	}
	return &Page[*TxRecord]{Items: txs, Cursors: keys.Cursors, HasPrev: keys.HasPrev, HasNext: keys.HasNext,
		Resume: keys.Resume, Backward: keys.Backward}, nil
}

// TxRef is what a block's transaction index holds of an included
// transaction: enough to name it (the key of its record) and place it,
// without reading its record.
type TxRef struct {
	Hash            common.Hash
	ConsensusNumber uint64
	BundleIndex     uint32
	ExtrinsicIndex  uint32
	Position        uint32 // in the domain block
}

// DomainTxRefs is DomainTxs without reading the transactions' records:
// the same page, each item what the block's index entry holds.
func (r *Reader) DomainTxRefs(d protocol.DomainID, n uint64, args PageArgs) (*Page[TxRef], error) {
	p := newKey(pIndex, ixTxByBlock).dom(d).u64(n)
	return scan(r, prefixRange(p), args, func(_ view, key, value []byte) (TxRef, bool, error) {
		if len(value) != txSuffixLen || len(key) != len(p)+4 {
			return TxRef{}, false, corrupt(key, "tx reference of %d bytes", len(value))
		}
		ref := txRefOf(value)
		ref.Position = be32(key[len(p):])
		return ref, true, nil
	})
}

// CountDomainTxs is the number of included transactions of domain d.
func (r *Reader) CountDomainTxs(d protocol.DomainID) (uint64, error) {
	return r.counter(newKey(pCounter, ctTxs).dom(d))
}

// OperatorQuery selects operators. Zero fields do not filter.
type OperatorQuery struct {
	Domain *protocol.DomainID
	Status protocol.OperatorStatus
	PageArgs
}

// Operators lists operators by id.
func (r *Reader) Operators(q OperatorQuery) (*Page[*OperatorRecord], error) {
	if q.Domain != nil {
		p := newKey(pIndex, ixOperatorByDomain).dom(*q.Domain)
		return scan(r, prefixRange(p), q.PageArgs, func(v view, key, _ []byte) (*OperatorRecord, bool, error) {
			op, err := v.Operator(protocol.OperatorID(be64(key[len(key)-8:])))
			if err != nil {
				return nil, false, err
			}
			return op, q.Status == 0 || op.Operator.Status == q.Status, nil
		})
	}
	return scan(r, prefixRange(newKey(pOperator, "")), q.PageArgs, func(_ view, key, value []byte) (*OperatorRecord, bool, error) {
		op := new(OperatorRecord)
		if err := decodeRecord(key, value, op); err != nil {
			return nil, false, err
		}
		return op, q.Status == 0 || op.Operator.Status == q.Status, nil
	})
}

// counter reads one counter.
func (r *Reader) counter(key []byte) (uint64, error) {
	if err := r.enter(); err != nil {
		return 0, err
	}
	defer r.leave()
	return readCounter(snapGetter{r.snap}, key)
}

// sumCounters adds the counters under a prefix (one per domain, status or
// operator: a handful).
func (r *Reader) sumCounters(prefix []byte) (uint64, error) {
	if err := r.enter(); err != nil {
		return 0, err
	}
	defer r.leave()
	rng := prefixRange(prefix)
	it, err := r.snap.NewIter(rng.lower, rng.upper)
	if err != nil {
		return 0, fmt.Errorf("indexer: counters: %w", err)
	}
	var sum uint64
	for ok := it.First(); ok; ok = it.Next() {
		v := it.Value()
		if len(v) != 8 {
			return 0, errors.Join(corrupt(it.Key(), "counter of %d bytes", len(v)), it.Close())
		}
		sum += be64(v)
	}
	return sum, errors.Join(it.Error(), it.Close())
}
