package audit

import (
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/params"
	"github.com/ethereum/go-ethereum/trie"
)

// bodyRoots are the Merkle roots of a block's transaction and withdrawal
// lists, computed ahead of the executor (see pending) and checked by
// validateBody.
type bodyRoots struct {
	txs         common.Hash
	withdrawals common.Hash // zero when the body has no withdrawals list
}

func computeBodyRoots(b *types.Block) bodyRoots {
	r := bodyRoots{txs: types.DeriveSha(b.Transactions(), trie.NewStackTrie(nil))}
	if w := b.Withdrawals(); w != nil {
		r.withdrawals = types.DeriveSha(w, trie.NewStackTrie(nil))
	}
	return r
}

// validateBody applies the rules of core.BlockValidator.ValidateBody
// (go-ethereum v1.17.10) to a block whose header verified, with its body's
// roots computed beforehand. That method needs a *core.BlockChain; the chain
// that stands here is in memory, so the rules are restated against it. The
// known-block and unknown-parent checks are made by the caller before the
// header is verified.
func validateBody(c *chain, block *types.Block, roots bodyRoots) error {
	config := c.config
	if config.IsOsaka(block.Number(), block.Time()) && block.Size() > params.MaxBlockSize {
		return core.ErrBlockOversized
	}
	header := block.Header()
	if err := c.engine.VerifyUncles(c, block); err != nil {
		return err
	}
	if hash := types.CalcUncleHash(block.Uncles()); hash != header.UncleHash {
		return fmt.Errorf("uncle root hash mismatch (header value %x, calculated %x)", header.UncleHash, hash)
	}
	if hash := roots.txs; hash != header.TxHash {
		return fmt.Errorf("transaction root hash mismatch (header value %x, calculated %x)", header.TxHash, hash)
	}
	if header.WithdrawalsHash != nil {
		if block.Withdrawals() == nil {
			return errors.New("missing withdrawals in block body")
		}
		if hash := roots.withdrawals; hash != *header.WithdrawalsHash {
			return fmt.Errorf("withdrawals root hash mismatch (header value %x, calculated %x)", *header.WithdrawalsHash, hash)
		}
	} else if block.Withdrawals() != nil {
		return errors.New("withdrawals present in block body")
	}
	var blobs int
	for i, tx := range block.Transactions() {
		blobs += len(tx.BlobHashes())
		if tx.BlobTxSidecar() != nil {
			return fmt.Errorf("unexpected blob sidecar in transaction at index %d", i)
		}
	}
	if header.BlobGasUsed != nil {
		if want := *header.BlobGasUsed / params.BlobTxBlobGasPerBlob; uint64(blobs) != want {
			return fmt.Errorf("blob gas used mismatch (header %v, calculated %v)", *header.BlobGasUsed, blobs*params.BlobTxBlobGasPerBlob)
		}
	} else if blobs > 0 {
		return errors.New("data blobs present in block body")
	}
	if config.IsAmsterdam(block.Number(), block.Time()) {
		if header.BlockAccessListHash == nil {
			return errors.New("block access list hash not set in header")
		}
		if al := block.AccessList(); al != nil {
			if computed := al.Hash(); *header.BlockAccessListHash != computed {
				return fmt.Errorf("access list hash mismatch, computed: %x, remote: %x", computed, *header.BlockAccessListHash)
			}
			if err := al.Validate(block.GasLimit(), len(block.Transactions())); err != nil {
				return fmt.Errorf("invalid block access list: %v", err)
			}
		}
	} else if header.BlockAccessListHash != nil || block.AccessList() != nil {
		return errors.New("block had access list before Amsterdam")
	}
	return nil
}
