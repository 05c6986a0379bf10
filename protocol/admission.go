package protocol

import (
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"

	"github.com/holiman/uint256"
)

// Admission errors: why consensus refuses an item. Each is wrapped with the
// particulars.
var (
	ErrUnknownDomain      = errors.New("unknown domain")
	ErrUnknownOperator    = errors.New("unknown operator")
	ErrOperatorInactive   = errors.New("operator is not active")
	ErrWrongDomain        = errors.New("operator belongs to another domain")
	ErrWrongSlot          = errors.New("bundle slot is not the block's")
	ErrSlotUsed           = errors.New("operator already has a bundle in this slot")
	ErrExtrinsicsMismatch = errors.New("extrinsics do not match the header")
	ErrBundleGas          = errors.New("declared gas over the limit")
	ErrReceiptRejected    = errors.New("receipt not admissible")
	ErrProofRejected      = errors.New("fraud proof rejected")
	ErrBodyOrder          = errors.New("body items out of order: proofs, submissions, bundles")
)

// Builder applies a consensus block's items one by one to a copy of a
// state, in body order, refusing any that is not admissible and leaving the
// copy as it was when it does. The devnet uses it to assemble blocks; Apply
// uses it to check them.
type Builder struct {
	state        *State
	header       Header
	verifier     ProofVerifier
	sealsChecked bool
	sealed       bool // the header's roots already commit to the body
	body         Body
	events       []Event
	phase        int // 0 proofs, 1 submissions, 2 bundles
	inBlock      map[DomainID]*DerivedBlock
	gas          map[DomainID]uint64
	slotUsed     map[OperatorID]bool
}

// NewBuilder starts the block with header h (its roots are set by Finish)
// on top of s. verifier may be nil if no proof will be added.
func (s *State) NewBuilder(h Header, verifier ProofVerifier) *Builder {
	return &Builder{
		state:    s.clone(),
		header:   h,
		verifier: verifier,
		inBlock:  map[DomainID]*DerivedBlock{},
		gas:      map[DomainID]uint64{},
		slotUsed: map[OperatorID]bool{},
	}
}

// TrustSeals skips the BLS checks of submissions and bundles added from
// now on. Only a producer that signed the items itself, or that ran
// CheckSeals on them, may call it.
func (b *Builder) TrustSeals() { b.sealsChecked = true }

// Header is the header of the block being built (roots not yet set).
func (b *Builder) Header() Header { return b.header }

// State is the builder's working state: the parent state with the items
// added so far applied. It must not be modified.
func (b *Builder) State() *State { return b.state }

func (b *Builder) enter(phase int) error {
	if phase < b.phase {
		return ErrBodyOrder
	}
	b.phase = phase
	return nil
}

// AddProof applies a fraud proof: prune the bad ER and its descendants,
// slash its backers, reset the head.
func (b *Builder) AddProof(p *FraudProof) error {
	if err := b.enter(0); err != nil {
		return err
	}
	d, ok := b.state.domains[p.Domain]
	if !ok {
		return fmt.Errorf("%w: %w %d", ErrProofRejected, ErrUnknownDomain, p.Domain)
	}
	entry, ok := d.Tree.Find(p.BadReceiptHash)
	if !ok {
		return fmt.Errorf("%w: receipt %s is unknown or pruned", ErrProofRejected, p.BadReceiptHash)
	}
	bad := entry.Receipt.DomainNumber
	if bad <= d.Tree.Confirmed {
		return fmt.Errorf("%w: receipt %s (#%d) is confirmed", ErrProofRejected, p.BadReceiptHash, bad)
	}
	if b.verifier == nil {
		return fmt.Errorf("%w: no verifier for fraud proofs", ErrProofRejected)
	}
	if err := b.verifier.VerifyFraudProof(b.state, p); err != nil {
		return fmt.Errorf("%w: %w", ErrProofRejected, err)
	}
	proofHash := p.Hash()
	b.emit(Event{Kind: EventProofAccepted, Domain: p.Domain, Number: bad, Receipt: entry.Hash, Proof: proofHash})
	for _, op := range entry.Backers {
		b.slash(op, fmt.Sprintf("backed bad receipt %s", entry.Hash.TerminalString()))
	}
	for n := bad; n <= d.Tree.Head; n++ {
		e := d.Tree.entries[n]
		b.emit(Event{Kind: EventReceiptPruned, Domain: p.Domain, Number: n, Receipt: e.Hash, Proof: proofHash})
		delete(d.Tree.entries, n)
	}
	d.Tree.Head = bad - 1
	b.body.FraudProofs = append(b.body.FraudProofs, p)
	return nil
}

// AddSubmission applies a receipt-only submission: it must extend the head.
func (b *Builder) AddSubmission(sub *ReceiptSubmission) error {
	if err := b.enter(1); err != nil {
		return err
	}
	d, op, err := b.operator(sub.Domain, sub.Operator)
	if err != nil {
		return err
	}
	if !b.sealsChecked {
		if err := VerifySubmissionSignature(op.PublicKey, sub); err != nil {
			return err
		}
	}
	r := &sub.Receipt
	if r.DomainNumber != d.Tree.Head+1 {
		return fmt.Errorf("%w: submission of #%d, head is #%d", ErrReceiptRejected, r.DomainNumber, d.Tree.Head)
	}
	if err := b.checkNewHead(d, r, d.Next-1); err != nil {
		return err
	}
	b.addHead(d, r, op.ID)
	b.body.Submissions = append(b.body.Submissions, sub)
	return nil
}

// AddBundle admits a bundle (DESIGN.md §1.4) and applies the ER it carries.
func (b *Builder) AddBundle(x *Bundle) error {
	if err := b.enter(2); err != nil {
		return err
	}
	h := &x.Sealed.Header
	d, op, err := b.operator(h.Domain, h.Operator)
	if err != nil {
		return err
	}
	if h.Slot != b.header.Slot {
		return fmt.Errorf("%w: bundle slot %d, block slot %d", ErrWrongSlot, h.Slot, b.header.Slot)
	}
	if b.slotUsed[op.ID] {
		return fmt.Errorf("%w: operator %d, slot %d", ErrSlotUsed, op.ID, h.Slot)
	}
	if !b.sealsChecked {
		if err := b.state.checkBundleSeal(x, op); err != nil {
			return err
		}
	}
	if root := ExtrinsicsRoot(x.Extrinsics); root != h.ExtrinsicsRoot {
		return fmt.Errorf("%w: root %s, header %s", ErrExtrinsicsMismatch, root, h.ExtrinsicsRoot)
	}
	if size := ExtrinsicsSize(x.Extrinsics); size != h.ExtrinsicsSize {
		return fmt.Errorf("%w: size %d, header %d", ErrExtrinsicsMismatch, size, h.ExtrinsicsSize)
	}
	if h.DeclaredGas > d.Config.BundleGasCap {
		return fmt.Errorf("%w: %d over the bundle cap %d", ErrBundleGas, h.DeclaredGas, d.Config.BundleGasCap)
	}
	if sum := b.gas[d.Config.ID] + h.DeclaredGas; sum > d.Config.GasLimit || sum < h.DeclaredGas {
		return fmt.Errorf("%w: domain total %d over the block gas limit %d", ErrBundleGas, sum, d.Config.GasLimit)
	}
	// This block derives domain block d.Next, so the ER is numbered ≤ d.Next − 1.
	r := &h.Receipt
	head := d.Tree.HeadEntry()
	switch {
	case r.DomainNumber == head.Receipt.DomainNumber:
		if hash := r.Hash(); hash != head.Hash {
			return fmt.Errorf("%w: #%d %s differs from the head %s", ErrReceiptRejected, r.DomainNumber, hash, head.Hash)
		}
		if head.back(op.ID) {
			b.emit(Event{Kind: EventReceiptBacked, Domain: d.Config.ID, Number: r.DomainNumber, Receipt: head.Hash, Operator: op.ID})
		}
	case r.DomainNumber == d.Tree.Head+1:
		if err := b.checkNewHead(d, r, d.Next-1); err != nil {
			return err
		}
		b.addHead(d, r, op.ID)
	default:
		return fmt.Errorf("%w: #%d is neither the head #%d nor the next", ErrReceiptRejected, r.DomainNumber, d.Tree.Head)
	}
	b.slotUsed[op.ID] = true
	b.gas[d.Config.ID] += h.DeclaredGas
	db := b.inBlock[d.Config.ID]
	if db == nil {
		db = &DerivedBlock{ConsensusNumber: b.header.Number}
		b.inBlock[d.Config.ID] = db
	}
	db.BundleRoots = append(db.BundleRoots, h.ExtrinsicsRoot)
	db.Authors = append(db.Authors, op.ID)
	b.body.Bundles = append(b.body.Bundles, x)
	return nil
}

// Finish seals the block (sets the header roots), records the domain blocks
// it derives, and returns the state after it, the block and its events.
// The builder must not be used afterwards.
func (b *Builder) Finish() (*State, *Block, []Event) {
	block := &Block{Header: b.header, Body: b.body}
	if !b.sealed {
		block.Seal()
	}
	hash := block.Hash()
	for _, id := range b.state.DomainIDs() {
		db := b.inBlock[id]
		if db == nil {
			continue
		}
		d := b.state.domains[id]
		db.ConsensusHash = hash
		d.Derived[d.Next] = db
		b.emit(Event{Kind: EventDomainBlockDerived, Domain: id, Number: d.Next})
		d.Next++
	}
	b.state.Header, b.state.Hash = block.Header, hash
	return b.state, block, b.events
}

func (b *Builder) emit(e Event) { b.events = append(b.events, e) }

func (b *Builder) operator(domain DomainID, id OperatorID) (*DomainState, *Operator, error) {
	d, ok := b.state.domains[domain]
	if !ok {
		return nil, nil, fmt.Errorf("%w %d", ErrUnknownDomain, domain)
	}
	op, ok := b.state.operators[id]
	switch {
	case !ok:
		return nil, nil, fmt.Errorf("%w %d", ErrUnknownOperator, id)
	case op.Domain != domain:
		return nil, nil, fmt.Errorf("%w: operator %d is of domain %d, not %d", ErrWrongDomain, id, op.Domain, domain)
	case op.Status != OperatorActive:
		return nil, nil, fmt.Errorf("%w: operator %d is %s", ErrOperatorInactive, id, op.Status)
	}
	return d, op, nil
}

// checkNewHead applies DESIGN.md §1.6's rules to an ER that would extend the
// head: it links to the head, names the consensus block that derived its
// domain block, lists that block's bundles, and has a well-formed trace.
func (b *Builder) checkNewHead(d *DomainState, r *ExecutionReceipt, newest uint64) error {
	n := r.DomainNumber
	if n > newest {
		return fmt.Errorf("%w: #%d is not derived yet (newest #%d)", ErrReceiptRejected, n, newest)
	}
	if r.ParentReceiptHash != d.Tree.HeadEntry().Hash {
		return fmt.Errorf("%w: #%d does not link to the head", ErrReceiptRejected, n)
	}
	derived := d.Derived[n]
	if derived == nil {
		return fmt.Errorf("%w: #%d has no record of its consensus block", ErrReceiptRejected, n)
	}
	if r.ConsensusNumber != derived.ConsensusNumber || r.ConsensusHash != derived.ConsensusHash {
		return fmt.Errorf("%w: #%d names consensus block %d %s, derived by %d %s", ErrReceiptRejected,
			n, r.ConsensusNumber, r.ConsensusHash, derived.ConsensusNumber, derived.ConsensusHash)
	}
	if len(r.InboxedBundles) != len(derived.BundleRoots) {
		return fmt.Errorf("%w: #%d inboxes %d bundles, its consensus block has %d", ErrReceiptRejected,
			n, len(r.InboxedBundles), len(derived.BundleRoots))
	}
	for i, ib := range r.InboxedBundles {
		if ib.ExtrinsicsRoot != derived.BundleRoots[i] {
			return fmt.Errorf("%w: #%d inboxed bundle %d has root %s, the block's is %s", ErrReceiptRejected,
				n, i, ib.ExtrinsicsRoot, derived.BundleRoots[i])
		}
	}
	if err := r.CheckTrace(); err != nil {
		return fmt.Errorf("%w: #%d: %w", ErrReceiptRejected, n, err)
	}
	return nil
}

// addHead makes r the head, backed by op, and confirms what falls out of
// the challenge period.
func (b *Builder) addHead(d *DomainState, r *ExecutionReceipt, op OperatorID) {
	n := r.DomainNumber
	e := &TreeEntry{Receipt: r, Hash: r.Hash(), Backers: []OperatorID{op}, AddedAt: b.header.Number}
	d.Tree.entries[n], d.Tree.Head = e, n
	b.emit(Event{Kind: EventReceiptAdded, Domain: d.Config.ID, Number: n, Receipt: e.Hash, Operator: op})
	if n <= d.Config.ChallengePeriod {
		return
	}
	for c := d.Tree.Confirmed + 1; c <= n-d.Config.ChallengePeriod; c++ {
		b.confirm(d, c)
	}
}

// confirm ends the challenge period of the ER at n: it pays the operators'
// fees to its active backers in equal shares (the remainder to the first)
// and slashes the authors of the bundles it marks Invalid.
func (b *Builder) confirm(d *DomainState, n uint64) {
	e := d.Tree.entries[n]
	b.emit(Event{Kind: EventReceiptConfirmed, Domain: d.Config.ID, Number: n, Receipt: e.Hash})
	var paid []*Operator
	for _, id := range e.Backers {
		if op := b.state.operators[id]; op != nil && op.Status == OperatorActive {
			paid = append(paid, op)
		}
	}
	if len(paid) > 0 {
		fees := &e.Receipt.Fees.Operators
		share, rem := new(uint256.Int), new(uint256.Int)
		share.DivMod(fees, uint256.NewInt(uint64(len(paid))), rem)
		for i, op := range paid {
			amount := *share
			if i == 0 {
				amount.Add(&amount, rem)
			}
			op.Rewards.Add(&op.Rewards, &amount)
			b.emit(Event{Kind: EventFeesPaid, Domain: d.Config.ID, Number: n, Receipt: e.Hash, Operator: op.ID, Amount: amount})
		}
	}
	if derived := d.Derived[n]; derived != nil {
		for i, ib := range e.Receipt.InboxedBundles {
			if !ib.Validity.IsValid() && i < len(derived.Authors) {
				b.slash(derived.Authors[i], fmt.Sprintf("authored bundle %d of #%d: %s", i, n, ib.Validity))
			}
		}
	}
	// The tree keeps the newest confirmed ER as its anchor.
	delete(d.Tree.entries, d.Tree.Confirmed)
	for m := range d.Derived {
		if m <= n {
			delete(d.Derived, m)
		}
	}
	d.Tree.Confirmed = n
}

func (b *Builder) slash(id OperatorID, reason string) {
	op := b.state.operators[id]
	if op == nil || op.Status != OperatorActive {
		return
	}
	op.Status = OperatorSlashed
	b.emit(Event{Kind: EventOperatorSlashed, Domain: op.Domain, Operator: id, Reason: reason})
}

// CheckSeals runs the BLS checks of every submission and bundle of b
// against s, the parent state: signatures, and each bundle's election for
// its slot with the parent's randomness. It only reads s, and each
// bundle's check is independent: a pipeline may spread them over workers
// with CheckBundleSeal.
func (s *State) CheckSeals(b *Block) error {
	for i, sub := range b.Body.Submissions {
		op, ok := s.operators[sub.Operator]
		if !ok {
			return fmt.Errorf("receipt submission %d: %w %d", i, ErrUnknownOperator, sub.Operator)
		}
		if err := VerifySubmissionSignature(op.PublicKey, sub); err != nil {
			return fmt.Errorf("receipt submission %d: %w", i, err)
		}
	}
	for i, x := range b.Body.Bundles {
		if err := s.CheckBundleSeal(x); err != nil {
			return fmt.Errorf("bundle %d: %w", i, err)
		}
	}
	return nil
}

// CheckBundleSeal checks a bundle's signature and election proof against
// s, the state of the block before the one carrying it.
func (s *State) CheckBundleSeal(x *Bundle) error {
	op, ok := s.operators[x.Sealed.Header.Operator]
	if !ok {
		return fmt.Errorf("%w %d", ErrUnknownOperator, x.Sealed.Header.Operator)
	}
	return s.checkBundleSeal(x, op)
}

func (s *State) checkBundleSeal(x *Bundle, op *Operator) error {
	h := &x.Sealed.Header
	d, ok := s.domains[h.Domain]
	if !ok {
		return fmt.Errorf("%w %d", ErrUnknownDomain, h.Domain)
	}
	if err := VerifyBundleSignature(op.PublicKey, &x.Sealed); err != nil {
		return err
	}
	return VerifyElection(op.PublicKey, h.Domain, h.Slot, s.Header.Randomness, h.ElectionProof,
		op.Stake, s.TotalStake(h.Domain), d.Config.SlotProbability)
}

// CheckBundleSignatures verifies the BLS signatures of a bundle or submission's
// sealed header and a bundle's election signature, given the operator's
// key and the randomness of the consensus block before the one carrying
// it: the expensive, state-free half of CheckSeals, for worker pools.
func CheckBundleSignatures(pk PublicKey, x *Bundle, parentRandomness common.Hash) error {
	h := &x.Sealed.Header
	if err := VerifyBundleSignature(pk, &x.Sealed); err != nil {
		return err
	}
	if err := VerifySignature(pk, ElectionMessage(h.Domain, h.Slot, parentRandomness), h.ElectionProof); err != nil {
		return fmt.Errorf("%w: %w", ErrBadElectionProof, err)
	}
	return nil
}

// checkElectionThreshold checks that a bundle's election output wins its
// slot for the operator's stake in s; the signature is assumed checked.
func (s *State) checkElectionThreshold(x *Bundle) error {
	h := &x.Sealed.Header
	op, ok := s.operators[h.Operator]
	if !ok {
		return fmt.Errorf("%w %d", ErrUnknownOperator, h.Operator)
	}
	d, ok := s.domains[h.Domain]
	if !ok {
		return fmt.Errorf("%w %d", ErrUnknownDomain, h.Domain)
	}
	if !IsElected(ElectionOutput(h.ElectionProof), op.Stake, s.TotalStake(h.Domain), d.Config.SlotProbability) {
		return fmt.Errorf("%w: operator %d, slot %d", ErrNotElected, op.ID, h.Slot)
	}
	return nil
}
