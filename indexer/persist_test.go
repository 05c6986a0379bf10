package indexer

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/ethereum/go-ethereum/common"

	"github.com/receiptd/receiptd/indexer/internal/kv"
)

func TestReopenKeepsEverything(t *testing.T) {
	b := backends()[1]
	ix := b.open(t, Options{UndoRetention: testRetention})
	commitChain(t, ix, "main", 0, 12)
	want := digest(t, ix)
	ix = b.reopen(t, ix)
	if digest(t, ix) != want {
		t.Fatal("digest changed across reopen")
	}
	// The undo log survived too: a rollback after reopen works.
	if err := ix.Rollback(context.Background(), 10); err != nil {
		t.Fatal(err)
	}
	commitChain(t, ix, "main", 11, 12)
	if digest(t, ix) != want {
		t.Fatal("rollback and replay after reopen differ")
	}
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}
	if err := ix.Close(); err != nil {
		t.Fatal("second Close:", err)
	}
	if _, err := ix.Reader(); !errors.Is(err, ErrClosed) {
		t.Fatalf("Reader after Close: %v", err)
	}
	if err := ix.Commit(context.Background(), 13, common.Hash{}, nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("Commit after Close: %v", err)
	}
}

func TestCloseReportsOpenReaders(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		ix := b.open(t, Options{})
		commitChain(t, ix, "main", 0, 1)
		r, err := ix.Reader()
		if err != nil {
			t.Fatal(err)
		}
		if err := ix.Close(); err == nil || !strings.Contains(err.Error(), "1 readers still open") {
			t.Fatalf("Close with an open reader: %v", err)
		}
		if _, err := r.ConsensusBlock(1); !errors.Is(err, ErrClosed) {
			t.Fatalf("reader after index Close: %v", err)
		}
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
	})
}

// openOn opens the index in "idx" on fs.
func openOn(t *testing.T, fs vfs.FS) *Index {
	t.Helper()
	ix, err := Open("idx", Options{FS: fs})
	if err != nil {
		t.Fatal(err)
	}
	return ix
}

// openRaw opens the pebble store under an index directory directly.
func openRaw(t *testing.T, fs vfs.FS) *kv.Pebble {
	s, err := kv.OpenPebble("idx", kv.PebbleOptions{FS: fs})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func rawSet(t *testing.T, s kv.Store, key, value []byte) {
	b := s.NewBatch()
	if err := b.Set(key, value); err != nil {
		t.Fatal(err)
	}
	if err := b.Commit(true); err != nil {
		t.Fatal(err)
	}
}

func TestSchemaVersionRefused(t *testing.T) {
	fs := vfs.NewMem()
	openOn(t, fs).Close()
	s := openRaw(t, fs)
	rawSet(t, s, keySchema, []byte{0, 0, 0, 7})
	s.Close()
	_, err := Open("idx", Options{FS: fs})
	if !errors.Is(err, ErrSchemaVersion) || !strings.Contains(err.Error(), fmt.Sprintf("found 7, want %d", SchemaVersion)) {
		t.Fatalf("open of version 7: %v", err)
	}
	// A store with keys but no version is not an index.
	other := vfs.NewMem()
	s = openRaw(t, other)
	rawSet(t, s, []byte("foreign"), []byte("x"))
	s.Close()
	if _, err := Open("idx", Options{FS: other}); !errors.Is(err, ErrSchemaVersion) {
		t.Fatalf("open of a foreign store: %v", err)
	}
}

func TestCorruptRecordIsAnError(t *testing.T) {
	fs := vfs.NewMem()
	ix := openOn(t, fs)
	commitChain(t, ix, "main", 0, 4)
	p, _ := reader(t, ix).DomainProgress(testDomain)
	ix.Close()
	s := openRaw(t, fs)
	good, err := s.Get(receiptKey(p.HeadHash))
	if err != nil {
		t.Fatal(err)
	}
	for name, bad := range map[string][]byte{
		"wrong version":  append([]byte{9}, good[1:]...),
		"truncated":      good[:len(good)-3],
		"trailing bytes": append(append([]byte{}, good...), 0x80),
		"empty":          {},
	} {
		rawSet(t, s, receiptKey(p.HeadHash), bad)
		s.Close()
		ix := openOn(t, fs)
		r, _ := ix.Reader()
		_, err = r.Receipt(p.HeadHash)
		dom := testDomain
		_, lerr := r.Receipts(ReceiptQuery{Domain: &dom})
		r.Close()
		ix.Close()
		if !errors.Is(err, ErrCorrupt) || !errors.Is(lerr, ErrCorrupt) {
			t.Errorf("%s: get %v, list %v; want ErrCorrupt", name, err, lerr)
		}
		s = openRaw(t, fs)
	}
	s.Close()
}

// TestTxIndexedButNotStored: a transaction whose record is gone while its
// index entries remain is corruption, by hash and in its block's listing.
func TestTxIndexedButNotStored(t *testing.T) {
	fs := vfs.NewMem()
	ix := openOn(t, fs)
	commitChain(t, ix, "main", 0, 8)
	r := reader(t, ix)
	txs, err := r.DomainTxs(testDomain, 8, PageArgs{})
	if err != nil || len(txs.Items) < 2 {
		t.Fatalf("txs of domain block 8: %v %v", txs, err)
	}
	gone := txs.Items[1]
	r.Close()
	ix.Close()
	s := openRaw(t, fs)
	b := s.NewBatch()
	if err := errors.Join(b.Delete(txKey(gone)), b.Commit(true)); err != nil {
		t.Fatal(err)
	}
	s.Close()
	ix = openOn(t, fs)
	defer ix.Close()
	r = reader(t, ix)
	if _, err := r.Txs(gone.Hash); !errors.Is(err, ErrCorrupt) {
		t.Errorf("by hash: %v, want ErrCorrupt", err)
	}
	if _, err := r.DomainTxs(testDomain, 8, PageArgs{}); !errors.Is(err, ErrCorrupt) {
		t.Errorf("the block's listing: %v, want ErrCorrupt", err)
	}
	if page, err := r.DomainTxs(testDomain, 8, PageArgs{First: 1}); err != nil || len(page.Items) != 1 {
		t.Errorf("the page before it: %v %v", page, err)
	}
}

// A crash at any moment, even during a commit, leaves the index of some
// committed prefix: digest equal to an uninterrupted run's at that block.
// Crashes are pebble's crashable filesystem cloned while a writer commits,
// keeping a random part of the unsynced data.
func TestCrashLeavesACommittedPrefix(t *testing.T) {
	const top = 40
	ref := referenceDigests(t, backends()[0], top)
	fs := vfs.NewCrashableMem()
	ix, err := Open("idx", Options{FS: fs, UndoRetention: testRetention})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	var clones []*vfs.MemFS
	var wg sync.WaitGroup
	done := make(chan struct{})
	wg.Go(func() {
		for {
			select {
			case <-done:
				return
			default:
			}
			clones = append(clones, fs.CrashClone(vfs.CrashCloneCfg{UnsyncedDataPercent: 50, RNG: rand.New(rand.NewPCG(rng.Uint64(), 0))}))
		}
	})
	commitChain(t, ix, "main", 0, top)
	close(done)
	wg.Wait()
	ix.Close()
	seen := map[uint64]bool{}
	for i, c := range clones {
		if i%max(1, len(clones)/40) != 0 {
			continue
		}
		ix, err := Open("idx", Options{FS: c, UndoRetention: testRetention})
		if err != nil {
			t.Fatalf("clone %d: open: %v", i, err)
		}
		p, ok, err := ix.Progress()
		if err != nil {
			t.Fatalf("clone %d: %v", i, err)
		}
		if ok {
			seen[p.Number] = true
			if digest(t, ix) != ref[p.Number] {
				t.Fatalf("clone %d at block %d: digest differs from an uninterrupted run", i, p.Number)
			}
		}
		ix.Close()
	}
	t.Logf("%d crash images, progress seen at %d distinct blocks", len(clones), len(seen))
}

// Readers opened while blocks commit and roll back each see one whole
// block: the progress, its consensus block and its domain block agree. And
// readers with the same ok generation see the same block, which the
// GraphQL response cache relies on.
func TestReadersSeeWholeBlocks(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		ix := b.open(t, Options{})
		commitChain(t, ix, "main", 0, 1)
		done := make(chan struct{})
		var (
			wg     sync.WaitGroup
			mu     sync.Mutex
			states = map[uint64]Progress{} // by ok generation
		)
		for range 2 {
			wg.Go(func() {
				for {
					select {
					case <-done:
						return
					default:
					}
					r, err := ix.Reader()
					if err != nil {
						t.Error(err)
						return
					}
					gen, genOK := r.Generation()
					p, _, err1 := r.Progress()
					blk, err2 := r.ConsensusBlock(p.Number)
					dblk, err3 := r.DomainBlock(testDomain, p.Number)
					r.Close()
					if err := errors.Join(err1, err2, err3); err != nil {
						t.Error(err)
						return
					}
					if blk.Hash != p.Hash || dblk.ConsensusHash != p.Hash {
						t.Errorf("snapshot at %d mixes blocks", p.Number)
						return
					}
					if !genOK {
						continue
					}
					mu.Lock()
					prev, seen := states[gen]
					states[gen] = p
					mu.Unlock()
					if seen && prev != p {
						t.Errorf("generation %d named block %d %x and block %d %x", gen, prev.Number, prev.Hash, p.Number, p.Hash)
						return
					}
				}
			})
		}
		for range 30 {
			commitChain(t, ix, "main", 2, 4)
			if err := ix.Rollback(context.Background(), 1); err != nil {
				t.Fatal(err)
			}
			commitChain(t, ix, "side", 2, 3)
			if err := ix.Rollback(context.Background(), 1); err != nil {
				t.Fatal(err)
			}
		}
		close(done)
		wg.Wait()
		if len(states) == 0 {
			t.Fatal("no reader had an ok generation")
		}
	})
}

// With a sync interval, a commit that did not sync becomes durable within
// the interval even when no other commit follows: a crash after it keeps
// it, where before only the synced first commit survived.
func TestSyncIntervalBoundsWhatACrashLoses(t *testing.T) {
	fs := vfs.NewCrashableMem()
	const interval = 50 * time.Millisecond
	ix, err := Open("idx", Options{FS: fs, UndoRetention: testRetention, SyncInterval: interval})
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	commitChain(t, ix, "main", 0, 3) // the first commit syncs, the rest within the interval do not
	crashed := func() uint64 {
		c := fs.CrashClone(vfs.CrashCloneCfg{UnsyncedDataPercent: 0})
		ix, err := Open("idx", Options{FS: c, UndoRetention: testRetention})
		if err != nil {
			t.Fatal(err)
		}
		defer ix.Close()
		p, _, err := ix.Progress()
		if err != nil {
			t.Fatal(err)
		}
		return p.Number
	}
	if n := crashed(); n == 3 {
		t.Skip("the commits took longer than the interval: all synced on their own")
	}
	deadline := time.Now().Add(10 * time.Second)
	for crashed() != 3 {
		if time.Now().After(deadline) {
			t.Fatalf("block 3 not durable %s after its commit with a sync interval of %s", 10*time.Second, interval)
		}
		time.Sleep(interval)
	}
}
