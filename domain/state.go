package domain

import (
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core"
	"github.com/ethereum/go-ethereum/core/rawdb"
	"github.com/ethereum/go-ethereum/core/state"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/ethdb"
	"github.com/ethereum/go-ethereum/ethdb/pebble"
	"github.com/ethereum/go-ethereum/params"
	"github.com/ethereum/go-ethereum/triedb"
	"github.com/ethereum/go-ethereum/triedb/hashdb"
)

// Storage defaults, sized for a devnet-scale domain on a small machine.
const (
	// pebbleCacheMB is the block cache OpenPebble gives pebble.
	pebbleCacheMB = 64
	// pebbleHandles is the number of open files OpenPebble allows pebble.
	pebbleHandles = 256
	// CleanCacheBytes is the trie database's cache of clean nodes read
	// from disk.
	CleanCacheBytes = 32 << 20
)

var (
	// ErrMissingState reports a state root whose trie is not available.
	ErrMissingState = errors.New("domain: state not available")
	// ErrGenesisMismatch reports a database holding another chain's genesis.
	ErrGenesisMismatch = errors.New("domain: database holds a different genesis")
)

// OpenPebble opens (creating if needed) a pebble database in dir, through
// go-ethereum's ethdb/pebble backend (pebble/v2), with a 64 MiB block cache
// and 256 file handles. The caller closes it after any StateStore over it.
func OpenPebble(dir string) (ethdb.Database, error) {
	kv, err := pebble.New(dir, pebbleCacheMB, pebbleHandles, "", false)
	if err != nil {
		return nil, fmt.Errorf("domain: open pebble %s: %w", dir, err)
	}
	return rawdb.NewDatabase(kv), nil
}

// StateStore holds a domain's state in go-ethereum's trie database, hash
// scheme: state committed by Commit lives in memory, reference counted, until
// Release drops it (nodes no other live root shares are collected at once)
// or Flush writes it to disk, where it survives restarts until Prune finds
// no kept root reaching it. Contract code goes to disk on commit, and
// Prune deletes it once no kept state's account names it.
//
// All methods may be called from any goroutine; the trie database holds its
// own lock. A *state.StateDB from StateAt belongs to one goroutine. The
// caller must not Release a root while a StateDB opened at it is in use.
type StateStore struct {
	config *params.ChainConfig
	disk   ethdb.Database
	triedb *triedb.Database
	state  state.Database
}

// OpenStateStore opens the domain state in db and makes sure genesis is
// there: an empty database gets the genesis block and state (as `geth init`
// would write them), a database holding the same genesis is left as it is,
// and one holding another genesis is an error. It returns the genesis block.
// The store does not own db: close the store, then db.
func OpenStateStore(db ethdb.Database, genesis *core.Genesis) (*StateStore, *types.Block, error) {
	if db == nil || genesis == nil || genesis.Config == nil {
		return nil, nil, errors.New("domain: open state store: nil database, genesis or chain config")
	}
	if err := checkFork(genesis.Config, common.Big1, genesis.Timestamp); err != nil {
		return nil, nil, fmt.Errorf("domain: open state store: %w", err)
	}
	tdb := triedb.NewDatabase(db, &triedb.Config{HashDB: &hashdb.Config{CleanCacheSize: CleanCacheBytes}})
	s := &StateStore{
		config: genesis.Config,
		disk:   db,
		triedb: tdb,
		state:  state.NewDatabase(tdb, state.NewCodeDB(db)),
	}
	block, err := s.ensureGenesis(genesis)
	if err != nil {
		tdb.Close()
		return nil, nil, fmt.Errorf("domain: open state store: %w", err)
	}
	return s, block, nil
}

func (s *StateStore) ensureGenesis(genesis *core.Genesis) (*types.Block, error) {
	want := genesis.ToBlock()
	stored := rawdb.ReadCanonicalHash(s.disk, 0)
	switch {
	case stored != (common.Hash{}) && stored != want.Hash():
		return nil, fmt.Errorf("%w: have %x, want %x", ErrGenesisMismatch, stored, want.Hash())
	case stored != (common.Hash{}) && s.HasState(want.Root()):
		return want, nil
	}
	// Absent, or present without its state: writing it again is idempotent.
	block, err := genesis.Commit(s.disk, s.triedb, nil)
	if err != nil {
		return nil, fmt.Errorf("commit genesis: %w", err)
	}
	if block.Hash() != want.Hash() {
		return nil, fmt.Errorf("commit genesis: wrote %x, computed %x", block.Hash(), want.Hash())
	}
	return block, nil
}

// Config returns the chain config the store was opened with.
func (s *StateStore) Config() *params.ChainConfig { return s.config }

// StateAt opens the state at root for reading and writing. The StateDB's
// changes stay private to it until Commit.
func (s *StateStore) StateAt(root common.Hash) (*state.StateDB, error) {
	sdb, err := state.New(root, s.state)
	if err != nil {
		return nil, fmt.Errorf("%w: root %x: %w", ErrMissingState, root, err)
	}
	return sdb, nil
}

// Commit writes the changes of sdb, a state executed as header's block,
// into the trie database and takes a reference on the resulting root, so
// the root stays openable until Release. The StateDB is unusable afterwards.
// Committing a root twice takes two references.
func (s *StateStore) Commit(sdb *state.StateDB, header *types.Header) (common.Hash, error) {
	if sdb == nil || header == nil || header.Number == nil {
		return common.Hash{}, errors.New("domain: commit: nil state or header")
	}
	rules := s.config.Rules(header.Number, true, header.Time)
	root, err := sdb.Commit(rules, header.Number.Uint64())
	if err != nil {
		return common.Hash{}, fmt.Errorf("domain: commit state of block %d: %w", header.Number, err)
	}
	if err := s.triedb.Reference(root, common.Hash{}); err != nil {
		return common.Hash{}, fmt.Errorf("domain: reference root %x: %w", root, err)
	}
	return root, nil
}

// Release drops one reference Commit took on root; when none is left, the
// nodes only root reaches are collected. Flushed state is left to Prune.
func (s *StateStore) Release(root common.Hash) error {
	if root == (common.Hash{}) || root == types.EmptyRootHash {
		return nil
	}
	if err := s.triedb.Dereference(root); err != nil {
		return fmt.Errorf("domain: release root %x: %w", root, err)
	}
	return nil
}

// Flush writes the state at root to disk and syncs it, so that it
// survives a crash, and drops it from memory; its references go with it.
// go-ethereum's pebble backend writes without syncing, and keeps the last,
// partly filled block of its log in the process: without the sync, a kill
// -9 after Flush could lose the root node, written last, while an index
// that names the flushed state has already been synced.
func (s *StateStore) Flush(root common.Hash) error {
	if root == types.EmptyRootHash {
		return nil
	}
	if err := s.triedb.Commit(root, false); err != nil {
		return fmt.Errorf("domain: flush root %x: %w", root, err)
	}
	if err := s.disk.SyncKeyValue(); err != nil {
		return fmt.Errorf("domain: sync flushed root %x: %w", root, err)
	}
	return nil
}

// HasState reports whether the root node of the state at root is available,
// in memory or on disk. Hash-scheme state is written root last, so a present
// root node means a complete state.
func (s *StateStore) HasState(root common.Hash) bool {
	_, err := s.triedb.NodeReader(root)
	return err == nil
}

// MemoryUsed returns the bytes of committed but unflushed state.
func (s *StateStore) MemoryUsed() common.StorageSize {
	_, nodes, _ := s.triedb.Size()
	return nodes
}

// Close frees the store's caches and drops unflushed state; it does not
// close the database. Calling it twice is safe.
func (s *StateStore) Close() error {
	if err := s.triedb.Close(); err != nil {
		return fmt.Errorf("domain: close state store: %w", err)
	}
	return nil
}
