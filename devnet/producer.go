package devnet

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"

	"github.com/ethereum/go-ethereum/common"

	"github.com/receiptd/receiptd/protocol"
)

// Stats count what the devnet did; tests use them to check that faults
// appear where configured and nowhere else.
type Stats struct {
	Blocks        int
	Reorgs        int
	MaxReorgDepth int
	Bundles       int
	Submissions   int
	Txs           int
	// Faults counts injected faults by kind and by operator.
	Faults map[FaultKind]int
	// FaultsBy counts injected faults per operator.
	FaultsBy map[protocol.OperatorID]int
	// BadReceipts are the hashes of the spoiled receipts consensus admitted.
	BadReceipts    map[common.Hash]FaultKind
	ProofsIncluded int
	ProofsRejected int
}

func newStats() Stats {
	return Stats{Faults: map[FaultKind]int{}, FaultsBy: map[protocol.OperatorID]int{}, BadReceipts: map[common.Hash]FaultKind{}}
}

// produce builds the block after parent at slot, applies it and derives
// its domain blocks.
func (d *Devnet) produce(ctx context.Context, parent *node, slot uint64, rng *rand.Rand) (*node, error) {
	ph := parent.block.Header
	hdr := protocol.Header{
		Number: ph.Number + 1, ParentHash: parent.hash, Slot: slot,
		Timestamp: d.net.Spec.SlotTime(slot), Randomness: protocol.NextRandomness(ph.Randomness, slot),
	}
	b := parent.state.NewBuilder(hdr, d.cfg.Verifier)
	for _, p := range d.takeProofs() {
		if err := b.AddProof(p); err != nil {
			d.recordProof(p.Hash(), ProofRejected, err)
			d.stats.ProofsRejected++
			continue
		}
		d.recordProof(p.Hash(), ProofIncluded, nil)
		d.stats.ProofsIncluded++
	}
	b.TrustSeals() // the devnet signs its own submissions and bundles
	for _, id := range parent.state.DomainIDs() {
		d.submitCatchUp(b, parent, id)
	}
	for _, id := range parent.state.DomainIDs() {
		if err := d.bundlesFor(b, parent, id, rng); err != nil {
			return nil, err
		}
	}
	state, block, events := b.Finish()
	n := &node{num: block.Header.Number, block: block, hash: block.Hash(), state: state, parent: parent, domains: map[protocol.DomainID]*domainFork{}}
	derives := map[protocol.DomainID]bool{}
	for _, ev := range events {
		switch ev.Kind {
		case protocol.EventDomainBlockDerived:
			derives[ev.Domain] = true
		case protocol.EventOperatorSlashed:
			d.cfg.Logger.Info("operator slashed", "operator", ev.Operator, "domain", ev.Domain, "reason", ev.Reason, "block", hdr.Number)
		case protocol.EventReceiptConfirmed:
			if k, bad := d.stats.BadReceipts[ev.Receipt]; bad {
				d.cfg.Logger.Warn("bad receipt confirmed", "domain", ev.Domain, "number", ev.Number, "fault", k, "block", hdr.Number)
			}
		}
	}
	for _, id := range parent.state.DomainIDs() {
		pf := parent.domains[id]
		if !derives[id] {
			n.domains[id] = carry(pf)
			continue
		}
		ds, _ := state.Domain(id)
		child, err := d.domains[id].derive(ctx, block, pf, ds.Tree.Confirmed)
		if err != nil {
			return nil, fmt.Errorf("devnet: block %d: %w", hdr.Number, err)
		}
		n.domains[id] = child
	}
	d.mu.Lock()
	d.nodes[n.hash] = n
	d.mu.Unlock()
	d.stats.Blocks++
	return n, nil
}

// submitCatchUp adds receipt-only submissions while the domain's head
// receipt lags the newest domain block by more than one: the first honest
// operator that agrees with the head submits the next honest receipts.
func (d *Devnet) submitCatchUp(b *protocol.Builder, parent *node, id protocol.DomainID) {
	const maxPerBlock = 4
	fork := parent.domains[id]
	for range maxPerBlock {
		ds, _ := b.State().Domain(id)
		if ds.Next-1 <= ds.Tree.Head+1 || !agreesWithTree(fork, ds) {
			return
		}
		next := nextReceipt(fork, ds)
		if next == nil {
			return
		}
		var sub *protocol.ReceiptSubmission
		for _, op := range d.operators[id] {
			if o, ok := b.State().Operator(op.id); ok && o.Status == protocol.OperatorActive && op.faults == nil {
				sub = &protocol.ReceiptSubmission{Domain: id, Operator: op.id, Receipt: *next}
				protocol.SignSubmission(op.key, sub)
				break
			}
		}
		if sub == nil {
			return
		}
		if err := b.AddSubmission(sub); err != nil {
			d.cfg.Logger.Error("devnet submission refused", "domain", id, "err", err)
			return
		}
		d.stats.Submissions++
	}
}

// bundlesFor lets the domain's elected operators, in a seeded random
// order, add their bundles.
func (d *Devnet) bundlesFor(b *protocol.Builder, parent *node, id protocol.DomainID, rng *rand.Rand) error {
	rt := d.domains[id]
	fork := parent.domains[id]
	nonceAt, err := rt.nonceReader(fork.head.Root)
	if err != nil {
		return fmt.Errorf("devnet: domain %d: %w", id, err)
	}
	baseFee := nextBaseFee(rt, fork.head)
	bc := &blockContext{
		rt: rt, fork: fork, header: b.Header(), baseFee: baseFee, rng: rng,
		sel: rt.pool.newSelection(nonceAt, baseFee, rng.IntN(1<<20)),
	}
	ops := d.operators[id]
	order := rng.Perm(len(ops))
	randomness := parent.block.Header.Randomness
	cfg, _ := parent.state.Domain(id)
	var used uint64
	for _, i := range order {
		op := ops[i]
		rec, ok := parent.state.Operator(op.id)
		if now, _ := b.State().Operator(op.id); !ok || now.Status != protocol.OperatorActive {
			continue // slashed, maybe by a proof earlier in this very block
		}
		proof := protocol.ElectionProof(op.key, id, bc.header.Slot, randomness)
		if !protocol.IsElected(protocol.ElectionOutput(proof), rec.Stake, parent.state.TotalStake(id), cfg.Config.SlotProbability) {
			continue
		}
		budget := min(cfg.Config.BundleGasCap, cfg.Config.GasLimit-used)
		ds, _ := b.State().Domain(id)
		x, faults := op.buildBundle(bc, ds, budget, proof)
		if x == nil {
			continue
		}
		err := b.AddBundle(x)
		if err != nil {
			if len(faults) > 0 {
				continue // a spoiled receipt can lose to one already added
			}
			if errors.Is(err, protocol.ErrReceiptRejected) {
				continue // another operator's receipt took the number first
			}
			return fmt.Errorf("devnet: domain %d operator %d: own bundle refused: %w", id, op.id, err)
		}
		used += x.Sealed.Header.DeclaredGas
		d.stats.Bundles++
		d.stats.Txs += len(x.Extrinsics)
		for _, k := range faults {
			d.stats.Faults[k]++
			d.stats.FaultsBy[op.id]++
			if !k.IsBundleFault() {
				d.stats.BadReceipts[x.Sealed.Header.Receipt.Hash()] = k
			}
		}
	}
	return nil
}
