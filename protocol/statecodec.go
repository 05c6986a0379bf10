package protocol

import (
	"fmt"
	"maps"
	"slices"

	"github.com/ethereum/go-ethereum/rlp"
)

// State wire form: everything but the spec, which the decoder is given.
// Lists are sorted so the encoding is canonical.
type stateWire struct {
	Header    Header
	Operators []Operator
	Domains   []domainWire
}

type domainWire struct {
	ID        DomainID
	Next      uint64
	Head      uint64
	Confirmed uint64
	Derived   []derivedWire
	Entries   []entryWire
}

type derivedWire struct {
	Number uint64
	Block  DerivedBlock
}

type entryWire struct {
	Receipt ExecutionReceipt
	Backers []OperatorID
	AddedAt uint64
}

// MarshalBinary encodes the state, without its spec, canonically.
func (s *State) MarshalBinary() ([]byte, error) {
	w := stateWire{Header: s.Header, Operators: s.Operators()}
	for _, id := range s.DomainIDs() {
		d := s.domains[id]
		dw := domainWire{ID: id, Next: d.Next, Head: d.Tree.Head, Confirmed: d.Tree.Confirmed}
		for _, n := range slices.Sorted(maps.Keys(d.Derived)) {
			dw.Derived = append(dw.Derived, derivedWire{Number: n, Block: *d.Derived[n]})
		}
		for _, n := range slices.Sorted(maps.Keys(d.Tree.entries)) {
			e := d.Tree.entries[n]
			dw.Entries = append(dw.Entries, entryWire{Receipt: *e.Receipt, Backers: e.Backers, AddedAt: e.AddedAt})
		}
		w.Domains = append(w.Domains, dw)
	}
	return rlp.EncodeToBytes(&w)
}

// UnmarshalState decodes a state written by MarshalBinary for spec.
func UnmarshalState(spec *ChainSpec, b []byte) (*State, error) {
	var w stateWire
	if err := rlp.DecodeBytes(b, &w); err != nil {
		return nil, malformed("consensus state", "%v", err)
	}
	s := &State{
		Spec:      spec,
		Header:    w.Header,
		Hash:      w.Header.Hash(),
		operators: make(map[OperatorID]*Operator, len(w.Operators)),
		domains:   make(map[DomainID]*DomainState, len(w.Domains)),
	}
	for i := range w.Operators {
		op := w.Operators[i]
		s.operators[op.ID] = &op
	}
	configs := map[DomainID]DomainConfig{}
	for _, d := range spec.Domains {
		configs[d.ID] = d
	}
	for _, dw := range w.Domains {
		cfg, ok := configs[dw.ID]
		if !ok {
			return nil, malformed("consensus state", "domain %d is not in the spec", dw.ID)
		}
		d := &DomainState{Config: cfg, Next: dw.Next, Derived: map[uint64]*DerivedBlock{},
			Tree: &BlockTree{Head: dw.Head, Confirmed: dw.Confirmed, entries: map[uint64]*TreeEntry{}}}
		for _, dv := range dw.Derived {
			blk := dv.Block
			d.Derived[dv.Number] = &blk
		}
		for _, ew := range dw.Entries {
			r := ew.Receipt
			d.Tree.entries[r.DomainNumber] = &TreeEntry{Receipt: &r, Hash: r.Hash(), Backers: ew.Backers, AddedAt: ew.AddedAt}
		}
		if d.Tree.entries[d.Tree.Head] == nil || d.Tree.entries[d.Tree.Confirmed] == nil {
			return nil, malformed("consensus state", "domain %d: tree lacks its head or confirmed receipt", dw.ID)
		}
		s.domains[dw.ID] = d
	}
	if len(s.domains) != len(spec.Domains) {
		return nil, fmt.Errorf("%w consensus state: %d domains, spec has %d", ErrMalformed, len(s.domains), len(spec.Domains))
	}
	return s, nil
}

// EvidenceState is the smallest state in which a fraud proof against bad
// can be checked: the spec's registry, and for bad's domain a block tree
// holding only bad and its parent, the parent as the newest confirmed
// receipt. `receiptd proof verify` checks a proof file with it; whether
// the receipt is still open on chain is the chain's question, not the
// file's.
func EvidenceState(spec *ChainSpec, d DomainID, parent, bad *ExecutionReceipt) (*State, error) {
	s, err := Genesis(spec)
	if err != nil {
		return nil, err
	}
	ds, ok := s.domains[d]
	if !ok {
		return nil, fmt.Errorf("%w %d", ErrUnknownDomain, d)
	}
	n := bad.DomainNumber
	if n == 0 || parent.DomainNumber != n-1 || bad.ParentReceiptHash != parent.Hash() {
		return nil, fmt.Errorf("%w evidence: receipt #%d does not extend parent #%d", ErrMalformed, n, parent.DomainNumber)
	}
	// Both receipts must be ones consensus could have admitted: a proof
	// against a receipt it would have refused shows nothing.
	for _, r := range []*ExecutionReceipt{parent, bad} {
		if err := r.check(); err != nil {
			return nil, fmt.Errorf("%w evidence: receipt #%d: %w", ErrMalformed, r.DomainNumber, err)
		}
		if err := r.CheckTrace(); err != nil {
			return nil, fmt.Errorf("%w evidence: receipt #%d: %w", ErrMalformed, r.DomainNumber, err)
		}
	}
	p, b := *parent, *bad
	ds.Tree = &BlockTree{Head: n, Confirmed: n - 1, entries: map[uint64]*TreeEntry{
		n - 1: {Receipt: &p, Hash: p.Hash()},
		n:     {Receipt: &b, Hash: b.Hash()},
	}}
	ds.Next = n + 1
	return s, nil
}
