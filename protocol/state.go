package protocol

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"

	"github.com/ethereum/go-ethereum/common"
)

// State is the consensus state after a block: the registry, and per domain
// the block tree and which consensus blocks derived which domain blocks.
// It is a pure function of the consensus prefix, so a reorg goes back to the
// state at the fork point and applies the new branch.
//
// A State is never modified once Apply has returned it: Apply works on a
// copy. Reads may run concurrently.
type State struct {
	Spec      *ChainSpec
	Header    Header // the last applied block's header
	Hash      common.Hash
	operators map[OperatorID]*Operator
	domains   map[DomainID]*DomainState
}

// DomainState is one domain's part of the consensus state.
type DomainState struct {
	Config DomainConfig
	// Next is the number of the next domain block a consensus block with
	// bundles of this domain derives.
	Next uint64
	// Derived maps pending domain block numbers to what derived them.
	Derived map[uint64]*DerivedBlock
	Tree    *BlockTree
}

func (d *DomainState) clone() *DomainState {
	cp := *d
	cp.Derived = maps.Clone(d.Derived) // DerivedBlock values are never modified
	cp.Tree = d.Tree.clone()
	return &cp
}

// Genesis returns the state of the spec's genesis block.
func Genesis(spec *ChainSpec) (*State, error) {
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	s := &State{
		Spec:      spec,
		Header:    spec.GenesisHeader(),
		operators: make(map[OperatorID]*Operator, len(spec.Operators)),
		domains:   make(map[DomainID]*DomainState, len(spec.Domains)),
	}
	s.Hash = s.Header.Hash()
	for _, o := range spec.Operators {
		op := o
		s.operators[o.ID] = &op
	}
	for _, d := range spec.Domains {
		s.domains[d.ID] = &DomainState{
			Config:  d,
			Next:    1,
			Derived: map[uint64]*DerivedBlock{},
			Tree:    newBlockTree(GenesisReceipt(d.GenesisHash, d.GenesisRoot, s.Hash)),
		}
	}
	return s, nil
}

func (s *State) clone() *State {
	cp := &State{
		Spec:      s.Spec,
		Header:    s.Header,
		Hash:      s.Hash,
		operators: make(map[OperatorID]*Operator, len(s.operators)),
		domains:   make(map[DomainID]*DomainState, len(s.domains)),
	}
	for id, o := range s.operators {
		op := *o
		cp.operators[id] = &op
	}
	for id, d := range s.domains {
		cp.domains[id] = d.clone()
	}
	return cp
}

// Operator returns a copy of an operator's record.
func (s *State) Operator(id OperatorID) (Operator, bool) {
	o, ok := s.operators[id]
	if !ok {
		return Operator{}, false
	}
	return *o, true
}

// Operators returns copies of every operator, by id.
func (s *State) Operators() []Operator {
	out := make([]Operator, 0, len(s.operators))
	for _, id := range slices.Sorted(maps.Keys(s.operators)) {
		out = append(out, *s.operators[id])
	}
	return out
}

// Domain returns a domain's state. The caller must not modify it.
func (s *State) Domain(id DomainID) (*DomainState, bool) {
	d, ok := s.domains[id]
	return d, ok
}

// DomainIDs lists the registered domains in ascending order.
func (s *State) DomainIDs() []DomainID { return slices.Sorted(maps.Keys(s.domains)) }

// TotalStake is the stake of the domain's active operators.
func (s *State) TotalStake(d DomainID) uint64 {
	var total uint64
	for _, o := range s.operators {
		if o.Domain == d && o.Status == OperatorActive {
			total += o.Stake
		}
	}
	return total
}

// ErrInvalidBlock wraps every reason a consensus block cannot follow a state.
var ErrInvalidBlock = errors.New("invalid consensus block")

// CheckHeader checks h as the header of the block after s: number, parent,
// slot, logical timestamp and randomness.
func (s *State) CheckHeader(h *Header) error {
	switch {
	case h.Number != s.Header.Number+1:
		return fmt.Errorf("%w: number %d after %d", ErrInvalidBlock, h.Number, s.Header.Number)
	case h.ParentHash != s.Hash:
		return fmt.Errorf("%w: parent %s, want %s", ErrInvalidBlock, h.ParentHash, s.Hash)
	case h.Slot <= s.Header.Slot:
		return fmt.Errorf("%w: slot %d not after %d", ErrInvalidBlock, h.Slot, s.Header.Slot)
	case s.Spec.SlotSeconds != 0 && h.Slot > (math.MaxUint64-s.Spec.GenesisTime)/s.Spec.SlotSeconds:
		// SlotTime would wrap, and time would run backwards.
		return fmt.Errorf("%w: slot %d is beyond the last slot a timestamp can name", ErrInvalidBlock, h.Slot)
	case h.Timestamp != s.Spec.SlotTime(h.Slot):
		return fmt.Errorf("%w: timestamp %d, slot %d gives %d", ErrInvalidBlock, h.Timestamp, h.Slot, s.Spec.SlotTime(h.Slot))
	case h.Randomness != NextRandomness(s.Header.Randomness, h.Slot):
		return fmt.Errorf("%w: randomness does not follow the parent's", ErrInvalidBlock)
	}
	return nil
}

// ProofVerifier checks a fraud proof against consensus data alone. The
// state is the one the proof's block applies to; the verifier finds the
// consensus blocks it needs through its own chain access.
type ProofVerifier interface {
	VerifyFraudProof(s *State, p *FraudProof) error
}

// ApplyOptions tune Apply.
type ApplyOptions struct {
	// Verifier checks fraud proofs. Required when a block carries any.
	Verifier ProofVerifier
	// SealsChecked says the caller already ran CheckSeals on the block (in a
	// worker pool, say), so Apply skips the BLS checks.
	SealsChecked bool
	// RootsChecked says the block came from DecodeBlock (or from a Builder),
	// which checked that its header commits to its body: Apply neither
	// checks nor recomputes the roots.
	RootsChecked bool
	// SignaturesChecked says the caller verified every bundle's signatures
	// with CheckBundleSignatures and every submission's with
	// VerifySubmissionSignature: Apply still checks each
	// election against the stakes in force, which only it knows in order.
	SignaturesChecked bool
}

// Apply checks block b against s and returns the state after it with the
// events it caused. Every item must be admissible: a block that holds an
// inadmissible one is invalid as a whole, and s is unchanged either way.
func (s *State) Apply(b *Block, opts ApplyOptions) (*State, []Event, error) {
	if err := s.CheckHeader(&b.Header); err != nil {
		return nil, nil, err
	}
	if !opts.RootsChecked {
		if err := b.CheckRoots(); err != nil {
			return nil, nil, fmt.Errorf("%w: %w", ErrInvalidBlock, err)
		}
	}
	switch {
	case opts.SealsChecked:
	case opts.SignaturesChecked:
		for i, x := range b.Body.Bundles {
			if err := s.checkElectionThreshold(x); err != nil {
				return nil, nil, fmt.Errorf("%w: bundle %d: %w", ErrInvalidBlock, i, err)
			}
		}
	default:
		if err := s.CheckSeals(b); err != nil {
			return nil, nil, fmt.Errorf("%w: %w", ErrInvalidBlock, err)
		}
	}
	bb := s.NewBuilder(b.Header, opts.Verifier)
	bb.sealsChecked = true
	bb.sealed = true // the roots were checked: Finish keeps the header
	for i, p := range b.Body.FraudProofs {
		if err := bb.AddProof(p); err != nil {
			return nil, nil, fmt.Errorf("%w: fraud proof %d: %w", ErrInvalidBlock, i, err)
		}
	}
	for i, sub := range b.Body.Submissions {
		if err := bb.AddSubmission(sub); err != nil {
			return nil, nil, fmt.Errorf("%w: receipt submission %d: %w", ErrInvalidBlock, i, err)
		}
	}
	for i, x := range b.Body.Bundles {
		if err := bb.AddBundle(x); err != nil {
			return nil, nil, fmt.Errorf("%w: bundle %d: %w", ErrInvalidBlock, i, err)
		}
	}
	next, _, events := bb.Finish()
	return next, events, nil
}
