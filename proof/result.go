package proof

import (
	"context"
	"fmt"

	"github.com/receiptd/receiptd/domain"
	"github.com/receiptd/receiptd/protocol"
)

// verifyExtrinsicsRoot checks an extrinsics-root proof: the root of the
// transactions the consensus block and the ER's flags give differs from
// the ER's.
func (t *target) verifyExtrinsicsRoot(ctx context.Context) error {
	txs, err := t.orderedTxs(ctx)
	if err != nil {
		return err
	}
	if root := txRoot(txs); root == t.bad.ExtrinsicsRoot {
		return fmt.Errorf("%w: the %d txs the flags keep have root %s, as the receipt says", ErrRootsAgree, len(txs), root)
	}
	return nil
}

// verifyDomainBlockHash checks a domain-block-hash proof: the header the
// parent, the consensus block and the ER's own fields give does not hash to
// the ER's domain block hash.
func (t *target) verifyDomainBlockHash(p *protocol.DomainBlockHashProof) error {
	derived, err := t.header(p.Parent)
	if err != nil {
		return err
	}
	if hash := t.claimedHeader(derived).Hash(); hash == t.bad.DomainHash {
		return fmt.Errorf("%w: the header hashes to %s, as the receipt says", ErrRootsAgree, hash)
	}
	return nil
}

// runBlock re-executes the proof's block on its witness and returns the
// result with the opened witness, whose usage the caller checks or trims to.
func (t *target) runBlock(ctx context.Context, p *protocol.ExecutionResultProof) (*domain.Result, *openWitness, error) {
	o, err := open(&p.Witness, t.parentHash)
	if err != nil {
		return nil, nil, err
	}
	header, err := t.header(o.parent())
	if err != nil {
		return nil, nil, err
	}
	block := p.Block
	if want := t.claimedHeader(header).Hash(); block.Hash() != want {
		return nil, nil, fmt.Errorf("%w: block header hashes to %s, the receipt describes %s", ErrBlockMismatch, block.Hash(), want)
	}
	// Withdrawals must be absent, not an empty list: one encoding per proof.
	if len(block.Uncles()) != 0 || block.Withdrawals() != nil {
		return nil, nil, fmt.Errorf("%w: block carries uncles or a withdrawals list", ErrBlockMismatch)
	}
	txs := block.Transactions()
	if root := txRoot(txs); root != t.bad.ExtrinsicsRoot {
		return nil, nil, fmt.Errorf("%w: the block's %d txs have root %s, the receipt says %s", ErrTxProof, len(txs), root, t.bad.ExtrinsicsRoot)
	}
	sdb, err := o.state(t.parentRoot)
	if err != nil {
		return nil, nil, err
	}
	res, err := t.exec.Execute(ctx, o.headers, header, txs, sdb)
	if err != nil {
		return nil, nil, execError(err)
	}
	return res, o, nil
}

// verifyExecutionResult checks an execution-result proof: re-execution of
// the block gives another value of the field named.
func (t *target) verifyExecutionResult(ctx context.Context, p *protocol.ExecutionResultProof) error {
	if p.Field < protocol.ResultGasUsed || p.Field > protocol.ResultFees {
		return fmt.Errorf("%w: unknown result field %d", ErrNonCanonical, p.Field)
	}
	res, o, err := t.runBlock(ctx, p)
	if err != nil {
		return err
	}
	if err := o.unused(); err != nil {
		return err
	}
	if got, differ := resultField(p.Field, res, t.bad); !differ {
		return fmt.Errorf("%w: %s is %s, as the receipt says", ErrRootsAgree, p.Field, got)
	}
	return nil
}

// resultField formats one execution-result field of a re-execution and
// reports whether it differs from the receipt's.
func resultField(f protocol.ResultField, res *domain.Result, r *protocol.ExecutionReceipt) (string, bool) {
	switch f {
	case protocol.ResultGasUsed:
		return fmt.Sprint(res.GasUsed), res.GasUsed != r.GasUsed
	case protocol.ResultReceiptsRoot:
		h := res.Block.ReceiptHash()
		return h.String(), h != r.ReceiptsRoot
	case protocol.ResultLogsBloom:
		b := res.Block.Bloom()
		return fmt.Sprintf("bloom %x…", b[:8]), b != r.LogsBloom
	case protocol.ResultFees:
		ops, burned := res.Fees.Operators, res.Fees.Burned
		return fmt.Sprintf("{operators %s, burned %s}", ops, burned), !ops.Eq(&r.Fees.Operators) || !burned.Eq(&r.Fees.Burned)
	}
	return "", true
}
