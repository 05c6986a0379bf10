package verifier

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/receiptd/receiptd/devnet"
	"github.com/receiptd/receiptd/indexer"
	"github.com/receiptd/receiptd/metrics"
	"github.com/receiptd/receiptd/proof"
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
// domains again from genesis and follows on to the index a clean run
// builds.
func TestRestoreWithoutDomainState(t *testing.T) {
	d := newDevnet(t, devnet.Config{Seed: 9, ChallengePeriod: 6, MaxReorgDepth: 4, TxPerBlock: 6, ForkProbability: 0.2})
	src := source.NewEmbedded(d)
	cfg := Config{Logger: quiet(), Workers: 2, FlushEvery: 4, PruneEvery: 2, CheckpointEvery: 4, ReorgWindow: 8}
	dir := t.TempDir()
	live := openOnDisk(t, src, cfg, dir)
	for range 24 {
		step(t, d)
		live.sync()
	}
	live.close()
	if err := os.RemoveAll(filepath.Join(dir, "state")); err != nil {
		t.Fatal(err)
	}
	live = openOnDisk(t, src, cfg, dir)
	defer live.close()
	for range 12 {
		step(t, d)
		live.sync()
	}
	checkWinningFork(t, d, live, func(src source.Source) *harness {
		replay := openOnDisk(t, src, cfg, t.TempDir())
		t.Cleanup(replay.close)
		return replay
	})
}
