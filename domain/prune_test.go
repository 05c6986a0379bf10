package domain

import (
	"context"
	"errors"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/rawdb"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethdb"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/ethereum/go-ethereum/trie"
)

// walkState reads every account and storage slot of the state at root and
// returns how many there are; a missing node fails the test.
func walkState(t *testing.T, s *StateStore, root common.Hash) (accounts, slots int) {
	t.Helper()
	iter := func(id *trie.ID) *trie.Iterator {
		tr, err := trie.New(id, s.triedb)
		if err != nil {
			t.Fatalf("open trie %x: %v", id.Root, err)
		}
		nit, err := tr.NodeIterator(nil)
		if err != nil {
			t.Fatalf("iterate trie %x: %v", id.Root, err)
		}
		return trie.NewIterator(nit)
	}
	it := iter(trie.StateTrieID(root))
	for it.Next() {
		accounts++
		var acc types.StateAccount
		if err := rlp.DecodeBytes(it.Value, &acc); err != nil {
			t.Fatal(err)
		}
		if acc.Root == types.EmptyRootHash {
			continue
		}
		sit := iter(trie.StorageTrieID(root, common.BytesToHash(it.Key), acc.Root))
		for sit.Next() {
			slots++
		}
		if sit.Err != nil {
			t.Fatalf("state %x, storage of %x: %v", root, it.Key, sit.Err)
		}
	}
	if it.Err != nil {
		t.Fatalf("state %x: %v", root, it.Err)
	}
	return accounts, slots
}

// TestStateStorePrune flushes four states, keeps two roots (one flushed,
// one in memory on top of it) and prunes: the kept states stay whole and
// usable across a reopen, the others are gone from disk, and a second
// prune finds nothing to delete.
func TestStateStorePrune(t *testing.T) {
	dir := t.TempDir()
	genesis := testGenesis(t, 4)
	open := func() (ethdb.Database, *StateStore) {
		db, err := OpenPebble(dir)
		if err != nil {
			t.Fatal(err)
		}
		store, _, err := OpenStateStore(db, genesis)
		if err != nil {
			t.Fatal(err)
		}
		return db, store
	}
	db, store := open()
	gblock := genesis.ToBlock()
	chain := testChain{gblock.Hash(): gblock.Header()}
	blocks := []*types.Block{gblock}
	for n := 1; n <= 6; n++ {
		b := executeOn(t, store, chain, blocks[n-1].Header(), n)
		blocks = append(blocks, b)
		if n <= 4 {
			if err := store.Flush(b.Root()); err != nil {
				t.Fatal(err)
			}
		}
	}
	want := map[int][2]int{}
	for _, n := range []int{4, 6} {
		a, s := walkState(t, store, blocks[n].Root())
		if s == 0 {
			t.Fatalf("state %d has no storage: the test would not cover storage tries", n)
		}
		want[n] = [2]int{a, s}
	}
	keep := []common.Hash{blocks[4].Root(), blocks[6].Root(), common.HexToHash("0x01") /* unknown: skipped */}
	st, err := store.Prune(context.Background(), keep)
	if err != nil {
		t.Fatal(err)
	}
	if st.Roots != 2 || st.Marked == 0 || st.Deleted == 0 {
		t.Fatalf("stats %+v: want 2 roots walked and some nodes deleted", st)
	}
	again, err := store.Prune(context.Background(), keep)
	if err != nil || again.Deleted != 0 {
		t.Fatalf("second prune: %+v, %v; want nothing deleted", again, err)
	}
	// Flush the in-memory state, reopen (no clean cache) and check.
	if err := store.Flush(blocks[6].Root()); err != nil {
		t.Fatal(err)
	}
	store.Close()
	db.Close()
	db, store = open()
	defer db.Close()
	defer store.Close()
	for _, n := range []int{4, 6} {
		a, s := walkState(t, store, blocks[n].Root())
		if [2]int{a, s} != want[n] {
			t.Fatalf("state %d after prune: %d accounts %d slots, want %v", n, a, s, want[n])
		}
	}
	for _, n := range []int{1, 2, 3} {
		if store.HasState(blocks[n].Root()) {
			t.Fatalf("state %d survived the prune", n)
		}
	}
	executeOn(t, store, chain, blocks[6].Header(), 7)
}

// openTempStore opens a state store at a new temporary directory, closed
// when the test ends, and returns it with its database and genesis block.
func openTempStore(t *testing.T) (ethdb.Database, *StateStore, *types.Block) {
	t.Helper()
	return openStoreAt(t, t.TempDir())
}

func TestStateStorePruneCancelled(t *testing.T) {
	_, store, gblock := openTempStore(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := store.Prune(ctx, []common.Hash{gblock.Root()}); !errors.Is(err, context.Canceled) {
		t.Fatalf("prune: %v, want context.Canceled", err)
	}
	walkState(t, store, gblock.Root())
}

// Contract code goes to disk when a state is committed and is shared by
// hash, like trie nodes: a prune keeps the code of every account a kept
// state holds and deletes the rest.
func TestStateStorePruneCode(t *testing.T) {
	db, store, gblock := openTempStore(t)
	chain := testChain{gblock.Hash(): gblock.Header()}
	b1 := executeOn(t, store, chain, gblock.Header(), 1) // deploys two contracts
	codes := []common.Hash{crypto.Keccak256Hash(storageCode()), crypto.Keccak256Hash(blockHashCode())}
	for _, h := range codes {
		if !rawdb.HasCode(db, h) {
			t.Fatalf("code %x is not on disk after the commit: the test would prove nothing", h)
		}
	}
	for _, tc := range []struct {
		keep      common.Hash
		wantCodes int
	}{
		{b1.Root(), 0},     // in memory, not flushed: its code is kept
		{gblock.Root(), 2}, // only the genesis state, which has no contract
	} {
		st, err := store.Prune(context.Background(), []common.Hash{tc.keep})
		if err != nil {
			t.Fatal(err)
		}
		if st.Codes != tc.wantCodes {
			t.Fatalf("keeping %x: %d codes deleted, want %d", tc.keep, st.Codes, tc.wantCodes)
		}
		for _, h := range codes {
			if rawdb.HasCode(db, h) != (tc.wantCodes == 0) {
				t.Fatalf("keeping %x: code %x on disk is %v", tc.keep, h, rawdb.HasCode(db, h))
			}
		}
	}
}
