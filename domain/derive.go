package domain

import (
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/params"

	"github.com/receiptd/receiptd/protocol"
)

// ErrNoBundles reports a consensus block that admits no bundle of the
// domain, and so makes no domain block.
var ErrNoBundles = errors.New("domain: consensus block has no bundle of the domain")

// Derivation is a domain block as consensus data determines it, before
// execution: the validity of each inboxed bundle, the ordered transactions
// and the header whose execution fields the executor fills in.
type Derivation struct {
	Consensus *protocol.Block
	Inboxed   []protocol.InboxedBundle
	// Kept lists, per inboxed bundle, the indexes of the extrinsics the
	// block executes: empty for an Invalid bundle, without duplicates for
	// a Valid one.
	Kept   [][]int
	Txs    []*types.Transaction
	Header *types.Header
}

// Derive turns prepared bundles into the next domain block after parent
// (DESIGN.md §1.5): validity in one running context over accounts, the parent
// block's final state; duplicates dropped; the seeded sender shuffle; the
// header. gasLimit is the domain's block gas limit.
func Derive(cfg *params.ChainConfig, p *Prepared, parent *types.Header, accounts AccountReader, gasLimit uint64) (*Derivation, error) {
	if !p.HasBlock() {
		return nil, fmt.Errorf("%w: consensus block %d, domain %d", ErrNoBundles, p.Consensus.Header.Number, p.Domain)
	}
	c := &p.Consensus.Header
	header, err := NewHeader(cfg, HeaderSpec{
		Parent:     parent,
		Time:       c.Timestamp,
		PrevRandao: c.Randomness,
		BeaconRoot: c.Hash(),
		Coinbase:   FeeRecipient,
		GasLimit:   gasLimit,
	})
	if err != nil {
		return nil, fmt.Errorf("domain: derive from consensus block %d: %w", c.Number, err)
	}
	v := newValidityContext(cfg, header, accounts)
	d := &Derivation{Consensus: p.Consensus, Header: header,
		Inboxed: make([]protocol.InboxedBundle, len(p.Bundles)), Kept: make([][]int, len(p.Bundles))}
	var (
		txs     []*types.Transaction
		senders []common.Address
	)
	for i := range p.Bundles {
		b := &p.Bundles[i]
		res := v.checkBundle(b)
		d.Inboxed[i] = protocol.InboxedBundle{Validity: res.validity, ExtrinsicsRoot: b.Bundle.Sealed.Header.ExtrinsicsRoot}
		d.Kept[i] = res.kept
		for _, k := range res.kept {
			txs = append(txs, b.Txs[k].Tx)
			senders = append(senders, b.Txs[k].Sender)
		}
	}
	d.Txs = Shuffle(c.Randomness, txs, senders)
	return d, nil
}

// NewReceipt is the honest ER of an executed derivation: what every field
// must be. parentReceipt is the hash of the ER of the parent domain block.
func NewReceipt(d *Derivation, res *Result, parentReceipt common.Hash) *protocol.ExecutionReceipt {
	block := res.Block
	r := &protocol.ExecutionReceipt{
		DomainNumber:      block.NumberU64(),
		DomainHash:        block.Hash(),
		ExtrinsicsRoot:    block.TxHash(),
		ParentReceiptHash: parentReceipt,
		ConsensusNumber:   d.Consensus.Header.Number,
		ConsensusHash:     d.Consensus.Hash(),
		InboxedBundles:    d.Inboxed,
		GasUsed:           res.GasUsed,
		ReceiptsRoot:      block.ReceiptHash(),
		LogsBloom:         block.Bloom(),
		FinalStateRoot:    block.Root(),
		Trace:             res.Trace,
		TraceRoot:         res.TraceRoot,
	}
	r.Fees.Operators.Set(res.Fees.Operators)
	r.Fees.Burned.Set(res.Fees.Burned)
	return r
}
