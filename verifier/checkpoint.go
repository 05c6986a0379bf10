package verifier

import (
	"fmt"
	"maps"
	"slices"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/rlp"

	"github.com/receiptd/receiptd/protocol"
)

// snapshot is the follower's state after one consensus block.
type snapshot struct {
	number uint64
	hash   common.Hash
	state  *protocol.State
	views  map[protocol.DomainID]domainView
	// flushed is each domain's newest flushed state on this snapshot's
	// chain: a rollback to the snapshot goes back to it, so that no
	// checkpoint names a state flushed on an orphaned fork.
	flushed map[protocol.DomainID]flushedState
}

// flushedOf records the pipelines' newest flushed states in s.
func (s *snapshot) flushedOf(pipes map[protocol.DomainID]*domainPipeline) {
	s.flushed = make(map[protocol.DomainID]flushedState, len(pipes))
	for id, p := range pipes {
		s.flushed[id] = p.flushed
	}
}

type badMark struct {
	Hash common.Hash
	Own  bool
}

type checkpointWire struct {
	State   []byte
	Domains []domainCheckpoint
}

type domainCheckpoint struct {
	ID            protocol.DomainID
	Head          *types.Header
	Honest        []protocol.ExecutionReceipt // ascending numbers
	Bad           []badMark                   // ascending hashes
	FlushedRoot   common.Hash
	FlushedNumber uint64
}

func encodeCheckpoint(s *snapshot) ([]byte, error) {
	st, err := s.state.MarshalBinary()
	if err != nil {
		return nil, err
	}
	w := checkpointWire{State: st}
	for _, id := range slices.Sorted(maps.Keys(s.views)) {
		v := s.views[id]
		dc := domainCheckpoint{ID: id, Head: v.Head}
		for _, h := range slices.SortedFunc(maps.Keys(v.Bad), func(a, b common.Hash) int { return a.Cmp(b) }) {
			dc.Bad = append(dc.Bad, badMark{Hash: h, Own: v.Bad[h]})
		}
		for _, n := range slices.Sorted(maps.Keys(v.Honest)) {
			dc.Honest = append(dc.Honest, *v.Honest[n])
		}
		fs := s.flushed[id]
		dc.FlushedRoot, dc.FlushedNumber = fs.root, fs.number
		w.Domains = append(w.Domains, dc)
	}
	return rlp.EncodeToBytes(&w)
}

func decodeCheckpoint(spec *protocol.ChainSpec, number uint64, b []byte) (*snapshot, map[protocol.DomainID]domainCheckpoint, error) {
	var w checkpointWire
	if err := rlp.DecodeBytes(b, &w); err != nil {
		return nil, nil, fmt.Errorf("%w: checkpoint %d: %w", ErrCorruptIndex, number, err)
	}
	st, err := protocol.UnmarshalState(spec, w.State)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: checkpoint %d: %w", ErrCorruptIndex, number, err)
	}
	if st.Header.Number != number {
		return nil, nil, fmt.Errorf("%w: checkpoint %d holds the state of block %d", ErrCorruptIndex, number, st.Header.Number)
	}
	s := &snapshot{number: number, hash: st.Hash, state: st, views: map[protocol.DomainID]domainView{}}
	meta := map[protocol.DomainID]domainCheckpoint{}
	for _, dc := range w.Domains {
		if dc.Head == nil {
			return nil, nil, fmt.Errorf("%w: checkpoint %d: domain %d has no head", ErrCorruptIndex, number, dc.ID)
		}
		v := domainView{Head: dc.Head, Honest: map[uint64]*protocol.ExecutionReceipt{}, Bad: map[common.Hash]bool{}}
		for i := range dc.Honest {
			r := dc.Honest[i]
			v.Honest[r.DomainNumber] = &r
		}
		for _, b := range dc.Bad {
			v.Bad[b.Hash] = b.Own
		}
		s.views[dc.ID] = v
		meta[dc.ID] = dc
	}
	return s, meta, nil
}
