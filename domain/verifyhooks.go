package domain

import (
	"context"
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/rawdb"
	"github.com/ethereum/go-ethereum/core/state"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/triedb/database"
)

// ExecuteStepOn re-executes one trace step of header's block on sdb, a state
// the caller opened at s.PreRoot, reading ancestors from chain; parent is
// header's parent. It is ExecuteStep for callers that supply their own state
// database and header source, such as a fraud-proof verifier that records
// which witness items a step reads. A state read that fails surfaces as
// ErrMissingState, a missing ancestor as ErrUnknownAncestor.
func (e *Executor) ExecuteStepOn(ctx context.Context, chain HeaderReader, header, parent *types.Header, sdb *state.StateDB, s Step) (common.Hash, error) {
	if chain == nil || parent == nil || sdb == nil {
		return common.Hash{}, errors.New("domain: execute step on: nil header reader, parent or state")
	}
	if err := checkHeader(e.config, header); err != nil {
		return common.Hash{}, fmt.Errorf("domain: execute step on: %w", err)
	}
	if parent.Hash() != header.ParentHash {
		return common.Hash{}, fmt.Errorf("%w: block %d: parent %x is not %x", ErrWitnessAnchor, header.Number, parent.Hash(), header.ParentHash)
	}
	phase, err := s.phase()
	if err != nil {
		return common.Hash{}, err
	}
	root, err := e.runStep(ctx, chain, header, parent, sdb, s, phase)
	if err != nil {
		return common.Hash{}, fmt.Errorf("domain: block %d step %d: %w", header.Number, s.Index, err)
	}
	return root, nil
}

// WitnessSource serves the trie nodes and contract codes of committed state
// by hash: what a stateless witness of a block executed on that state holds.
// Its methods may be called concurrently.
type WitnessSource struct {
	nodes database.NodeReader
	store *StateStore
}

// WitnessSource returns a source of the nodes and codes of the state at
// root, which must stay committed (not Released) while the source is used.
func (s *StateStore) WitnessSource(root common.Hash) (*WitnessSource, error) {
	nodes, err := s.triedb.NodeReader(root)
	if err != nil {
		return nil, fmt.Errorf("%w: root %x: %w", ErrMissingState, root, err)
	}
	return &WitnessSource{nodes: nodes, store: s}, nil
}

// Node returns the trie node with this hash, or nil if the store lacks it.
func (w *WitnessSource) Node(hash common.Hash) []byte {
	blob, err := w.nodes.Node(common.Hash{}, nil, hash)
	if err != nil || len(blob) == 0 || crypto.Keccak256Hash(blob) != hash {
		return nil
	}
	return blob
}

// Code returns the contract code with this hash, or nil if the store lacks
// it.
func (w *WitnessSource) Code(hash common.Hash) []byte {
	return rawdb.ReadCode(w.store.disk, hash)
}
