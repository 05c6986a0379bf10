package devnet

import (
	"math/big"
	"math/rand/v2"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/consensus/misc/eip1559"
	"github.com/ethereum/go-ethereum/core/types"

	"github.com/receiptd/receiptd/devnet/workload"
	"github.com/receiptd/receiptd/protocol"
)

// operator is a devnet operator: its key, and its faults if any.
type operator struct {
	id     protocol.OperatorID
	domain protocol.DomainID
	key    *protocol.SecretKey
	faults FaultRates // nil: honest
}

// blockContext is what the operators of one domain share while the
// bundles of one consensus block are built.
type blockContext struct {
	rt      *domainRuntime
	fork    *domainFork // the parent block's view of the domain
	header  protocol.Header
	sel     *selection
	baseFee *big.Int
	rng     *rand.Rand
}

// contentHash identifies what a receipt claims about its own block: the
// receipt with its parent link zeroed.
func contentHash(r *protocol.ExecutionReceipt) common.Hash {
	cp := *r
	cp.ParentReceiptHash = common.Hash{}
	return cp.Hash()
}

// agreesWithTree reports whether every pending receipt of the tree claims
// what the honest receipt for its number claims. Confirmed receipts are
// protocol truth whatever they claim: an operator builds on them.
func agreesWithTree(fork *domainFork, d *protocol.DomainState) bool {
	for _, e := range d.Tree.Pending() {
		own := fork.honest[e.Receipt.DomainNumber]
		if own == nil || contentHash(own) != contentHash(e.Receipt) {
			return false
		}
	}
	return true
}

// nextReceipt is the honest receipt for the domain block after the head,
// linked to the head, or nil when that block is not derived yet.
func nextReceipt(fork *domainFork, d *protocol.DomainState) *protocol.ExecutionReceipt {
	head := d.Tree.HeadEntry()
	next := head.Receipt.DomainNumber + 1
	r := fork.honest[next]
	if r == nil || next > d.Next-1 {
		return nil
	}
	if r.ParentReceiptHash != head.Hash {
		relinked := *r
		relinked.ParentReceiptHash = head.Hash
		r = &relinked
	}
	return r
}

// chooseReceipt decides which ER the operator's bundle carries given the
// builder's current tree, or nil when the operator submits no bundle. An
// honest operator submits nothing while a pending receipt claims something
// it disagrees with: backing it would get it slashed (DESIGN.md §1.6).
func (o *operator) chooseReceipt(bc *blockContext, d *protocol.DomainState) (*protocol.ExecutionReceipt, FaultKind) {
	if o.faults == nil && !agreesWithTree(bc.fork, d) {
		return nil, 0
	}
	r := nextReceipt(bc.fork, d)
	if r == nil {
		return d.Tree.HeadEntry().Receipt, 0 // nothing newer to add: back the head
	}
	if o.faults != nil {
		if k := o.faults.pickReceiptFault(bc.rng); k != 0 {
			if bad := spoil(r, k, bc.rng); bad != nil {
				return bad, k
			}
		}
	}
	return r, 0
}

// buildBundle makes the operator's bundle for the slot, or nil.
func (o *operator) buildBundle(bc *blockContext, d *protocol.DomainState, budget uint64, election protocol.Signature) (*protocol.Bundle, []FaultKind) {
	receipt, fault := o.chooseReceipt(bc, d)
	if receipt == nil {
		return nil, nil
	}
	var faults []FaultKind
	if fault != 0 {
		faults = append(faults, fault)
	}
	var bundleFault FaultKind
	if o.faults != nil {
		for _, k := range []FaultKind{FaultIllegalTx, FaultUndecodableTx} {
			if bc.rng.Float64() < o.faults[k] {
				bundleFault = k
				break
			}
		}
	}
	// A bundle the operator spoils on purpose does not advance the block's
	// running nonces: its txs will not execute, later bundles re-take them.
	txs, gas := bc.sel.take(budget, 400, bundleFault == 0)
	var xs [][]byte
	for _, tx := range txs {
		b, err := tx.MarshalBinary()
		if err != nil {
			continue
		}
		xs = append(xs, b)
	}
	switch bundleFault {
	case FaultIllegalTx:
		kinds := workload.IllegalKinds()
		tx, err := bc.rt.pool.gen.Illegal(kinds[bc.rng.IntN(len(kinds))], bc.baseFee)
		if err == nil && gas+tx.Gas() <= budget {
			if b, err := tx.MarshalBinary(); err == nil {
				xs = append(xs, b)
				gas += tx.Gas()
				faults = append(faults, FaultIllegalTx)
			}
		}
	case FaultUndecodableTx:
		xs = append(xs, workload.Undecodable(bc.rng))
		faults = append(faults, FaultUndecodableTx)
	}
	h := protocol.BundleHeader{
		Domain:         o.domain,
		Operator:       o.id,
		Slot:           bc.header.Slot,
		ElectionProof:  election,
		DeclaredGas:    gas,
		ExtrinsicsRoot: protocol.ExtrinsicsRoot(xs),
		ExtrinsicsSize: protocol.ExtrinsicsSize(xs),
		Receipt:        *receipt,
	}
	return &protocol.Bundle{Sealed: protocol.SignBundle(o.key, &h), Extrinsics: xs}, faults
}

// nextBaseFee is the base fee of the domain block after head.
func nextBaseFee(rt *domainRuntime, head *types.Header) *big.Int {
	return eip1559.CalcBaseFee(rt.genesis.Config, head)
}
