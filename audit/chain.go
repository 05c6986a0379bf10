package audit

import (
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/consensus"
	"github.com/ethereum/go-ethereum/core"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/params"
)

// standing is one block of the chain that stands: it verified (or is the
// genesis). block loses its body once no replay can need it.
type standing struct {
	block    *types.Block
	stripped bool
}

// chain is the chain that stands, in memory. It serves the consensus engine
// and the state processor (consensus.ChainReader, core.ChainContext). Only the
// executor goroutine touches it.
type chain struct {
	config   *params.ChainConfig
	engine   consensus.Engine
	blocks   map[common.Hash]*standing
	byNumber map[uint64][]common.Hash // every standing block at a height
	canon    map[uint64]common.Hash   // the head's ancestry
	head     *types.Block
	genesis  *types.Block
	retain   uint64
	stripped uint64 // heights below this have no bodies
}

var (
	_ consensus.ChainReader = (*chain)(nil)
	_ core.ChainContext     = (*chain)(nil)
)

func newChain(config *params.ChainConfig, engine consensus.Engine, genesis *types.Block, retain uint64) *chain {
	c := &chain{
		config:   config,
		engine:   engine,
		blocks:   make(map[common.Hash]*standing),
		byNumber: make(map[uint64][]common.Hash),
		canon:    make(map[uint64]common.Hash),
		genesis:  genesis,
		retain:   retain,
	}
	c.add(genesis)
	c.setHead(genesis)
	return c
}

// add makes b a standing block without moving the head.
func (c *chain) add(b *types.Block) {
	h := b.Hash()
	c.blocks[h] = &standing{block: b}
	c.byNumber[b.NumberU64()] = append(c.byNumber[b.NumberU64()], h)
}

// setHead moves the head to b, a standing block, rewrites the canonical
// numbering back to the fork point and forgets heights below the kept window.
func (c *chain) setHead(b *types.Block) {
	prevHead := c.head
	c.head = b
	for cur := b; cur != nil; {
		n := cur.NumberU64()
		if c.canon[n] == cur.Hash() {
			break
		}
		c.canon[n] = cur.Hash()
		if n == 0 {
			break
		}
		cur = c.block(cur.ParentHash())
	}
	if prevHead != nil {
		for n := b.NumberU64() + 1; n <= prevHead.NumberU64(); n++ {
			delete(c.canon, n)
		}
	}
	if n := b.NumberU64(); n > c.retain {
		c.forget(n - c.retain - 1)
	}
}

// forget drops every standing block at height n (never the genesis).
func (c *chain) forget(n uint64) {
	if n == 0 {
		return
	}
	for _, h := range c.byNumber[n] {
		delete(c.blocks, h)
	}
	delete(c.byNumber, n)
	delete(c.canon, n)
}

// stripBodiesBelow keeps only the headers of blocks below height n, except
// the eight below the head that the uncle rules read.
func (c *chain) stripBodiesBelow(n uint64) {
	if h := c.head.NumberU64(); n+8 > h {
		n = max(h, 8) - 8
	}
	for ; c.stripped < n; c.stripped++ {
		for _, h := range c.byNumber[c.stripped] {
			if s := c.blocks[h]; s != nil {
				s.block, s.stripped = types.NewBlockWithHeader(s.block.Header()), true
			}
		}
	}
}

// hasBody reports whether b, a standing block, still has its body.
func (c *chain) hasBody(b *types.Block) bool {
	s := c.blocks[b.Hash()]
	return s != nil && !s.stripped
}

func (c *chain) block(hash common.Hash) *types.Block {
	if s := c.blocks[hash]; s != nil {
		return s.block
	}
	return nil
}

func (c *chain) has(hash common.Hash, number uint64) bool {
	b := c.block(hash)
	return b != nil && b.NumberU64() == number
}

// Config implements consensus.ChainHeaderReader.
func (c *chain) Config() *params.ChainConfig { return c.config }

// Engine implements core.ChainContext.
func (c *chain) Engine() consensus.Engine { return c.engine }

// CurrentHeader implements consensus.ChainHeaderReader.
func (c *chain) CurrentHeader() *types.Header { return c.head.Header() }

// GetHeader implements consensus.ChainHeaderReader.
func (c *chain) GetHeader(hash common.Hash, number uint64) *types.Header {
	if b := c.block(hash); b != nil && b.NumberU64() == number {
		return b.Header()
	}
	return nil
}

// GetHeaderByNumber implements consensus.ChainHeaderReader.
func (c *chain) GetHeaderByNumber(number uint64) *types.Header {
	h, ok := c.canon[number]
	if !ok {
		return nil
	}
	return c.GetHeader(h, number)
}

// GetHeaderByHash implements consensus.ChainHeaderReader.
func (c *chain) GetHeaderByHash(hash common.Hash) *types.Header {
	if b := c.block(hash); b != nil {
		return b.Header()
	}
	return nil
}

// GetBlock implements consensus.ChainReader.
func (c *chain) GetBlock(hash common.Hash, number uint64) *types.Block {
	if b := c.block(hash); b != nil && b.NumberU64() == number {
		return b
	}
	return nil
}
