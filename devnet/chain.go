package devnet

import (
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"

	"github.com/receiptd/receiptd/protocol"
)

// node is one consensus block the devnet made, on any fork, with the
// consensus state after it and its view of every domain.
type node struct {
	num     uint64
	block   *protocol.Block // nil once trimmed: raw holds it
	raw     []byte
	hash    common.Hash
	state   *protocol.State
	parent  *node
	domains map[protocol.DomainID]*domainFork
}

func (n *node) number() uint64 { return n.num }

// getBlock returns the block, decoding it if history trimming stored it
// encoded.
func (n *node) getBlock() (*protocol.Block, error) {
	if n.block != nil {
		return n.block, nil
	}
	return protocol.DecodeBlock(n.raw)
}

// domainFork is a domain as one fork sees it: the newest domain block
// derived on the fork and the honest receipts of its pending blocks.
type domainFork struct {
	head *types.Header
	// derived is the domain block this consensus block derived, if any.
	derived *types.Block
	// honest maps domain block numbers to the honest receipt; blocks below
	// the confirmed one are dropped. Copy on write: never modified once
	// the node is made.
	honest map[uint64]*protocol.ExecutionReceipt
}

// ancestor walks back k blocks.
func (n *node) ancestor(k int) *node {
	for ; k > 0 && n.parent != nil; k-- {
		n = n.parent
	}
	return n
}

// HeadEvent tells a subscriber the canonical head moved. For a plain
// extension Reorg is nil; after a reorg it says what was dropped.
type HeadEvent struct {
	Block *protocol.Block
	Reorg *Reorg
}

// Reorg describes a switch of the canonical chain to another branch.
type Reorg struct {
	// Ancestor is the newest block both branches share.
	Ancestor common.Hash
	// Depth is the number of canonical blocks dropped.
	Depth int
	// Dropped are the dropped blocks' hashes, newest first.
	Dropped []common.Hash
	// Added are the new branch's blocks, oldest first; the last is Block.
	Added []*protocol.Block
}

// subscription is one subscriber's bounded queue of head events. A
// subscriber that falls 256 events behind is dropped: its channel closes
// and Err reports ErrSlowSubscriber.
type subscription struct {
	ch     chan HeadEvent
	closed bool
	err    error
}

const subscriptionBuffer = 256
