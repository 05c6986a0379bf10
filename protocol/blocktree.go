package protocol

import (
	"fmt"
	"slices"

	"github.com/ethereum/go-ethereum/common"
)

// ReceiptStatus is where an ER stands in its domain's block tree. The zero
// value is not a status. Transitions: pending → confirmed, pending → pruned;
// confirmed and pruned are final.
type ReceiptStatus uint8

const (
	ReceiptPending ReceiptStatus = iota + 1
	ReceiptConfirmed
	ReceiptPruned
)

func (s ReceiptStatus) String() string {
	switch s {
	case ReceiptPending:
		return "pending"
	case ReceiptConfirmed:
		return "confirmed"
	case ReceiptPruned:
		return "pruned"
	}
	return fmt.Sprintf("ReceiptStatus(%d)", uint8(s))
}

// CanBecome reports whether the transition s → next is allowed.
func (s ReceiptStatus) CanBecome(next ReceiptStatus) bool {
	return s == ReceiptPending && (next == ReceiptConfirmed || next == ReceiptPruned)
}

// TreeEntry is one ER in the block tree with the operators that back it.
type TreeEntry struct {
	Receipt *ExecutionReceipt // shared, never modified
	Hash    common.Hash
	Backers []OperatorID // ascending, unique
	// AddedAt is the consensus block number that added the ER.
	AddedAt uint64
}

func (e *TreeEntry) clone() *TreeEntry {
	cp := *e
	cp.Backers = slices.Clone(e.Backers)
	return &cp
}

// back adds an operator to the backers; it reports whether it was new.
func (e *TreeEntry) back(op OperatorID) bool {
	i, found := slices.BinarySearch(e.Backers, op)
	if found {
		return false
	}
	e.Backers = slices.Insert(e.Backers, i, op)
	return true
}

// DerivedBlock records which consensus block derived a domain block, with
// what an ER for it must match: the domain's bundles in that block, in body
// order, by extrinsics root and author.
type DerivedBlock struct {
	ConsensusNumber uint64
	ConsensusHash   common.Hash
	BundleRoots     []common.Hash
	Authors         []OperatorID
}

// BlockTree is a domain's chain of ERs: one ER per domain block number from
// the last confirmed one up to the head. A bundle may only extend the head
// by one, so two ERs never share a number (a different ER for a number
// already taken is rejected, as Autonomys rejects new branches).
type BlockTree struct {
	Head      uint64 // number of the head ER
	Confirmed uint64 // number of the newest confirmed ER
	entries   map[uint64]*TreeEntry
}

func newBlockTree(genesis *ExecutionReceipt) *BlockTree {
	return &BlockTree{entries: map[uint64]*TreeEntry{0: {Receipt: genesis, Hash: genesis.Hash()}}}
}

func (t *BlockTree) clone() *BlockTree {
	cp := &BlockTree{Head: t.Head, Confirmed: t.Confirmed, entries: make(map[uint64]*TreeEntry, len(t.entries))}
	for n, e := range t.entries {
		cp.entries[n] = e.clone()
	}
	return cp
}

// At returns the ER at number n, if the tree holds it (the newest confirmed
// ER and every pending one).
func (t *BlockTree) At(n uint64) (*TreeEntry, bool) {
	e, ok := t.entries[n]
	return e, ok
}

// HeadEntry returns the head ER.
func (t *BlockTree) HeadEntry() *TreeEntry { return t.entries[t.Head] }

// Find returns the entry holding the ER with this hash.
func (t *BlockTree) Find(hash common.Hash) (*TreeEntry, bool) {
	for _, e := range t.entries {
		if e.Hash == hash {
			return e, true
		}
	}
	return nil, false
}

// Status reports the status of the ER at number n with this hash as far as
// the tree knows: pending or confirmed, or false when the tree does not
// hold it (never added, pruned, or confirmed long ago).
func (t *BlockTree) Status(hash common.Hash) (ReceiptStatus, uint64, bool) {
	e, ok := t.Find(hash)
	if !ok {
		return 0, 0, false
	}
	n := e.Receipt.DomainNumber
	if n <= t.Confirmed {
		return ReceiptConfirmed, n, true
	}
	return ReceiptPending, n, true
}

// Pending returns the pending entries, oldest first.
func (t *BlockTree) Pending() []*TreeEntry {
	var out []*TreeEntry
	for n := t.Confirmed + 1; n <= t.Head; n++ {
		out = append(out, t.entries[n])
	}
	return out
}
