package verifier

import (
	"bytes"
	"context"
	"log/slog"
	"math/big"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"sync"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/rawdb"
	"github.com/ethereum/go-ethereum/core/types"

	"github.com/receiptd/receiptd/devnet"
	"github.com/receiptd/receiptd/domain"
	"github.com/receiptd/receiptd/indexer"
	"github.com/receiptd/receiptd/metrics"
	"github.com/receiptd/receiptd/proof"
	"github.com/receiptd/receiptd/protocol"
	"github.com/receiptd/receiptd/source"
)

// openOnDisk starts a follower over an index and state kept in dir, so a
// later call resumes what an earlier one left, as a restart does.
func openOnDisk(t *testing.T, src source.Source, cfg Config, dir string) *harness {
	t.Helper()
	net, err := src.Network(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// A short undo retention, so that old checkpoints leave the index and
	// the states they named become prunable.
	idx, err := indexer.Open(filepath.Join(dir, "index"), indexer.Options{UndoRetention: 16})
	if err != nil {
		t.Fatal(err)
	}
	store := NewIndexStore(idx)
	pv, err := proof.NewVerifier(blockFunc(store.ConsensusBlockByHash), proof.Config{})
	if err != nil {
		t.Fatal(err)
	}
	f, err := New(context.Background(), cfg, Deps{
		Network: net, Source: src, Index: store, StateDir: filepath.Join(dir, "state"),
		Proofs: pv, Metrics: metrics.NoopMetrics{}, Submitter: src,
	})
	if err != nil {
		idx.Close()
		t.Fatal(err)
	}
	return &harness{t: t, f: f, idx: idx, src: src}
}

func (h *harness) close() {
	h.t.Helper()
	if err := h.f.Close(); err != nil {
		h.t.Fatal(err)
	}
	if err := h.idx.Close(); err != nil {
		h.t.Fatal(err)
	}
}

// Pruning flushed domain state on every flush, with reorgs and a restart
// every five blocks (after which reorgs restore from checkpoints, whose
// flushed states must have survived), then a restart and a rollback to the
// oldest block the index can restore, leaves the index a run without
// restarts builds. Restarting this often is what makes reorgs reach below
// everything the pipeline holds in memory; the last restore runs on a
// freshly opened store, whose trie database has no cache that could hide a
// pruned node.
func TestPruningKeepsWhatReorgsAndRestartsNeed(t *testing.T) {
	d := newDevnet(t, devnet.Config{Seed: 4, ChallengePeriod: 6, MaxReorgDepth: 6, TxPerBlock: 8, ForkProbability: 0.35})
	src := source.NewEmbedded(d)
	cfg := Config{Logger: quiet(), Workers: 2, FlushEvery: 2, PruneEvery: 1, CheckpointEvery: 4, ReorgWindow: 8}
	dir := t.TempDir()
	live := openOnDisk(t, src, cfg, dir)
	pruned := 0
	restart := func() {
		for _, p := range live.f.pipes {
			pruned += p.pruned
		}
		live.close()
		live = openOnDisk(t, src, cfg, dir)
	}
	for i := range 64 {
		step(t, d)
		live.sync()
		if i%5 == 4 {
			restart()
		}
	}
	restart()
	defer live.close()
	if len(live.f.ring) >= 12 {
		t.Fatalf("ring of %d after a restart: the rollback below would not restore", len(live.f.ring))
	}
	if err := live.f.rollback(context.Background(), live.f.tip.number-12); err != nil {
		t.Fatalf("rollback to the oldest restorable block: %v", err)
	}
	live.sync()
	if d.Stats().Reorgs < 3 {
		t.Fatalf("only %d reorgs", d.Stats().Reorgs)
	}
	checkWinningFork(t, d, live, func(src source.Source) *harness {
		replay := openOnDisk(t, src, cfg, t.TempDir())
		t.Cleanup(replay.close)
		return replay
	})
	if pruned == 0 {
		t.Fatal("no trie node was pruned: the test does not exercise pruning")
	}
	t.Logf("%d reorgs, %d trie nodes pruned", d.Stats().Reorgs, pruned)
}

// A follower restarted on its index without its domain state (the state
// directory lost, or a backup that copied the index alone) executes the
// domains again from genesis, holding only the head's state in memory, and
// follows on to the index a clean run builds. Without the newest flushed
// states alone, it starts from the newest older one left on disk.
func TestRestoreWithoutDomainState(t *testing.T) {
	for _, tc := range []struct {
		name    string
		lose    func(t *testing.T, dir string, flushed []flush)
		genesis bool // domain 1 is executed again from genesis
	}{
		{"state directory lost", func(t *testing.T, dir string, _ []flush) {
			if err := os.RemoveAll(filepath.Join(dir, "state")); err != nil {
				t.Fatal(err)
			}
		}, true},
		{"newest flushed states lost", func(t *testing.T, dir string, flushed []flush) {
			db, err := domain.OpenPebble(filepath.Join(dir, "state", "domain-1"))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			var lost int
			for _, fl := range flushed {
				if fl.domain == 1 && fl.number > 8 {
					rawdb.DeleteLegacyTrieNode(db, fl.root) // the root node: the state is gone
					lost++
				}
			}
			if lost < 2 {
				t.Fatalf("only %d flushed states of domain 1 to lose", lost)
			}
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := newDevnet(t, devnet.Config{Seed: 9, ChallengePeriod: 6, MaxReorgDepth: 4, TxPerBlock: 6, ForkProbability: 0.2})
			src := source.NewEmbedded(d)
			cfg := Config{Logger: quiet(), Workers: 2, FlushEvery: 4, PruneEvery: 2, CheckpointEvery: 4, ReorgWindow: 8}
			dir := t.TempDir()
			live := openOnDisk(t, src, cfg, dir)
			var flushed []flush
			for range 24 {
				step(t, d)
				live.sync()
				for id, p := range live.f.pipes {
					fl := flush{domain: id, number: p.flushed.number, root: p.flushed.root}
					if fl.number > 0 && !slices.Contains(flushed, fl) {
						flushed = append(flushed, fl)
					}
				}
			}
			// A clean close flushes the head's state too.
			for id := range live.f.pipes {
				head := live.f.tip.views[id].Head
				flushed = append(flushed, flush{domain: id, number: head.Number.Uint64(), root: head.Root})
			}
			// The restore may start from the newest state a checkpoint
			// names that the loss leaves.
			named, err := live.f.checkpointFlushed(context.Background(), 1)
			if err != nil {
				t.Fatal(err)
			}
			var base uint64
			for _, st := range named {
				if st.number <= 8 && !tc.genesis {
					base = max(base, st.number)
				}
			}
			live.close()
			tc.lose(t, dir, flushed)
			var logs syncBuffer
			restarted := cfg
			restarted.Logger = slog.New(slog.NewTextHandler(&logs, nil))
			live = openOnDisk(t, src, restarted, dir)
			defer live.close()
			m := regexp.MustCompile(`re-executing from an older state" domain=1 flushed=(\d+) from=(\d+)`).FindStringSubmatch(logs.String())
			if m == nil {
				t.Fatalf("no restore from an older state of domain 1 in the logs:\n%s", logs.String())
			}
			if want := strconv.FormatUint(base+1, 10); m[2] != want || m[1] == "0" {
				t.Fatalf("domain 1 flushed at %s executed again from %s, want from %s", m[1], m[2], want)
			}
			if !tc.genesis && base == 0 {
				t.Fatal("no checkpoint names a flushed state below the ones lost: the case tests nothing older")
			}
			for id, p := range live.f.pipes {
				// The head's state, the flushed one and the states the
				// restored ring names; not every block executed.
				if n := len(p.roots); n > cfg.ReorgWindow+2 {
					t.Errorf("domain %d holds %d states in memory after the restore", id, n)
				}
			}
			for range 12 {
				step(t, d)
				live.sync()
			}
			checkWinningFork(t, d, live, func(src source.Source) *harness {
				replay := openOnDisk(t, src, cfg, t.TempDir())
				t.Cleanup(replay.close)
				return replay
			})
		})
	}
}

type flush struct {
	domain protocol.DomainID
	number uint64
	root   common.Hash
}

// syncBuffer is a bytes.Buffer safe for a logger's concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Releasing old states keeps the genesis header: a rollback to the
// genesis snapshot, a restore from genesis and a proof of an early block
// all start from it, however long the follower has run.
func TestReleaseKeepsTheGenesisHeader(t *testing.T) {
	g, err := domain.NewGenesis(domain.GenesisSpec{ChainID: big.NewInt(7)})
	if err != nil {
		t.Fatal(err)
	}
	p, gblock, err := newDomainPipeline(1, g, rawdb.NewMemoryDatabase(), 4, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer p.close()
	old := &types.Header{Number: big.NewInt(5), Difficulty: new(big.Int)}
	p.headers[old.Hash()] = old
	if err := p.release(10_000); err != nil {
		t.Fatal(err)
	}
	if p.headerWithRoot(0, gblock.Root()) == nil {
		t.Fatal("the genesis header was released")
	}
	if p.headers[old.Hash()] != nil {
		t.Fatal("an old header was kept")
	}
}
