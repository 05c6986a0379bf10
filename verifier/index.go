package verifier

import (
	"context"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"

	"github.com/receiptd/receiptd/protocol"
)

// Index is what the follower needs of receiptd's index: atomic commits per
// consensus block, rollback, progress, checkpoints, and the stored blocks
// a restart replays. indexAdapter implements it over package indexer.
type Index interface {
	// Progress is the last committed consensus block; ok is false for an
	// empty index.
	Progress(ctx context.Context) (number uint64, hash common.Hash, ok bool, err error)
	// CanonicalHash is the committed block hash at a height.
	CanonicalHash(ctx context.Context, number uint64) (common.Hash, error)
	// Checkpoint returns the newest checkpoint at or below number.
	Checkpoint(ctx context.Context, atOrBelow uint64) (uint64, []byte, error)
	// ConsensusBlock returns a committed block.
	ConsensusBlock(ctx context.Context, number uint64) (*protocol.Block, error)
	// DomainBlock returns a committed domain block's header and the height
	// of the consensus block that derived it.
	DomainBlock(ctx context.Context, d protocol.DomainID, number uint64) (*types.Header, uint64, error)
	// Commit writes one consensus block's update atomically.
	Commit(ctx context.Context, u *BlockUpdate) error
	// Rollback undoes every block above height to, atomically.
	Rollback(ctx context.Context, to uint64) error
}

// BlockUpdate is everything one consensus block changes: the follower
// computes it, the index stores it in one batch.
type BlockUpdate struct {
	Number uint64
	Hash   common.Hash
	Block  *protocol.Block
	// State is the consensus state after the block.
	State  *protocol.State
	Events []protocol.Event
	// Receipts are the receipts the block's bundles and submissions carry,
	// in body order (bundles after submissions), each with its verdict.
	Receipts []CarriedReceipt
	// Domains are the domain blocks the block derived.
	Domains []DomainUpdate
	// Progress is each domain's verified height and state after the block.
	Progress []DomainProgress
	// ConfirmedBad lists the confirmations, in this block, of receipts
	// that receiptd judged bad (EventReceiptConfirmed events): the alert
	// that matters most.
	ConfirmedBad []protocol.Event
	// Checkpoint is the follower's encoded state, when this block takes one.
	Checkpoint []byte
	// Challenges are the challenge changes to record with this block.
	Challenges []ChallengeUpdate
}

// CarriedReceipt is a receipt a bundle or a submission carries.
type CarriedReceipt struct {
	Domain   protocol.DomainID
	Operator protocol.OperatorID
	Receipt  *protocol.ExecutionReceipt
	Hash     common.Hash
	Verdict  Verdict
	// Bundle is the carrying bundle's hash; zero for a submission.
	Bundle common.Hash
}

// DomainUpdate is one derived and executed domain block.
type DomainUpdate struct {
	Domain     protocol.DomainID
	Block      *types.Block
	Receipts   types.Receipts
	Honest     *protocol.ExecutionReceipt
	Inboxed    []protocol.InboxedBundle
	Kept       [][]int
	BundleRefs []common.Hash // the inboxed bundles' hashes, in order
	Extrinsics [][][]byte    // the inboxed bundles' raw extrinsics
	Senders    [][]common.Address
	// TxHashes are the extrinsics' hashes as extrinsicHash gives them
	// (the tx hash, or keccak of bytes that do not decode), shaped as
	// Extrinsics.
	TxHashes [][]common.Hash
}

// DomainProgress is a domain's verification height and durable state.
type DomainProgress struct {
	Domain         protocol.DomainID
	VerifiedHeight uint64
	HeadHash       common.Hash
	StateRoot      common.Hash
	FlushedRoot    common.Hash
	FlushedNumber  uint64
}
