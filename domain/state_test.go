package domain

import (
	"context"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/rawdb"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/core/vm"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethdb"
)

// executeOn runs the fixture transactions of block n on parent in store
// and commits the result.
func executeOn(t *testing.T, store *StateStore, chain testChain, parent *types.Header, n int) *types.Block {
	t.Helper()
	exec, err := NewExecutor(store.Config(), vm.Config{})
	if err != nil {
		t.Fatal(err)
	}
	header := nextHeader(t, store.Config(), parent)
	sdb, err := store.StateAt(parent.Root)
	if err != nil {
		t.Fatal(err)
	}
	res, err := exec.Execute(context.Background(), chain, header, fixtureTxs(store.Config(), n), sdb)
	if err != nil {
		t.Fatal(err)
	}
	if root, err := store.Commit(sdb, header); err != nil || root != res.Block.Root() {
		t.Fatalf("commit %x (err %v), executed %x", root, err, res.Block.Root())
	}
	chain[res.Block.Hash()] = res.Block.Header()
	return res.Block
}

func storageAddr() common.Address { return crypto.CreateAddress(testAddr(0), 0) }

// TestStateStorePersists flushes a block's state into pebble, closes
// everything and opens it again.
func TestStateStorePersists(t *testing.T) {
	dir := t.TempDir()
	genesis := testGenesis(t, 4)
	open := func() (ethdb.Database, *StateStore, *types.Block) {
		db, err := OpenPebble(dir)
		if err != nil {
			t.Fatal(err)
		}
		store, gblock, err := OpenStateStore(db, genesis)
		if err != nil {
			t.Fatal(err)
		}
		return db, store, gblock
	}
	db, store, gblock := open()
	chain := testChain{gblock.Hash(): gblock.Header()}
	b1 := executeOn(t, store, chain, gblock.Header(), 1)
	b2 := executeOn(t, store, chain, b1.Header(), 2)
	if err := store.Flush(b1.Root()); err != nil {
		t.Fatal(err)
	}
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}
	if err := store.Close(); err != nil {
		t.Fatalf("second close: %v", err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db, store, again := open()
	defer db.Close()
	defer store.Close()
	if again.Hash() != gblock.Hash() {
		t.Fatalf("reopened genesis %x, want %x", again.Hash(), gblock.Hash())
	}
	if !store.HasState(b1.Root()) || store.HasState(b2.Root()) {
		t.Fatalf("after restart: flushed state present %v, unflushed present %v", store.HasState(b1.Root()), store.HasState(b2.Root()))
	}
	sdb, err := store.StateAt(b1.Root())
	if err != nil {
		t.Fatal(err)
	}
	if got := sdb.GetNonce(testAddr(0)); got != 1 {
		t.Errorf("deployer nonce %d after block 1, want 1", got)
	}
	if len(sdb.GetCode(storageAddr())) == 0 {
		t.Error("contract code deployed in block 1 lost on restart")
	}
	// Re-executing the missing block from the flushed state restores it.
	if b := executeOn(t, store, chain, b1.Header(), 2); b.Hash() != b2.Hash() {
		t.Fatalf("re-executed block 2 %x, want %x", b.Hash(), b2.Hash())
	}
	if _, err := store.StateAt(common.Hash{1}); !errors.Is(err, ErrMissingState) {
		t.Fatalf("unknown root: %v", err)
	}
}

// A flushed state survives a crash right after Flush returns: the files
// on disk then, copied while the database is still open (what kill -9
// leaves), hold it. go-ethereum's pebble backend writes without syncing,
// and the root node, written last, would sit in the log's unwritten tail.
func TestStateStoreFlushSurvivesACrash(t *testing.T) {
	dir := t.TempDir()
	_, store, gblock := openStoreAt(t, dir)
	chain := testChain{gblock.Hash(): gblock.Header()}
	parent := gblock
	for n := 1; n <= 3; n++ {
		parent = executeOn(t, store, chain, parent.Header(), n)
	}
	if err := store.Flush(parent.Root()); err != nil {
		t.Fatal(err)
	}
	crashed := t.TempDir()
	if err := os.CopyFS(crashed, os.DirFS(dir)); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(crashed, "LOCK"))
	_, restarted, _ := openStoreAt(t, crashed)
	if !restarted.HasState(parent.Root()) {
		t.Fatal("the flushed state is not on disk after Flush returned")
	}
	walkState(t, restarted, parent.Root())
}

// openStoreAt opens the test genesis's state store on a pebble database
// in dir, both closed when the test ends, and returns them with the
// genesis block.
func openStoreAt(t *testing.T, dir string) (ethdb.Database, *StateStore, *types.Block) {
	t.Helper()
	db, err := OpenPebble(dir)
	if err != nil {
		t.Fatal(err)
	}
	store, gblock, err := OpenStateStore(db, testGenesis(t, 4))
	if err != nil {
		db.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		store.Close()
		db.Close()
	})
	return db, store, gblock
}

func TestStateStoreGenesisMismatch(t *testing.T) {
	db := rawdb.NewMemoryDatabase()
	store, _, err := OpenStateStore(db, testGenesis(t, 2))
	if err != nil {
		t.Fatal(err)
	}
	store.Close()
	other := testGenesis(t, 3)
	if _, _, err := OpenStateStore(db, other); !errors.Is(err, ErrGenesisMismatch) {
		t.Fatalf("other genesis: %v", err)
	}
	other.Config.ChainID = big.NewInt(1)
	other.Config.CancunTime = nil
	if _, _, err := OpenStateStore(rawdb.NewMemoryDatabase(), other); !errors.Is(err, ErrUnsupportedFork) {
		t.Fatalf("pre-Cancun genesis: %v", err)
	}
}

// TestStateStoreRelease checks the reference counting: a released root is
// collected, nodes a live root shares survive, and the memory goes back.
func TestStateStoreRelease(t *testing.T) {
	genesis := testGenesis(t, 4)
	store, gblock, err := OpenStateStore(rawdb.NewMemoryDatabase(), genesis)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if store.MemoryUsed() != 0 {
		t.Fatalf("genesis left %v in memory; it is flushed", store.MemoryUsed())
	}
	chain := testChain{gblock.Hash(): gblock.Header()}
	b1 := executeOn(t, store, chain, gblock.Header(), 1)
	b2 := executeOn(t, store, chain, b1.Header(), 2)
	withBoth := store.MemoryUsed()

	if err := store.Release(b1.Root()); err != nil {
		t.Fatal(err)
	}
	if store.HasState(b1.Root()) {
		t.Fatal("released root still present")
	}
	if used := store.MemoryUsed(); used >= withBoth || used == 0 {
		t.Fatalf("memory %v after releasing block 1, %v before", used, withBoth)
	}
	// Block 2 still reads everything, including what it shares with block 1.
	sdb, err := store.StateAt(b2.Root())
	if err != nil {
		t.Fatal(err)
	}
	if sdb.GetNonce(testAddr(0)) != 3 || len(sdb.GetCode(storageAddr())) == 0 {
		t.Fatalf("block 2 state damaged: nonce %d", sdb.GetNonce(testAddr(0)))
	}
	if _, err := sdb.Commit(store.Config().Rules(b2.Number(), true, b2.Time()), b2.NumberU64()); err != nil || sdb.Error() != nil {
		t.Fatalf("block 2 state incomplete after release: %v %v", err, sdb.Error())
	}
	if err := store.Release(b2.Root()); err != nil {
		t.Fatal(err)
	}
	if store.HasState(b2.Root()) || store.MemoryUsed() != 0 {
		t.Fatalf("after releasing all: block 2 present %v, memory %v", store.HasState(b2.Root()), store.MemoryUsed())
	}
}
