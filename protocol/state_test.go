package protocol

import (
	"errors"
	"fmt"
	"math"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/holiman/uint256"
)

// chainEnv drives consensus blocks over one domain with three operators
// whose elections always succeed (p/q = 1/1 and equal stakes would make
// them fail often, so each test bundle's slot is searched for a win).
type chainEnv struct {
	t     *testing.T
	spec  *ChainSpec
	keys  map[OperatorID]*SecretKey
	state *State
	// honest[n] is the ER the test treats as correct for domain block n.
	honest map[uint64]*ExecutionReceipt
}

const testDomain DomainID = 7

func newChainEnv(t *testing.T, challengePeriod uint64) *chainEnv {
	e := &chainEnv{t: t, keys: map[OperatorID]*SecretKey{}, honest: map[uint64]*ExecutionReceipt{}}
	spec := &ChainSpec{GenesisTime: 1000, SlotSeconds: 1, Randomness: h("genesis"),
		Domains: []DomainConfig{{ID: testDomain, ChainID: 1001, GenesisHash: h("domain genesis"), GenesisRoot: h("root0"),
			GasLimit: 1_000_000, BundleGasCap: 500_000, SlotProbability: SlotProbability{Num: 1, Den: 1}, ChallengePeriod: challengePeriod}},
	}
	for id := OperatorID(1); id <= 3; id++ {
		sk, err := GenerateKey(h(fmt.Sprint("operator", id)).Bytes())
		if err != nil {
			t.Fatal(err)
		}
		e.keys[id] = sk
		spec.Operators = append(spec.Operators, Operator{ID: id, Domain: testDomain, Stake: 100, Status: OperatorActive, PublicKey: sk.PublicKey()})
	}
	e.spec = spec
	var err error
	if e.state, err = Genesis(spec); err != nil {
		t.Fatal(err)
	}
	d, _ := e.state.Domain(testDomain)
	e.honest[0] = d.Tree.HeadEntry().Receipt
	return e
}

// nextHeader finds the next slot in which every operator in ops is elected.
func (e *chainEnv) nextHeader(ops ...OperatorID) Header {
	parent := e.state.Header
	for slot := parent.Slot + 1; ; slot++ {
		ok := true
		for _, op := range ops {
			proof := ElectionProof(e.keys[op], testDomain, slot, parent.Randomness)
			if !IsElected(ElectionOutput(proof), 100, e.state.TotalStake(testDomain), SlotProbability{1, 1}) {
				ok = false
			}
		}
		if ok {
			return Header{Number: parent.Number + 1, ParentHash: e.state.Hash, Slot: slot,
				Timestamp: e.spec.SlotTime(slot), Randomness: NextRandomness(parent.Randomness, slot)}
		}
	}
}

func (e *chainEnv) bundle(hdr Header, op OperatorID, er *ExecutionReceipt, gas uint64) *Bundle {
	xs := [][]byte{{byte(op), byte(hdr.Number)}}
	bh := BundleHeader{Domain: testDomain, Operator: op, Slot: hdr.Slot,
		ElectionProof:  ElectionProof(e.keys[op], testDomain, hdr.Slot, e.state.Header.Randomness),
		DeclaredGas:    gas,
		ExtrinsicsRoot: ExtrinsicsRoot(xs), ExtrinsicsSize: ExtrinsicsSize(xs), Receipt: *er}
	return &Bundle{Sealed: SignBundle(e.keys[op], &bh), Extrinsics: xs}
}

// receiptFor is the ER for domain block n on top of parent, as derived.
func (e *chainEnv) receiptFor(n uint64, parent *ExecutionReceipt, tag string) *ExecutionReceipt {
	d, _ := e.state.Domain(testDomain)
	derived := d.Derived[n]
	if derived == nil {
		e.t.Fatalf("no derived record for #%d", n)
	}
	trace := []common.Hash{h(tag + "a"), h(tag + "b")}
	r := &ExecutionReceipt{DomainNumber: n, DomainHash: h(fmt.Sprint("block", n, tag)), ParentReceiptHash: parent.Hash(),
		ConsensusNumber: derived.ConsensusNumber, ConsensusHash: derived.ConsensusHash,
		FinalStateRoot: trace[1], Trace: trace, TraceRoot: TraceRoot(trace)}
	for i, root := range derived.BundleRoots {
		v := Valid(h(fmt.Sprint("digest", i)))
		if tag == "invalid-bundle" {
			v = Invalid(InvalidIllegalTx, 0)
		}
		r.InboxedBundles = append(r.InboxedBundles, InboxedBundle{Validity: v, ExtrinsicsRoot: root})
	}
	r.Fees.Operators = *uint256.NewInt(1000)
	return r
}

type acceptAll struct{ calls int }

func (v *acceptAll) VerifyFraudProof(*State, *FraudProof) error { v.calls++; return nil }

// build makes a block with the items, checks it again through Apply, and
// moves the chain to it.
func (e *chainEnv) build(hdr Header, proofs []*FraudProof, subs []*ReceiptSubmission, bundles []*Bundle) []Event {
	e.t.Helper()
	v := &acceptAll{}
	b := e.state.NewBuilder(hdr, v)
	for _, p := range proofs {
		if err := b.AddProof(p); err != nil {
			e.t.Fatalf("proof: %v", err)
		}
	}
	for _, s := range subs {
		if err := b.AddSubmission(s); err != nil {
			e.t.Fatalf("submission: %v", err)
		}
	}
	for _, x := range bundles {
		if err := b.AddBundle(x); err != nil {
			e.t.Fatalf("bundle: %v", err)
		}
	}
	next, block, events := b.Finish()
	again, events2, err := e.state.Apply(block, ApplyOptions{Verifier: v})
	if err != nil {
		e.t.Fatalf("Apply of a built block: %v", err)
	}
	if again.Hash != next.Hash || len(events2) != len(events) {
		e.t.Fatalf("Apply and Builder disagree: %s vs %s, %d vs %d events", again.Hash, next.Hash, len(events2), len(events))
	}
	trusted, _, err := e.state.Apply(block, ApplyOptions{Verifier: v, RootsChecked: true})
	if err != nil || trusted.Hash != next.Hash {
		e.t.Fatalf("Apply with checked roots: %v, hash %s, want %s", err, trusted.Hash, next.Hash)
	}
	e.state = next
	return events
}

func kinds(events []Event) map[EventKind]int {
	out := map[EventKind]int{}
	for _, ev := range events {
		out[ev.Kind]++
	}
	return out
}

func TestBlockTreeLifecycle(t *testing.T) {
	e := newChainEnv(t, 2)
	// Block 1: operator 1 backs ER 0; domain block 1 is derived.
	hdr := e.nextHeader(1)
	ev := e.build(hdr, nil, nil, []*Bundle{e.bundle(hdr, 1, e.honest[0], 21000)})
	if k := kinds(ev); k[EventReceiptBacked] != 1 || k[EventDomainBlockDerived] != 1 {
		t.Fatalf("events %v", ev)
	}
	// Blocks 2..4 extend the head by one each; at head 3 ER 1 confirms.
	for n := uint64(1); n <= 3; n++ {
		hdr := e.nextHeader(1, 2)
		e.honest[n] = e.receiptFor(n, e.honest[n-1], "honest")
		ev := e.build(hdr, nil, nil, []*Bundle{
			e.bundle(hdr, 1, e.honest[n], 21000),
			e.bundle(hdr, 2, e.honest[n], 21000), // same ER: a second backer
		})
		k := kinds(ev)
		if k[EventReceiptAdded] != 1 || k[EventReceiptBacked] != 1 {
			t.Fatalf("#%d: events %v", n, ev)
		}
		if n == 3 && (k[EventReceiptConfirmed] != 1 || k[EventFeesPaid] != 2) {
			t.Fatalf("#%d: want ER 1 confirmed and fees paid to two backers, events %v", n, ev)
		}
	}
	d, _ := e.state.Domain(testDomain)
	if d.Tree.Head != 3 || d.Tree.Confirmed != 1 {
		t.Fatalf("head %d confirmed %d, want 3 and 1", d.Tree.Head, d.Tree.Confirmed)
	}
	op1, _ := e.state.Operator(1)
	if op1.Rewards.Uint64() != 500 {
		t.Fatalf("operator 1 rewards %d, want half of 1000", op1.Rewards.Uint64())
	}
	if st, n, ok := d.Tree.Status(e.honest[1].Hash()); !ok || st != ReceiptConfirmed || n != 1 {
		t.Fatalf("ER 1 status %v #%d %v", st, n, ok)
	}

	// A proof against the pending ER 2 prunes 2 and 3, slashes 2's backers.
	proof := &FraudProof{Domain: testDomain, BadReceiptHash: e.honest[2].Hash(), ExtrinsicsRoot: &ExtrinsicsRootProof{}}
	hdr = e.nextHeader()
	ev = e.build(hdr, []*FraudProof{proof}, nil, nil)
	k := kinds(ev)
	if k[EventProofAccepted] != 1 || k[EventReceiptPruned] != 2 || k[EventOperatorSlashed] != 2 {
		t.Fatalf("proof events %v", ev)
	}
	d, _ = e.state.Domain(testDomain)
	if d.Tree.Head != 1 {
		t.Fatalf("head after proof %d, want 1", d.Tree.Head)
	}
	for _, id := range []OperatorID{1, 2} {
		if op, _ := e.state.Operator(id); op.Status != OperatorSlashed {
			t.Fatalf("operator %d is %s, want slashed", id, op.Status)
		}
	}
	// The state survives its checkpoint encoding.
	enc, err := e.state.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	back, err := UnmarshalState(e.spec, enc)
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := back.MarshalBinary(); string(again) != string(enc) || back.Hash != e.state.Hash {
		t.Fatal("state does not round-trip through MarshalBinary")
	}
	if _, err := UnmarshalState(e.spec, enc[:len(enc)-3]); !errors.Is(err, ErrMalformed) {
		t.Fatalf("truncated state: %v", err)
	}
	e.state = back

	// Operator 3 catches up with a receipt-only submission of a new ER 2.
	fixed := e.receiptFor(2, e.honest[1], "fixed")
	sub := &ReceiptSubmission{Domain: testDomain, Operator: 3, Receipt: *fixed}
	SignSubmission(e.keys[3], sub)
	ev = e.build(e.nextHeader(), nil, []*ReceiptSubmission{sub}, nil)
	if kinds(ev)[EventReceiptAdded] != 1 {
		t.Fatalf("submission events %v", ev)
	}
}

// Every inadmissible item is refused with its reason and leaves the
// builder's state as it was.
func TestAdmissionRejects(t *testing.T) {
	e := newChainEnv(t, 5)
	hdr := e.nextHeader(1)
	e.build(hdr, nil, nil, []*Bundle{e.bundle(hdr, 1, e.honest[0], 21000)})
	e.honest[1] = e.receiptFor(1, e.honest[0], "honest")

	hdr = e.nextHeader(1, 2, 3)
	cases := []struct {
		name   string
		bundle func() *Bundle
		want   error
	}{
		{"wrong slot", func() *Bundle {
			b := e.bundle(hdr, 1, e.honest[1], 1)
			b.Sealed.Header.Slot++
			b.Sealed = SignBundle(e.keys[1], &b.Sealed.Header)
			return b
		}, ErrWrongSlot},
		{"bad signature", func() *Bundle {
			b := e.bundle(hdr, 1, e.honest[1], 1)
			b.Sealed.Signature = e.bundle(hdr, 2, e.honest[1], 1).Sealed.Signature
			return b
		}, ErrBadSignature},
		{"election proof of another operator", func() *Bundle {
			b := e.bundle(hdr, 1, e.honest[1], 1)
			b.Sealed.Header.ElectionProof = ElectionProof(e.keys[2], testDomain, hdr.Slot, e.state.Header.Randomness)
			b.Sealed = SignBundle(e.keys[1], &b.Sealed.Header)
			return b
		}, ErrBadElectionProof},
		{"extrinsics root", func() *Bundle {
			b := e.bundle(hdr, 1, e.honest[1], 1)
			b.Extrinsics = [][]byte{{0xff}}
			return b
		}, ErrExtrinsicsMismatch},
		{"bundle gas cap", func() *Bundle { return e.bundle(hdr, 1, e.honest[1], 500_001) }, ErrBundleGas},
		{"receipt of another branch", func() *Bundle { return e.bundle(hdr, 1, e.receiptFor(1, e.honest[0], "other"), 1) }, nil},
		{"receipt not derived yet", func() *Bundle {
			r := *e.honest[1]
			r.DomainNumber = 2
			return e.bundle(hdr, 1, &r, 1)
		}, ErrReceiptRejected},
		{"receipt with wrong consensus block", func() *Bundle {
			r := *e.honest[1]
			r.ConsensusHash = h("elsewhere")
			return e.bundle(hdr, 1, &r, 1)
		}, ErrReceiptRejected},
		{"receipt with a bad trace root", func() *Bundle {
			r := *e.honest[1]
			r.TraceRoot = h("no")
			return e.bundle(hdr, 1, &r, 1)
		}, ErrReceiptRejected},
		{"receipt missing an inboxed bundle", func() *Bundle {
			r := *e.honest[1]
			r.InboxedBundles = nil
			return e.bundle(hdr, 1, &r, 1)
		}, ErrReceiptRejected},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := e.state.NewBuilder(hdr, nil)
			// A valid first bundle makes ER 1 the head, so "another branch"
			// is a different ER for a number already taken.
			if err := b.AddBundle(e.bundle(hdr, 3, e.honest[1], 21000)); err != nil {
				t.Fatal(err)
			}
			err := b.AddBundle(tc.bundle())
			if err == nil {
				t.Fatal("admitted")
			}
			want := tc.want
			if want == nil {
				want = ErrReceiptRejected
			}
			if !errors.Is(err, want) {
				t.Fatalf("error %v, want %v", err, want)
			}
			d, _ := b.State().Domain(testDomain)
			if d.Tree.Head != 1 || len(d.Tree.HeadEntry().Backers) != 1 {
				t.Fatalf("a refused bundle changed the tree: head %d backers %v", d.Tree.Head, d.Tree.HeadEntry().Backers)
			}
		})
	}
	t.Run("slot used twice", func(t *testing.T) {
		b := e.state.NewBuilder(hdr, nil)
		if err := b.AddBundle(e.bundle(hdr, 1, e.honest[1], 1)); err != nil {
			t.Fatal(err)
		}
		if err := b.AddBundle(e.bundle(hdr, 1, e.honest[1], 2)); !errors.Is(err, ErrSlotUsed) {
			t.Fatalf("got %v, want ErrSlotUsed", err)
		}
	})
	t.Run("domain gas limit", func(t *testing.T) {
		b := e.state.NewBuilder(hdr, nil)
		for _, op := range []OperatorID{1, 2} {
			if err := b.AddBundle(e.bundle(hdr, op, e.honest[1], 500_000)); err != nil {
				t.Fatal(err)
			}
		}
		if err := b.AddBundle(e.bundle(hdr, 3, e.honest[1], 1)); !errors.Is(err, ErrBundleGas) {
			t.Fatalf("got %v, want ErrBundleGas", err)
		}
	})
	t.Run("proofs", func(t *testing.T) {
		b := e.state.NewBuilder(hdr, &acceptAll{})
		unknown := &FraudProof{Domain: testDomain, BadReceiptHash: h("nothing"), ExtrinsicsRoot: &ExtrinsicsRootProof{}}
		if err := b.AddProof(unknown); !errors.Is(err, ErrProofRejected) {
			t.Fatalf("proof against an unknown ER: %v", err)
		}
		genesis := &FraudProof{Domain: testDomain, BadReceiptHash: e.honest[0].Hash(), ExtrinsicsRoot: &ExtrinsicsRootProof{}}
		if err := b.AddProof(genesis); !errors.Is(err, ErrProofRejected) {
			t.Fatalf("proof against a confirmed ER: %v", err)
		}
		if err := b.AddBundle(e.bundle(hdr, 1, e.honest[1], 1)); err != nil {
			t.Fatal(err)
		}
		if err := b.AddProof(unknown); !errors.Is(err, ErrBodyOrder) {
			t.Fatalf("proof after a bundle: %v", err)
		}
	})
}

// A confirmed ER that marks a bundle Invalid slashes the bundle's author.
func TestConfirmationSlashesInvalidBundleAuthors(t *testing.T) {
	e := newChainEnv(t, 1)
	hdr := e.nextHeader(1, 3)
	e.build(hdr, nil, nil, []*Bundle{e.bundle(hdr, 1, e.honest[0], 1), e.bundle(hdr, 3, e.honest[0], 1)})
	bad := e.receiptFor(1, e.honest[0], "invalid-bundle") // marks both bundles of block 1 Invalid
	hdr = e.nextHeader(2)
	e.build(hdr, nil, nil, []*Bundle{e.bundle(hdr, 2, bad, 1)})
	e.honest[2] = e.receiptFor(2, bad, "honest")
	hdr = e.nextHeader(2)
	ev := e.build(hdr, nil, nil, []*Bundle{e.bundle(hdr, 2, e.honest[2], 1)})
	k := kinds(ev)
	if k[EventReceiptConfirmed] != 1 || k[EventOperatorSlashed] != 2 {
		t.Fatalf("events %v", ev)
	}
	for _, id := range []OperatorID{1, 3} {
		if op, _ := e.state.Operator(id); op.Status != OperatorSlashed {
			t.Errorf("operator %d is %s", id, op.Status)
		}
	}
}

func TestApplyRejectsBadHeaders(t *testing.T) {
	e := newChainEnv(t, 2)
	good := e.nextHeader()
	cases := map[string]func(h *Header){
		"number":     func(h *Header) { h.Number++ },
		"parent":     func(h *Header) { h.ParentHash = common.Hash{} },
		"slot":       func(h *Header) { h.Slot = 0; h.Timestamp = e.spec.SlotTime(0) },
		"timestamp":  func(h *Header) { h.Timestamp++ },
		"randomness": func(h *Header) { h.Randomness = common.Hash{} },
	}
	for name, mutate := range cases {
		hdr := good
		mutate(&hdr)
		b := &Block{Header: hdr}
		b.Seal()
		if _, _, err := e.state.Apply(b, ApplyOptions{}); !errors.Is(err, ErrInvalidBlock) {
			t.Errorf("%s: got %v, want ErrInvalidBlock", name, err)
		}
	}
}

// A slot whose logical time would not fit in a timestamp is refused:
// SlotTime would wrap, and the block's time would run backwards (its
// domain header could then not be derived).
func TestCheckHeaderRefusesASlotPastTheLastTimestamp(t *testing.T) {
	spec := &ChainSpec{GenesisTime: 100, SlotSeconds: 2, Domains: []DomainConfig{{ID: 1, ChainID: 1, GasLimit: 1, BundleGasCap: 1,
		SlotProbability: SlotProbability{Num: 1, Den: 1}, ChallengePeriod: 1}}}
	s, err := Genesis(spec)
	if err != nil {
		t.Fatal(err)
	}
	last := (math.MaxUint64 - spec.GenesisTime) / spec.SlotSeconds
	for _, tc := range []struct {
		slot uint64
		ok   bool
	}{{last, true}, {last + 1, false}, {1<<63 - 10, false}} {
		h := Header{Number: 1, ParentHash: s.Hash, Slot: tc.slot, Timestamp: spec.SlotTime(tc.slot), Randomness: NextRandomness(s.Header.Randomness, tc.slot)}
		err := s.CheckHeader(&h)
		if ok := err == nil; ok != tc.ok {
			t.Errorf("slot %d (time %d): %v, want ok %v", tc.slot, h.Timestamp, err, tc.ok)
		}
		if err != nil && !errors.Is(err, ErrInvalidBlock) {
			t.Errorf("slot %d: %v is not ErrInvalidBlock", tc.slot, err)
		}
	}
}

// A proof file's receipts must be ones consensus could have admitted:
// EvidenceState refuses a trace that breaks the trace rules and an
// inboxed-bundle entry that no receipt may carry.
func TestEvidenceStateRefusesInadmissibleReceipts(t *testing.T) {
	spec := &ChainSpec{GenesisTime: 100, SlotSeconds: 2, Domains: []DomainConfig{{ID: 1, ChainID: 1, GasLimit: 1, BundleGasCap: 1,
		SlotProbability: SlotProbability{Num: 1, Den: 1}, ChallengePeriod: 1}}}
	receipt := func(n uint64, parent common.Hash, edit func(*ExecutionReceipt)) *ExecutionReceipt {
		trace := []common.Hash{{1}, {2}}
		r := &ExecutionReceipt{DomainNumber: n, ParentReceiptHash: parent, InboxedBundles: []InboxedBundle{{Validity: Valid(common.Hash{3})}},
			Trace: trace, TraceRoot: TraceRoot(trace), FinalStateRoot: trace[1]}
		edit(r)
		return r
	}
	for _, tc := range []struct {
		name string
		edit func(*ExecutionReceipt)
		ok   bool
	}{
		{"admissible", func(*ExecutionReceipt) {}, true},
		{"trace root", func(r *ExecutionReceipt) { r.TraceRoot = common.Hash{9} }, false},
		{"short trace", func(r *ExecutionReceipt) { r.Trace = r.Trace[:1] }, false},
		{"valid entry with a tx index", func(r *ExecutionReceipt) { r.InboxedBundles[0].Validity.TxIndex = 2 }, false},
	} {
		parent := receipt(4, common.Hash{}, func(*ExecutionReceipt) {})
		bad := receipt(5, parent.Hash(), tc.edit)
		_, err := EvidenceState(spec, 1, parent, bad)
		if ok := err == nil; ok != tc.ok {
			t.Errorf("%s: %v, want ok %v", tc.name, err, tc.ok)
		}
		// The parent is held to the same rules.
		if _, err := EvidenceState(spec, 1, receipt(4, common.Hash{}, tc.edit), receipt(5, receipt(4, common.Hash{}, tc.edit).Hash(), func(*ExecutionReceipt) {})); (err == nil) != tc.ok {
			t.Errorf("%s, in the parent: %v, want ok %v", tc.name, err, tc.ok)
		}
	}
}
