package proof

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/rawdb"
	"github.com/ethereum/go-ethereum/core/state"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/ethdb"
	"github.com/ethereum/go-ethereum/triedb"

	"github.com/receiptd/receiptd/domain"
	"github.com/receiptd/receiptd/protocol"
)

// A block-level witness is collected by running the block as the verifier
// will, statelessly, on a database that starts empty and fetches each trie
// node and code from the honest store the first time it is read: what it
// fetched is exactly what the stateless run reads (see the package doc for
// why go-ethereum's witness builder cannot serve here).

// fetchingDB is an in-memory hash database that fills itself from a
// WitnessSource on misses and remembers what it fetched.
type fetchingDB struct {
	ethdb.Database
	src   *domain.WitnessSource
	mu    sync.Mutex
	nodes map[common.Hash][]byte
	codes map[common.Hash][]byte
}

func newFetchingDB(src *domain.WitnessSource) *fetchingDB {
	return &fetchingDB{Database: rawdb.NewMemoryDatabase(), src: src, nodes: map[common.Hash][]byte{}, codes: map[common.Hash][]byte{}}
}

func (d *fetchingDB) Get(key []byte) ([]byte, error) {
	if v, err := d.Database.Get(key); err == nil {
		return v, nil
	}
	d.fetch(key)
	return d.Database.Get(key)
}

func (d *fetchingDB) Has(key []byte) (bool, error) {
	if ok, err := d.Database.Has(key); ok || err != nil {
		return ok, err
	}
	d.fetch(key)
	return d.Database.Has(key)
}

// fetch copies the item under key from the source, if it has it.
func (d *fetchingDB) fetch(key []byte) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if isCode, h := rawdb.IsCodeKey(key); isCode {
		hash := common.BytesToHash(h)
		if code := d.src.Code(hash); len(code) > 0 {
			d.codes[hash] = code
			rawdb.WriteCode(d.Database, hash, code)
		}
		return
	}
	if len(key) != common.HashLength {
		return
	}
	hash := common.BytesToHash(key)
	if node := d.src.Node(hash); node != nil {
		d.nodes[hash] = node
		rawdb.WriteLegacyTrieNode(d.Database, hash, node)
	}
}

// fetchingHeaders serves headers from the honest chain and remembers which
// were read.
type fetchingHeaders struct {
	chain domain.HeaderReader
	mu    sync.Mutex
	read  map[common.Hash]bool
}

func (f *fetchingHeaders) GetHeader(hash common.Hash, number uint64) *types.Header {
	h := f.chain.GetHeader(hash, number)
	if h != nil {
		f.mu.Lock()
		f.read[hash] = true
		f.mu.Unlock()
	}
	return h
}

// collectBlockWitness executes header's block of txs statelessly from
// parent's state in store and returns the witness it read.
func collectBlockWitness(ctx context.Context, exec *domain.Executor, store *domain.StateStore, chain domain.HeaderReader,
	parent, header *types.Header, txs []*types.Transaction) (protocol.Witness, error) {
	src, err := store.WitnessSource(parent.Root)
	if err != nil {
		return protocol.Witness{}, err
	}
	db := newFetchingDB(src)
	sdb, err := state.New(parent.Root, state.NewMPTDatabase(triedb.NewDatabase(db, triedb.HashDefaults), state.NewCodeDB(db)))
	if err != nil {
		return protocol.Witness{}, fmt.Errorf("open parent state: %w", err)
	}
	headers := &fetchingHeaders{chain: chain, read: map[common.Hash]bool{}}
	if _, err := exec.Execute(ctx, headers, header, txs, sdb); err != nil {
		return protocol.Witness{}, fmt.Errorf("execute: %w", err)
	}
	// The headers read run from the parent back without a gap: BLOCKHASH
	// walks parent hashes.
	w := protocol.Witness{Headers: []*types.Header{parent}}
	for h := parent; h.Number.Sign() > 0; {
		next := chain.GetHeader(h.ParentHash, h.Number.Uint64()-1)
		if next == nil || !headers.read[next.Hash()] {
			break
		}
		w.Headers, h = append(w.Headers, next), next
	}
	w.State = slices.SortedFunc(maps.Values(db.nodes), bytes.Compare)
	w.Codes = slices.SortedFunc(maps.Values(db.codes), bytes.Compare)
	return w, nil
}
