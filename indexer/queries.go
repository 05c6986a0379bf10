package indexer

import (
	"github.com/ethereum/go-ethereum/common"

	"github.com/receiptd/receiptd/protocol"
)

// Listings. Each reads one index (named in doc.go) from the cursor on and
// applies the query's other filters to the entries it meets; the index is
// chosen so that the most selective filter is a key prefix.

// ReceiptQuery selects ERs. Nil and zero fields do not filter.
type ReceiptQuery struct {
	Domain     *protocol.DomainID
	Operator   *protocol.OperatorID // a backer
	Status     protocol.ReceiptStatus
	Verdict    VerdictFilter
	NumberFrom uint64  // domain block numbers, inclusive
	NumberTo   *uint64 // inclusive
	PageArgs
}

// Receipts lists ERs by domain, then number, then hash (by number then
// hash when Operator is set).
func (r *Reader) Receipts(q ReceiptQuery) (*Page[*ReceiptRecord], error) {
	rng, narrowed := q.plan()
	return scan(r, rng, q.PageArgs, func(v view, key, _ []byte) (*ReceiptRecord, bool, error) {
		n := be64(key[len(key)-40:])
		if !narrowed && (n < q.NumberFrom || (q.NumberTo != nil && n > *q.NumberTo)) {
			return nil, false, nil
		}
		rec, err := v.Receipt(common.Hash(key[len(key)-32:]))
		if err != nil {
			return nil, false, err
		}
		return rec, q.match(rec), nil
	})
}

// plan picks the index; narrowed reports whether the number range is part
// of the key range.
func (q *ReceiptQuery) plan() (keyRange, bool) {
	switch {
	case q.Operator != nil:
		return numberRange(newKey(pIndex, ixReceiptByBacker).op(*q.Operator), q.NumberFrom, q.NumberTo), true
	case q.Domain != nil && q.Status != 0:
		return numberRange(newKey(pIndex, ixReceiptByStatus).u8(uint8(q.Status)).dom(*q.Domain), q.NumberFrom, q.NumberTo), true
	case q.Domain != nil && q.Verdict == VerdictBad:
		return numberRange(newKey(pIndex, ixReceiptBad).dom(*q.Domain), q.NumberFrom, q.NumberTo), true
	case q.Domain != nil:
		return numberRange(newKey(pIndex, ixReceiptByNumber).dom(*q.Domain), q.NumberFrom, q.NumberTo), true
	case q.Status != 0:
		return prefixRange(newKey(pIndex, ixReceiptByStatus).u8(uint8(q.Status))), false
	case q.Verdict == VerdictBad:
		return prefixRange(newKey(pIndex, ixReceiptBad)), false
	}
	return prefixRange(newKey(pIndex, ixReceiptByNumber)), false
}

func (q *ReceiptQuery) match(r *ReceiptRecord) bool {
	switch {
	case q.Domain != nil && r.Domain != *q.Domain:
		return false
	case q.Status != 0 && r.Status != q.Status:
		return false
	case q.Verdict == VerdictValid && !r.Verdict.Valid, q.Verdict == VerdictBad && r.Verdict.Valid:
		return false
	case q.Operator != nil && !containsOp(r.Backers, *q.Operator):
		return false
	}
	return true
}

func containsOp(ops []protocol.OperatorID, op protocol.OperatorID) bool {
	for _, o := range ops {
		if o == op {
			return true
		}
	}
	return false
}

// CountReceipts counts the ERs q selects when a counter holds the answer:
// no number range and at most one of Domain, Status, Operator, bad Verdict
// (or Domain with Status or bad Verdict). ok is false otherwise.
func (r *Reader) CountReceipts(q ReceiptQuery) (n uint64, ok bool, err error) {
	if q.NumberFrom != 0 || q.NumberTo != nil || q.Verdict == VerdictValid {
		return 0, false, nil
	}
	filters := 0
	for _, set := range []bool{q.Domain != nil, q.Status != 0, q.Operator != nil, q.Verdict == VerdictBad} {
		if set {
			filters++
		}
	}
	var key kb
	switch {
	case filters == 0:
		key = newKey(pCounter, ctReceipts)
	case q.Operator != nil && filters == 1:
		key = newKey(pCounter, ctReceiptsBacked).op(*q.Operator)
	case q.Status != 0 && filters <= 2 && q.Verdict == VerdictAny && q.Operator == nil:
		key = newKey(pCounter, ctReceiptStatus).u8(uint8(q.Status))
	case q.Verdict == VerdictBad && filters <= 2 && q.Operator == nil && q.Status == 0:
		key = newKey(pCounter, ctReceiptsBad)
	case q.Domain != nil && filters == 1:
		key = newKey(pCounter, ctReceipts)
	default:
		return 0, false, nil
	}
	if q.Domain != nil {
		key = key.dom(*q.Domain)
		n, err = r.counter(key)
		return n, err == nil, err
	}
	n, err = r.sumCounters(key)
	return n, err == nil, err
}

// BundleQuery selects bundles. Nil fields do not filter.
type BundleQuery struct {
	Domain          *protocol.DomainID
	Operator        *protocol.OperatorID
	ConsensusNumber *uint64 // the bundles of one consensus block
	PageArgs
}

// Bundles lists bundles in chain order (consensus number, then index).
func (r *Reader) Bundles(q BundleQuery) (*Page[*BundleRecord], error) {
	var p kb
	switch {
	case q.ConsensusNumber != nil:
		p = newKey(pIndex, ixBundleByBlock).u64(*q.ConsensusNumber)
	case q.Operator != nil:
		p = newKey(pIndex, ixBundleByOperator).op(*q.Operator)
	case q.Domain != nil:
		p = newKey(pIndex, ixBundleByDomain).dom(*q.Domain)
	default:
		p = newKey(pIndex, ixBundleByBlock)
	}
	return scan(r, prefixRange(p), q.PageArgs, func(v view, key, value []byte) (*BundleRecord, bool, error) {
		if len(value) != common.HashLength {
			return nil, false, corrupt(key, "bundle reference of %d bytes", len(value))
		}
		b, err := v.Bundle(common.Hash(value))
		if err != nil {
			return nil, false, err
		}
		keep := (q.Domain == nil || b.Domain == *q.Domain) && (q.Operator == nil || b.Operator == *q.Operator) &&
			(q.ConsensusNumber == nil || b.ConsensusNumber == *q.ConsensusNumber)
		return b, keep, nil
	})
}

// CountBundles counts bundles by domain or by operator (or all); ok is
// false for other queries.
func (r *Reader) CountBundles(q BundleQuery) (n uint64, ok bool, err error) {
	switch {
	case q.ConsensusNumber != nil || (q.Domain != nil && q.Operator != nil):
		return 0, false, nil
	case q.Operator != nil:
		n, err = r.counter(newKey(pCounter, ctBundlesByOp).op(*q.Operator))
	case q.Domain != nil:
		n, err = r.counter(newKey(pCounter, ctBundles).dom(*q.Domain))
	default:
		n, err = r.sumCounters(newKey(pCounter, ctBundles))
	}
	return n, err == nil, err
}

// ChallengeQuery selects challenges. Zero fields do not filter.
type ChallengeQuery struct {
	Status ChallengeStatus
	Domain *protocol.DomainID
	PageArgs
}

// Challenges lists challenges in the order they were opened.
func (r *Reader) Challenges(q ChallengeQuery) (*Page[*ChallengeRecord], error) {
	p := newKey(pIndex, ixChallengeAll)
	if q.Status != 0 {
		p = newKey(pIndex, ixChallengeStatus).u8(uint8(q.Status))
	}
	return scan(r, prefixRange(p), q.PageArgs, func(v view, key, _ []byte) (*ChallengeRecord, bool, error) {
		c, err := v.Challenge(common.Hash(key[len(key)-32:]))
		if err != nil {
			return nil, false, err
		}
		return c, (q.Status == 0 || c.Status == q.Status) && (q.Domain == nil || c.Domain == *q.Domain), nil
	})
}

// CountChallenges counts challenges by status (or all); ok is false when
// Domain is set.
func (r *Reader) CountChallenges(q ChallengeQuery) (n uint64, ok bool, err error) {
	if q.Domain != nil {
		return 0, false, nil
	}
	key := newKey(pCounter, ctChallenges)
	if q.Status != 0 {
		n, err = r.counter(key.u8(uint8(q.Status)))
	} else {
		n, err = r.sumCounters(key)
	}
	return n, err == nil, err
}
