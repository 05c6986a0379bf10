package proof

import (
	"context"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/params"
	"github.com/ethereum/go-ethereum/trie"

	"github.com/receiptd/receiptd/domain"
	"github.com/receiptd/receiptd/protocol"
)

// target is what a proof is checked against: the bad ER, what its parent ER
// says, the consensus block that derived its domain block, and the domain's
// static rules. The verifier fills it from the consensus state, Build from
// the honest derivation.
type target struct {
	domain     protocol.DomainID
	bad        *protocol.ExecutionReceipt
	parentHash common.Hash // the parent ER's domain block hash
	parentRoot common.Hash // the parent ER's final state root
	consensus  *protocol.Block
	config     *params.ChainConfig
	gasLimit   uint64
	exec       *domain.Executor
	workers    int
}

// checkParent checks that parent is the header the parent ER names.
func (t *target) checkParent(parent *types.Header) error {
	if parent == nil || parent.Number == nil {
		return fmt.Errorf("%w: no parent header", ErrAnchor)
	}
	if hash := parent.Hash(); hash != t.parentHash {
		return fmt.Errorf("%w: parent header hashes to %s, the parent receipt names %s", ErrAnchor, hash, t.parentHash)
	}
	if parent.Root != t.parentRoot {
		return fmt.Errorf("%w: parent header root %s, the parent receipt's final root is %s", ErrAnchor, parent.Root, t.parentRoot)
	}
	if parent.Number.Uint64()+1 != t.bad.DomainNumber || !parent.Number.IsUint64() {
		return fmt.Errorf("%w: parent header is block %v, receipt is #%d", ErrAnchor, parent.Number, t.bad.DomainNumber)
	}
	return nil
}

// header derives the header of the bad ER's domain block before execution
// (DESIGN.md §1.5 step 3) from its parent and the consensus block.
func (t *target) header(parent *types.Header) (*types.Header, error) {
	if err := t.checkParent(parent); err != nil {
		return nil, err
	}
	c := &t.consensus.Header
	h, err := domain.NewHeader(t.config, domain.HeaderSpec{
		Parent:     parent,
		Time:       c.Timestamp,
		PrevRandao: c.Randomness,
		BeaconRoot: c.Hash(),
		Coinbase:   domain.FeeRecipient,
		GasLimit:   t.gasLimit,
	})
	if err != nil {
		return nil, fmt.Errorf("%w: derive header: %v", ErrExecution, err)
	}
	return h, nil
}

// claimedHeader is the header the bad ER describes: the derived header with
// the ER's execution fields.
func (t *target) claimedHeader(derived *types.Header) *types.Header {
	h := types.CopyHeader(derived)
	h.Root = t.bad.FinalStateRoot
	h.TxHash = t.bad.ExtrinsicsRoot
	h.ReceiptHash = t.bad.ReceiptsRoot
	h.Bloom = t.bad.LogsBloom
	h.GasUsed = t.bad.GasUsed
	return h
}

// signer is the domain signer of the bad ER's block.
func (t *target) signer() types.Signer {
	return types.MakeSigner(t.config, new(big.Int).SetUint64(t.bad.DomainNumber), t.consensus.Header.Timestamp)
}

// bundles returns the domain's bundles of the consensus block, in body
// order, one per inboxed entry of the bad ER.
func (t *target) bundles() ([]*protocol.Bundle, error) {
	var out []*protocol.Bundle
	for _, b := range t.consensus.Body.Bundles {
		if b.Sealed.Header.Domain == t.domain {
			out = append(out, b)
		}
	}
	if len(out) != len(t.bad.InboxedBundles) {
		return nil, fmt.Errorf("%w: consensus block %d has %d bundles of domain %d, the receipt inboxes %d",
			ErrConsensusData, t.consensus.Header.Number, len(out), t.domain, len(t.bad.InboxedBundles))
	}
	return out, nil
}

// decodeBundles decodes the domain's bundles without recovering senders:
// enough to count and hash the transactions.
func (t *target) decodeBundles() ([]domain.PreparedBundle, error) {
	bundles, err := t.bundles()
	if err != nil {
		return nil, err
	}
	out := make([]domain.PreparedBundle, len(bundles))
	for i, b := range bundles {
		out[i] = domain.PreparedBundle{Bundle: b, Txs: make([]domain.PreparedTx, len(b.Extrinsics))}
		for j, raw := range b.Extrinsics {
			tx := new(types.Transaction)
			if tx.UnmarshalBinary(raw) == nil {
				out[i].Txs[j].Tx = tx
			}
		}
	}
	return out, nil
}

// prepare decodes the domain's bundles and recovers their senders on the
// target's workers.
func (t *target) prepare(ctx context.Context) ([]domain.PreparedBundle, error) {
	if _, err := t.bundles(); err != nil {
		return nil, err
	}
	p, err := domain.Prepare(ctx, t.signer(), t.consensus, t.domain, t.workers)
	if err != nil {
		return nil, execError(err)
	}
	return p.Bundles, nil
}

// kept returns what the bad ER's flags keep: every transaction of each
// bundle flagged Valid, in body order, a duplicate hash skipped as
// derivation skips it. A transaction of a Valid-flagged bundle that does
// not decode to an allowed type, or (when senders are wanted) has no
// sender, means the flags are wrong.
func (t *target) kept(bundles []domain.PreparedBundle, senders bool) ([]*types.Transaction, []common.Address, error) {
	var (
		txs  []*types.Transaction
		from []common.Address
		seen = make(map[common.Hash]bool)
	)
	for i, b := range bundles {
		if !t.bad.InboxedBundles[i].Validity.IsValid() {
			continue
		}
		for j, pt := range b.Txs {
			switch {
			case pt.Tx == nil || pt.Tx.Type() > types.DynamicFeeTxType:
				return nil, nil, fmt.Errorf("%w: bundle %d is flagged Valid but extrinsic %d is not an allowed transaction", ErrPrecedingFault, i, j)
			case senders && pt.SenderErr != nil:
				return nil, nil, fmt.Errorf("%w: bundle %d is flagged Valid but extrinsic %d has no sender: %v", ErrPrecedingFault, i, j, pt.SenderErr)
			}
			if hash := pt.Tx.Hash(); !seen[hash] {
				seen[hash] = true
				txs, from = append(txs, pt.Tx), append(from, pt.Sender)
			}
		}
	}
	return txs, from, nil
}

// txCount is the number of transactions the bad ER's flags put in the block.
func (t *target) txCount() (int, error) {
	bundles, err := t.decodeBundles()
	if err != nil {
		return 0, err
	}
	txs, _, err := t.kept(bundles, false)
	return len(txs), err
}

// orderedTxs is the block's transaction list under the bad ER's flags: the
// kept txs shuffled by sender with the consensus randomness.
func (t *target) orderedTxs(ctx context.Context) ([]*types.Transaction, error) {
	bundles, err := t.prepare(ctx)
	if err != nil {
		return nil, err
	}
	txs, senders, err := t.kept(bundles, true)
	if err != nil {
		return nil, err
	}
	return domain.Shuffle(t.consensus.Header.Randomness, txs, senders), nil
}

// txRoot is the extrinsics root of a transaction list.
func txRoot(txs []*types.Transaction) common.Hash {
	return types.DeriveSha(types.Transactions(txs), trie.NewStackTrie(nil))
}
