package indexer

import (
	"errors"
	"fmt"
	"slices"

	"github.com/ethereum/go-ethereum/common"

	"github.com/receiptd/receiptd/protocol"
)

// Put* of immutable records (consensus blocks, bundles, domain blocks,
// transactions) replace an earlier version under the same key. Receipts,
// operators and challenges change over time: Put creates them (ErrExists if
// present) and Update changes them (ErrNotFound if absent). Every method
// keeps the record's secondary indexes and counters in step.

// PutConsensusBlock stores the block being committed. Its number and hash
// must be the Commit's, its header must hash to it, and its parent must be
// the committed block before it (ErrOutOfOrder otherwise).
func (w *Writer) PutConsensusBlock(r *ConsensusBlockRecord) error {
	switch {
	case r.Number != w.number || r.Hash != w.hash:
		return fmt.Errorf("%w: consensus block %d %s in the commit of %d %s", ErrInvalidRecord, r.Number, r.Hash, w.number, w.hash)
	case r.Header.Number != r.Number || r.Header.Hash() != r.Hash:
		return fmt.Errorf("%w: consensus block %d: header is of block %d %s", ErrInvalidRecord, r.Number, r.Header.Number, r.Header.Hash())
	}
	if r.Number > 0 {
		parent, err := w.CanonicalHash(r.Number - 1)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
		if err == nil && parent != r.Header.ParentHash {
			return fmt.Errorf("%w: block %d has parent %s, the index holds %s", ErrOutOfOrder, r.Number, r.Header.ParentHash, parent)
		}
	}
	var old indexSet
	if prev, err := w.ConsensusBlock(r.Number); err == nil {
		old = consensusIndexes(prev)
	} else if !errors.Is(err, ErrNotFound) {
		return err
	}
	return w.replace(consensusKey(r.Number), r, old, consensusIndexes(r))
}

// PutBundle stores a bundle.
func (w *Writer) PutBundle(r *BundleRecord) error {
	var old indexSet
	if prev, err := w.Bundle(r.Hash); err == nil {
		old = bundleIndexes(prev)
	} else if !errors.Is(err, ErrNotFound) {
		return err
	}
	return w.replace(bundleKey(r.Hash), r, old, bundleIndexes(r))
}

// PutDomainBlock stores a domain block.
func (w *Writer) PutDomainBlock(r *DomainBlockRecord) error {
	var old indexSet
	if prev, err := w.DomainBlock(r.Domain, r.Number); err == nil {
		old = domainBlockIndexes(prev)
	} else if !errors.Is(err, ErrNotFound) {
		return err
	}
	return w.replace(domainBlockKey(r.Domain, r.Number), r, old, domainBlockIndexes(r))
}

// PutTx stores one occurrence of a transaction. An occurrence belongs to
// the consensus block that carries it, the one being committed
// (ErrInvalidRecord otherwise). Its key and its hash index entry name that
// block, and the index holds nothing above its progress, so both keys are
// new unless this block wrote them already: no committed version needs
// reading.
func (w *Writer) PutTx(r *TxRecord) error {
	if r.ConsensusNumber != w.number {
		return fmt.Errorf("%w: tx %s of consensus block %d in the commit of %d", ErrInvalidRecord, r.Hash, r.ConsensusNumber, w.number)
	}
	key := txKey(r)
	var old indexSet
	if _, ok := w.pending[string(key)]; ok {
		prev, err := load[TxRecord](w, key, "tx", r.Hash)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
		if err == nil {
			old = txIndexes(prev)
		}
	} else {
		for _, k := range [][]byte{key, txHashKey(r)} {
			if _, ok := w.before[string(k)]; !ok {
				w.before[string(k)] = pendingValue{} // absent before the block
			}
		}
	}
	return w.replace(key, r, old, txIndexes(r))
}

// SetDomainProgress records how far a domain is verified.
func (w *Writer) SetDomainProgress(r *DomainProgress) error {
	return w.putRecord(domainProgressKey(r.Domain), r)
}

// PutCheckpoint stores an opaque verifier checkpoint with this block. It is
// kept for Options.UndoRetention blocks after this one, so that a rollback
// within the window finds the checkpoint of the block it returns to.
func (w *Writer) PutCheckpoint(blob []byte) error {
	return w.set(checkpointKey(w.number), blob)
}

// PutReceipt stores an ER seen for the first time. Hash must be the ER's;
// FirstSeen is set to this block and an empty Timeline starts with the
// record's status.
func (w *Writer) PutReceipt(r *ReceiptRecord) error {
	if h := r.Receipt.Hash(); h != r.Hash {
		return fmt.Errorf("%w: receipt record %s holds ER %s", ErrInvalidRecord, r.Hash, h)
	}
	if err := w.absent(receiptKey(r.Hash), "receipt", r.Hash); err != nil {
		return err
	}
	cp := *r
	cp.FirstSeen = w.number
	cp.Backers = slices.Clone(r.Backers)
	slices.Sort(cp.Backers)
	cp.Backers = slices.Compact(cp.Backers)
	if len(cp.Timeline) == 0 {
		cp.Timeline = []StatusChange{{Status: cp.Status, ConsensusNumber: w.number}}
	}
	return w.replace(receiptKey(r.Hash), &cp, indexSet{}, receiptIndexes(&cp))
}

// UpdateReceipt changes a stored ER with fn. Hash, Domain, Number, Receipt
// and FirstSeen cannot change; backers are kept sorted; a status change is
// appended to the timeline at this block unless fn did so. The index does
// not judge transitions: the block tree is the verifier's (a pruned ER that
// an operator submits again becomes pending again).
func (w *Writer) UpdateReceipt(h common.Hash, fn func(*ReceiptRecord) error) error {
	prev, err := w.Receipt(h)
	if err != nil {
		return err
	}
	next := *prev
	next.Backers = slices.Clone(prev.Backers)
	next.Timeline = slices.Clone(prev.Timeline)
	if err := fn(&next); err != nil {
		return fmt.Errorf("indexer: update receipt %s: %w", h, err)
	}
	if next.Hash != prev.Hash || next.Domain != prev.Domain || next.Number != prev.Number ||
		next.FirstSeen != prev.FirstSeen || next.Receipt.Hash() != prev.Hash {
		return fmt.Errorf("%w: update of receipt %s changed its identity", ErrInvalidRecord, h)
	}
	slices.Sort(next.Backers)
	next.Backers = slices.Compact(next.Backers)
	if n := len(next.Timeline); n == 0 || next.Timeline[n-1].Status != next.Status {
		next.Timeline = append(next.Timeline, StatusChange{Status: next.Status, ConsensusNumber: w.number})
	}
	return w.replace(receiptKey(h), &next, receiptIndexes(prev), receiptIndexes(&next))
}

// PutOperator registers an operator.
func (w *Writer) PutOperator(r *OperatorRecord) error {
	key := operatorKey(r.Operator.ID)
	if err := w.absent(key, "operator", r.Operator.ID); err != nil {
		return err
	}
	return w.replace(key, r, indexSet{}, operatorIndexes(r))
}

// UpdateOperator changes a registered operator with fn; its id and domain
// cannot change.
func (w *Writer) UpdateOperator(id protocol.OperatorID, fn func(*OperatorRecord) error) error {
	prev, err := w.Operator(id)
	if err != nil {
		return err
	}
	next := *prev
	if err := fn(&next); err != nil {
		return fmt.Errorf("indexer: update operator %d: %w", id, err)
	}
	if next.Operator.ID != id || next.Operator.Domain != prev.Operator.Domain {
		return fmt.Errorf("%w: update of operator %d changed its id or domain", ErrInvalidRecord, id)
	}
	return w.replace(operatorKey(id), &next, operatorIndexes(prev), operatorIndexes(&next))
}

// PutChallenge stores a new challenge; Opened is set to this block and an
// empty Timeline starts with the record's status.
func (w *Writer) PutChallenge(r *ChallengeRecord) error {
	if err := w.absent(challengeKey(r.ID), "challenge", r.ID); err != nil {
		return err
	}
	cp := *r
	cp.Opened = w.number
	if len(cp.Timeline) == 0 {
		cp.Timeline = []ChallengeChange{{Status: cp.Status, ConsensusNumber: w.number}}
	}
	return w.replace(challengeKey(r.ID), &cp, indexSet{}, challengeIndexes(&cp))
}

// UpdateChallenge changes a stored challenge with fn. The status change
// must be allowed by ChallengeStatus.CanBecome (ErrBadTransition); it is
// appended to the timeline at this block unless fn appended it (with a
// reason). ID, Domain, BadReceipt and Opened cannot change.
func (w *Writer) UpdateChallenge(id common.Hash, fn func(*ChallengeRecord) error) error {
	prev, err := w.Challenge(id)
	if err != nil {
		return err
	}
	next := *prev
	next.Timeline = slices.Clone(prev.Timeline)
	next.Operators = slices.Clone(prev.Operators)
	if err := fn(&next); err != nil {
		return fmt.Errorf("indexer: update challenge %s: %w", id, err)
	}
	if next.ID != id || next.Domain != prev.Domain || next.BadReceipt != prev.BadReceipt || next.Opened != prev.Opened {
		return fmt.Errorf("%w: update of challenge %s changed its identity", ErrInvalidRecord, id)
	}
	if !prev.Status.CanBecome(next.Status) {
		return fmt.Errorf("%w: challenge %s from %s to %s", ErrBadTransition, id, prev.Status, next.Status)
	}
	if n := len(next.Timeline); n == 0 || next.Timeline[n-1].Status != next.Status {
		next.Timeline = append(next.Timeline, ChallengeChange{Status: next.Status, ConsensusNumber: w.number})
	}
	return w.replace(challengeKey(id), &next, challengeIndexes(prev), challengeIndexes(&next))
}

// replace writes r under key and moves its indexes from old to new. The
// record is encoded (and checked) first, so a refused record writes nothing.
func (w *Writer) replace(key []byte, r record, old, new indexSet) error {
	b, err := encodeRecord(r)
	if err != nil {
		return err
	}
	if err := w.setOwned(key, b); err != nil {
		return err
	}
	return w.reindex(old, new)
}

func (w *Writer) absent(key []byte, what string, id any) error {
	_, err := w.get(key)
	if err == nil {
		return fmt.Errorf("%w: %s %v", ErrExists, what, id)
	}
	if errors.Is(err, ErrClosed) {
		return err
	}
	if !isNotFound(err) {
		return fmt.Errorf("indexer: read %s %v: %w", what, id, err)
	}
	return nil
}
