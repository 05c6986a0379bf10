package devnet

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/rlp"

	"github.com/receiptd/receiptd/protocol"
)

// This file holds the wire forms the node serves and the client reads, and
// the conversions between them and protocol's types. Conversions from the
// wire validate: nothing a node sends reaches a caller unchecked.

// ErrBadNode is wrapped by every error about data a node sent that is not
// what the API promises: undecodable blocks, summaries that disagree with
// the block, events that do not follow one another.
var ErrBadNode = errors.New("devnet: node sent invalid data")

// WireBlock is a consensus block on the wire: its canonical RLP, which is
// what counts, and a summary any JSON-RPC client can read without decoding
// it. Quantities are 0x-hex, as in Ethereum's JSON-RPC.
type WireBlock struct {
	RLP         hexutil.Bytes  `json:"rlp"`
	Number      hexutil.Uint64 `json:"number"`
	Hash        common.Hash    `json:"hash"`
	ParentHash  common.Hash    `json:"parentHash"`
	Slot        hexutil.Uint64 `json:"slot"`
	Timestamp   hexutil.Uint64 `json:"timestamp"`
	Author      common.Address `json:"author"`
	Randomness  common.Hash    `json:"randomness"`
	Bundles     hexutil.Uint64 `json:"bundles"`
	FraudProofs hexutil.Uint64 `json:"fraudProofs"`
	Submissions hexutil.Uint64 `json:"submissions"`
}

// NewWireBlock encodes b.
func NewWireBlock(b *protocol.Block) (*WireBlock, error) {
	enc, err := rlp.EncodeToBytes(b)
	if err != nil {
		return nil, fmt.Errorf("devnet: encode block #%d: %w", b.Header.Number, err)
	}
	h := &b.Header
	return &WireBlock{
		RLP: enc, Number: hexutil.Uint64(h.Number), Hash: b.Hash(), ParentHash: h.ParentHash,
		Slot: hexutil.Uint64(h.Slot), Timestamp: hexutil.Uint64(h.Timestamp), Author: h.Author,
		Randomness: h.Randomness, Bundles: hexutil.Uint64(len(b.Body.Bundles)),
		FraudProofs: hexutil.Uint64(len(b.Body.FraudProofs)), Submissions: hexutil.Uint64(len(b.Body.Submissions)),
	}, nil
}

// Block decodes the RLP (protocol.DecodeBlock: limits, body against the
// header's roots) and checks that the summary describes that block.
func (w *WireBlock) Block() (*protocol.Block, error) {
	if w == nil {
		return nil, fmt.Errorf("%w: null block", ErrBadNode)
	}
	b, err := protocol.DecodeBlock(w.RLP)
	if err != nil {
		return nil, fmt.Errorf("%w: block %s: %w", ErrBadNode, w.Hash, err)
	}
	h := &b.Header
	switch {
	case b.Hash() != w.Hash:
		return nil, fmt.Errorf("%w: block summary says hash %s, the block hashes to %s", ErrBadNode, w.Hash, b.Hash())
	case h.Number != uint64(w.Number) || h.ParentHash != w.ParentHash || h.Slot != uint64(w.Slot) ||
		h.Timestamp != uint64(w.Timestamp) || h.Author != w.Author || h.Randomness != w.Randomness:
		return nil, fmt.Errorf("%w: block %s: summary header fields differ from the block's", ErrBadNode, w.Hash)
	case len(b.Body.Bundles) != int(w.Bundles) || len(b.Body.FraudProofs) != int(w.FraudProofs) ||
		len(b.Body.Submissions) != int(w.Submissions):
		return nil, fmt.Errorf("%w: block %s: summary counts differ from the block's", ErrBadNode, w.Hash)
	}
	return b, nil
}

// WireHeadEvent is one devnet_subscribe("newHeads") notification: the new
// canonical head and, when it came with a reorg, what was dropped and
// added. The node's last notification may instead carry only Error: the
// node ended the subscription (the devnet stopped, or the subscriber fell
// too far behind).
type WireHeadEvent struct {
	Block *WireBlock `json:"block,omitempty"`
	Reorg *WireReorg `json:"reorg,omitempty"`
	Error string     `json:"error,omitempty"`
}

// WireReorg is a Reorg on the wire. Added ends with the event's block.
type WireReorg struct {
	Ancestor common.Hash    `json:"ancestor"`
	Depth    hexutil.Uint64 `json:"depth"`
	Dropped  []common.Hash  `json:"dropped"`
	Added    []*WireBlock   `json:"added"`
}

// NewWireHeadEvent encodes ev.
func NewWireHeadEvent(ev HeadEvent) (*WireHeadEvent, error) {
	b, err := NewWireBlock(ev.Block)
	if err != nil {
		return nil, err
	}
	out := &WireHeadEvent{Block: b}
	if r := ev.Reorg; r != nil {
		out.Reorg = &WireReorg{Ancestor: r.Ancestor, Depth: hexutil.Uint64(r.Depth), Dropped: slices.Clone(r.Dropped)}
		for _, a := range r.Added {
			if a == ev.Block {
				out.Reorg.Added = append(out.Reorg.Added, b)
				continue
			}
			wa, err := NewWireBlock(a)
			if err != nil {
				return nil, err
			}
			out.Reorg.Added = append(out.Reorg.Added, wa)
		}
	}
	return out, nil
}

// Event decodes the event and checks it is self-consistent: every block
// valid, the added blocks hash-linked from the ancestor to the head, as many
// dropped hashes as the depth says.
func (w *WireHeadEvent) Event() (HeadEvent, error) {
	block, err := w.Block.Block()
	if err != nil {
		return HeadEvent{}, err
	}
	ev := HeadEvent{Block: block}
	r := w.Reorg
	if r == nil {
		return ev, nil
	}
	if r.Depth == 0 || int(r.Depth) != len(r.Dropped) || len(r.Added) <= len(r.Dropped) || len(r.Added) > maxWireReorg {
		return HeadEvent{}, fmt.Errorf("%w: reorg of depth %d drops %d and adds %d blocks", ErrBadNode, r.Depth, len(r.Dropped), len(r.Added))
	}
	ev.Reorg = &Reorg{Ancestor: r.Ancestor, Depth: int(r.Depth), Dropped: r.Dropped}
	parent := r.Ancestor
	for _, wa := range r.Added {
		a, err := wa.Block()
		if err != nil {
			return HeadEvent{}, err
		}
		if a.Header.ParentHash != parent {
			return HeadEvent{}, fmt.Errorf("%w: reorg block #%d does not link to %s", ErrBadNode, a.Header.Number, parent)
		}
		parent = a.Hash()
		ev.Reorg.Added = append(ev.Reorg.Added, a)
	}
	if parent != block.Hash() {
		return HeadEvent{}, fmt.Errorf("%w: reorg's added blocks end in %s, not the head %s", ErrBadNode, parent, block.Hash())
	}
	ev.Block = ev.Reorg.Added[len(ev.Reorg.Added)-1]
	return ev, nil
}

// maxWireReorg bounds the blocks one reorg notification may add.
const maxWireReorg = 1 << 10

// WireNetwork is the devnet_network result: the chain spec as the hex of
// its RLP (protocol.ChainSpec) and every domain's genesis JSON, as `geth
// init` takes it.
type WireNetwork struct {
	Spec hexutil.Bytes `json:"spec"`
	// SpecHash is keccak(spec RLP); the consensus genesis header carries it
	// as its parent hash.
	SpecHash common.Hash `json:"specHash"`
	// GenesisHash is the consensus genesis block's hash.
	GenesisHash common.Hash   `json:"genesisHash"`
	Domains     []WireGenesis `json:"domains"`
}

// WireGenesis is one domain's genesis.
type WireGenesis struct {
	ID      protocol.DomainID `json:"id"`
	Genesis json.RawMessage   `json:"genesis"`
}

// NewWireNetwork encodes net.
func NewWireNetwork(net Network) (*WireNetwork, error) {
	rec, err := encodeNetwork(net)
	if err != nil {
		return nil, err
	}
	spec, err := rlp.EncodeToBytes(net.Spec)
	if err != nil {
		return nil, fmt.Errorf("devnet: encode spec: %w", err)
	}
	gh := net.Spec.GenesisHeader()
	w := &WireNetwork{Spec: spec, SpecHash: net.Spec.Hash(), GenesisHash: gh.Hash()}
	for _, g := range rec.Geneses {
		w.Domains = append(w.Domains, WireGenesis{ID: g.Domain, Genesis: g.JSON})
	}
	return w, nil
}

// Network decodes and validates the network (see decodeNetwork).
func (w *WireNetwork) Network() (Network, error) {
	spec := new(protocol.ChainSpec)
	if err := rlp.DecodeBytes(w.Spec, spec); err != nil {
		return Network{}, fmt.Errorf("%w: spec: %w", ErrBadNode, err)
	}
	geneses := make(map[protocol.DomainID][]byte, len(w.Domains))
	for _, g := range w.Domains {
		if _, dup := geneses[g.ID]; dup {
			return Network{}, fmt.Errorf("%w: domain %d has two geneses", ErrBadNode, g.ID)
		}
		geneses[g.ID] = g.Genesis
	}
	net, err := decodeNetwork(spec, geneses)
	if err != nil {
		return Network{}, fmt.Errorf("%w: %w", ErrBadNode, err)
	}
	gh := net.Spec.GenesisHeader()
	if net.Spec.Hash() != w.SpecHash || gh.Hash() != w.GenesisHash {
		return Network{}, fmt.Errorf("%w: network hashes do not match its spec", ErrBadNode)
	}
	return net, nil
}

// encodeNetwork orders the geneses by domain id and encodes them as JSON.
func encodeNetwork(net Network) (*networkRecord, error) {
	rec := &networkRecord{Spec: net.Spec}
	for _, dc := range net.Spec.Domains {
		g, ok := net.Geneses[dc.ID]
		if !ok {
			return nil, fmt.Errorf("devnet: network has no genesis for domain %d", dc.ID)
		}
		enc, err := json.Marshal(g)
		if err != nil {
			return nil, fmt.Errorf("devnet: encode genesis of domain %d: %w", dc.ID, err)
		}
		rec.Geneses = append(rec.Geneses, genesisRecord{Domain: dc.ID, JSON: enc})
	}
	return rec, nil
}

// decodeNetwork validates a received network: the spec, one genesis per
// registered domain and no other, and each genesis giving the block hash,
// state root and chain id the spec registers.
func decodeNetwork(spec *protocol.ChainSpec, geneses map[protocol.DomainID][]byte) (Network, error) {
	if spec == nil {
		return Network{}, errors.New("network: no spec")
	}
	if err := spec.Validate(); err != nil {
		return Network{}, fmt.Errorf("network: %w", err)
	}
	if len(geneses) != len(spec.Domains) {
		return Network{}, fmt.Errorf("network: %d geneses for %d domains", len(geneses), len(spec.Domains))
	}
	net := Network{Spec: spec, Geneses: make(map[protocol.DomainID]*core.Genesis, len(geneses))}
	for _, dc := range spec.Domains {
		raw, ok := geneses[dc.ID]
		if !ok {
			return Network{}, fmt.Errorf("network: no genesis for domain %d", dc.ID)
		}
		g := new(core.Genesis)
		if err := json.Unmarshal(raw, g); err != nil {
			return Network{}, fmt.Errorf("network: genesis of domain %d: %w", dc.ID, err)
		}
		if g.Config == nil || g.Config.ChainID == nil || !g.Config.ChainID.IsUint64() || g.Config.ChainID.Uint64() != dc.ChainID {
			return Network{}, fmt.Errorf("network: genesis of domain %d: chain id differs from the registered %d", dc.ID, dc.ChainID)
		}
		block, err := genesisBlock(g)
		if err != nil {
			return Network{}, fmt.Errorf("network: genesis of domain %d: %w", dc.ID, err)
		}
		if block.Hash() != dc.GenesisHash || block.Root() != dc.GenesisRoot {
			return Network{}, fmt.Errorf("network: genesis of domain %d gives block %s root %s, registered %s root %s",
				dc.ID, block.Hash(), block.Root(), dc.GenesisHash, dc.GenesisRoot)
		}
		if block.GasLimit() != dc.GasLimit {
			return Network{}, fmt.Errorf("network: genesis of domain %d has gas limit %d, registered %d", dc.ID, block.GasLimit(), dc.GasLimit)
		}
		net.Geneses[dc.ID] = g
	}
	return net, nil
}

// genesisBlock is g.ToBlock, which panics when it cannot hash the alloc,
// turned into an error: the genesis came from outside.
func genesisBlock(g *core.Genesis) (b *types.Block, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("cannot build the genesis block: %v", r)
		}
	}()
	return g.ToBlock(), nil
}
