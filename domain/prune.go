package domain

import (
	"context"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/rawdb"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/ethdb"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/ethereum/go-ethereum/trie"
)

// Pruning flushed state.
//
// The hash scheme stores each trie node once, under its hash, shared by
// every state that holds it, and keeps no reference counts on disk: one
// flushed state cannot be deleted on its own. Prune does what geth's
// offline pruner does (`geth snapshot prune-state`), but exactly (a set,
// not a bloom filter) and on a store in use: it marks every node reachable
// from the roots to keep, walking each account trie and the storage tries
// its accounts name through the trie database (so nodes still in memory,
// and disk nodes that in-memory states share, are reached too), then
// deletes from disk every trie node it did not mark. Contract code is
// content-addressed too, and go-ethereum writes it to disk when a state is
// committed, flushed or not: Prune keeps the code some kept account names
// and deletes the rest.
//
// A crash in the middle leaves some unreachable nodes on disk, never a
// missing reachable one, so it is safe at any moment. Marking costs memory
// in proportion to the live state (a 32-byte key per node and per code),
// which suits the domain states receiptd keeps.

// PruneStats says what one Prune did.
type PruneStats struct {
	Roots   int // roots walked (those present)
	Marked  int // nodes they reach
	Deleted int // trie nodes deleted from disk
	Codes   int // contract codes deleted from disk
}

// pruneCheckEvery is how many nodes Prune visits between context checks.
const pruneCheckEvery = 4096

// Prune deletes from disk every trie node and contract code no root in
// keep reaches. A root
// in keep that is not available is skipped. Every root the caller may open
// afterwards, in memory or on disk, must be in keep: a state built on a
// pruned root is lost. Prune must not run concurrently with Commit or Flush
// on the same store (it would not see nodes they write meanwhile); StateAt
// and reads may run. The trie database's clean cache may still answer for
// pruned nodes until the store is reopened, which matters only for roots
// the caller has given up.
func (s *StateStore) Prune(ctx context.Context, keep []common.Hash) (PruneStats, error) {
	var st PruneStats
	if err := ctx.Err(); err != nil {
		return st, err
	}
	marked := make(map[common.Hash]struct{})
	// The empty code is never read (go-ethereum answers it without a
	// lookup), but a genesis commit writes it; it stays.
	codes := map[common.Hash]struct{}{types.EmptyCodeHash: {}}
	for _, root := range keep {
		if root == types.EmptyRootHash || !s.HasState(root) {
			continue
		}
		if _, done := marked[root]; done {
			st.Roots++
			continue
		}
		if err := s.mark(ctx, trie.StateTrieID(root), marked, codes); err != nil {
			return st, fmt.Errorf("domain: prune: mark state %x: %w", root, err)
		}
		st.Roots++
	}
	st.Marked = len(marked)
	var err error
	st.Deleted, st.Codes, err = s.sweep(ctx, marked, codes)
	if err != nil {
		return st, fmt.Errorf("domain: prune: sweep: %w", err)
	}
	return st, nil
}

// mark adds to marked every hashed node of the trie id names, skipping
// subtries already marked (their nodes, the storage tries and the code
// under them, were marked with them). With codes, id is an account trie:
// it walks each account's storage trie too and adds its code to codes.
func (s *StateStore) mark(ctx context.Context, id *trie.ID, marked, codes map[common.Hash]struct{}) error {
	t, err := trie.New(id, s.triedb)
	if err != nil {
		return err
	}
	it, err := t.NodeIterator(nil)
	if err != nil {
		return err
	}
	visited := 0
	for descend := true; it.Next(descend); {
		if visited++; visited%pruneCheckEvery == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		descend = true
		if h := it.Hash(); h != (common.Hash{}) {
			if _, seen := marked[h]; seen {
				descend = false
				continue
			}
			marked[h] = struct{}{}
		}
		if codes == nil || !it.Leaf() {
			continue
		}
		var acc types.StateAccount
		if err := rlp.DecodeBytes(it.LeafBlob(), &acc); err != nil {
			return fmt.Errorf("account %x: %w", it.LeafKey(), err)
		}
		if code := common.BytesToHash(acc.CodeHash); code != types.EmptyCodeHash {
			codes[code] = struct{}{}
		}
		if acc.Root == types.EmptyRootHash {
			continue
		}
		if _, seen := marked[acc.Root]; seen {
			continue
		}
		sid := trie.StorageTrieID(id.StateRoot, common.BytesToHash(it.LeafKey()), acc.Root)
		if err := s.mark(ctx, sid, marked, nil); err != nil {
			return fmt.Errorf("storage of %x: %w", it.LeafKey(), err)
		}
	}
	return it.Error()
}

// sweep deletes, in batches, every hash-scheme trie node on disk that is
// not marked and every contract code not in codes, and returns how many of
// each it deleted. Other keys (headers, receiptd's own) are left alone: a
// trie node is a 32-byte key holding the value it is the hash of, a code
// key is rawdb's code prefix and the code's hash.
func (s *StateStore) sweep(ctx context.Context, marked, codes map[common.Hash]struct{}) (nodes, code int, err error) {
	it := s.disk.NewIterator(nil, nil)
	defer it.Release()
	batch := s.disk.NewBatch()
	visited := 0
	for it.Next() {
		if visited++; visited%pruneCheckEvery == 0 {
			if err := ctx.Err(); err != nil {
				return nodes, code, err
			}
		}
		key := it.Key()
		if isCode, hash := rawdb.IsCodeKey(key); isCode {
			if _, keep := codes[common.BytesToHash(hash)]; keep {
				continue
			}
			code++
		} else {
			if len(key) != common.HashLength {
				continue
			}
			if _, keep := marked[common.BytesToHash(key)]; keep || !rawdb.IsLegacyTrieNode(key, it.Value()) {
				continue
			}
			nodes++
		}
		if err := batch.Delete(key); err != nil {
			return nodes, code, err
		}
		if batch.ValueSize() >= ethdb.IdealBatchSize {
			if err := batch.Write(); err != nil {
				return nodes, code, err
			}
			batch.Reset()
		}
	}
	if err := it.Error(); err != nil {
		return nodes, code, err
	}
	return nodes, code, batch.Write()
}
