package verifier

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/receiptd/receiptd/devnet"
	"github.com/receiptd/receiptd/indexer"
	"github.com/receiptd/receiptd/metrics"
	"github.com/receiptd/receiptd/proof"
	"github.com/receiptd/receiptd/protocol"
	"github.com/receiptd/receiptd/source"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

type blockFunc func(common.Hash) (*protocol.Block, error)

func (f blockFunc) ConsensusBlock(h common.Hash) (*protocol.Block, error) { return f(h) }

// harness is a follower over a source with an in-memory index.
type harness struct {
	t   testing.TB
	f   *Follower
	idx *indexer.Index
	src source.Source
}

func newHarness(t testing.TB, src source.Source) *harness {
	return newHarnessWith(t, src, Config{Logger: quiet(), Workers: 2})
}

func newHarnessWith(t testing.TB, src source.Source, cfg Config) *harness {
	t.Helper()
	return newHarnessMetrics(t, src, cfg, metrics.NoopMetrics{})
}

func newHarnessMetrics(t testing.TB, src source.Source, cfg Config, m Metricer) *harness {
	t.Helper()
	net, err := src.Network(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	idx, err := indexer.OpenMemory(indexer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { idx.Close() })
	store := NewIndexStore(idx)
	pv, err := proof.NewVerifier(blockFunc(store.ConsensusBlockByHash), proof.Config{})
	if err != nil {
		t.Fatal(err)
	}
	f, err := New(context.Background(), cfg, Deps{
		Network: net, Source: src, Index: store, StateDir: filepath.Join(t.TempDir(), "state"),
		Proofs: pv, Metrics: m, Submitter: src,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return &harness{t: t, f: f, idx: idx, src: src}
}

// sync follows the source to its head.
func (h *harness) sync() {
	h.t.Helper()
	for range 100 {
		head, _ := h.src.HeadNumber(context.Background())
		if err := h.f.syncOnce(context.Background()); err != nil {
			h.t.Fatalf("sync: %v", err)
		}
		if h.f.tip.number == head {
			return
		}
	}
	h.t.Fatal("follower does not reach the head")
}

func (h *harness) digest() [32]byte {
	d, err := h.idx.Digest()
	if err != nil {
		h.t.Fatal(err)
	}
	return d
}

// newDevnet makes a fast devnet whose consensus verifies fraud proofs.
func newDevnet(t testing.TB, cfg devnet.Config) *devnet.Devnet {
	cfg.FastMode = true
	cfg.Logger = quiet()
	var d *devnet.Devnet
	pv, err := proof.NewVerifier(blockFunc(func(h common.Hash) (*protocol.Block, error) { return d.BlockByHash(h) }), proof.Config{})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Verifier = pv
	if d, err = devnet.New(cfg); err != nil {
		t.Fatal(err)
	}
	return d
}

func step(t testing.TB, d *devnet.Devnet) {
	t.Helper()
	if _, err := d.Step(context.Background()); err != nil {
		t.Fatal(err)
	}
}

var fieldOfFault = map[devnet.FaultKind]string{
	devnet.FaultTraceEntry:     FieldTrace,
	devnet.FaultTraceShort:     FieldTrace,
	devnet.FaultTraceLong:      FieldTrace,
	devnet.FaultFinalRoot:      FieldFinalStateRoot,
	devnet.FaultExtrinsicsRoot: FieldExtrinsicsRoot,
	devnet.FaultBundleValidity: FieldInboxedBundles,
	devnet.FaultDomainHash:     FieldDomainHash,
	devnet.FaultFees:           FieldFees,
	devnet.FaultGasUsed:        FieldGasUsed,
	devnet.FaultReceiptsRoot:   FieldReceiptsRoot,
}

// Following a devnet with every fault kind on, each bad receipt gets the
// verdict for exactly the faulted field, and no receipt an honest operator
// carried is flagged.
func TestVerdictsMatchInjectedFaults(t *testing.T) {
	rates := devnet.FaultRates{}
	for k := range fieldOfFault {
		rates[k] = 0.6 / float64(len(fieldOfFault))
	}
	d := newDevnet(t, devnet.Config{Seed: 21, ChallengePeriod: 6, MaxReorgDepth: 2, TxPerBlock: 12, ForkProbability: 0.15,
		Faults: map[devnet.OperatorRef]devnet.FaultRates{{Domain: 0, Index: 0}: rates, {Domain: 1, Index: 1}: rates}})
	h := newHarness(t, source.NewEmbedded(d))
	for range 90 {
		step(t, d)
		h.sync()
	}
	stats := d.Stats()
	faulty := map[protocol.OperatorID]bool{1: true, 5: true}
	r, err := h.idx.Reader()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	seenKinds := map[devnet.FaultKind]bool{}
	checked := 0
	for n := uint64(1); n <= h.f.tip.number; n++ {
		b, err := d.BlockByNumber(n)
		if err != nil {
			t.Fatal(err)
		}
		carried := map[common.Hash]protocol.OperatorID{}
		for _, x := range b.Body.Bundles {
			carried[x.Sealed.Header.Receipt.Hash()] = x.Sealed.Header.Operator
		}
		for _, s := range b.Body.Submissions {
			carried[s.Receipt.Hash()] = s.Operator
		}
		for hash, op := range carried {
			rec, err := r.Receipt(hash)
			if err != nil {
				t.Fatalf("block %d: receipt %s not indexed: %v", n, hash, err)
			}
			checked++
			if kind, bad := stats.BadReceipts[hash]; bad {
				seenKinds[kind] = true
				if rec.Verdict.Valid || rec.Verdict.Field != fieldOfFault[kind] {
					t.Errorf("receipt %s with a %s fault judged %+v, want field %s", hash, kind, rec.Verdict, fieldOfFault[kind])
				}
				continue
			}
			if !faulty[op] && !rec.Verdict.Valid {
				t.Errorf("receipt %s carried by honest operator %d judged %+v", hash, op, rec.Verdict)
			}
			if !rec.Verdict.Valid && !rec.Verdict.DescendsFromBad {
				t.Errorf("unspoiled receipt %s judged wrong in %s", hash, rec.Verdict.Field)
			}
		}
	}
	if len(seenKinds) < 6 {
		t.Errorf("only %d fault kinds reached the chain: %v", len(seenKinds), seenKinds)
	}
	t.Logf("checked %d receipts, %d spoiled, kinds %v, reorgs %d", checked, len(stats.BadReceipts), seenKinds, stats.Reorgs)
}

// The index after following a chain with reorgs equals the index of a run
// that only ever saw the winning fork.
func TestReorgsLeaveTheIndexOfTheWinningFork(t *testing.T) {
	d := newDevnet(t, devnet.Config{Seed: 4, ChallengePeriod: 6, MaxReorgDepth: 6, TxPerBlock: 8, ForkProbability: 0.35})
	live := newHarness(t, source.NewEmbedded(d))
	for range 50 {
		step(t, d)
		live.sync()
	}
	if d.Stats().Reorgs < 3 {
		t.Fatalf("only %d reorgs", d.Stats().Reorgs)
	}
	checkWinningFork(t, d, live, func(src source.Source) *harness { return newHarness(t, src) })
}

// checkWinningFork replays d's chain as it stands, from a chain file, into
// the harness open makes, and checks that live ended on the same tip with
// the same index: the index of a run that only ever saw the winning fork.
func checkWinningFork(t *testing.T, d *devnet.Devnet, live *harness, open func(source.Source) *harness) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "chain")
	writeChainFile(t, d, path)
	file, err := source.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { file.Close() })
	replay := open(file)
	replay.sync()
	if live.f.tip.hash != replay.f.tip.hash {
		t.Fatalf("tips differ: %x vs %x", live.f.tip.hash, replay.f.tip.hash)
	}
	if live.digest() != replay.digest() {
		t.Fatal("the index differs from the index of a run that only saw the winning fork")
	}
}

func writeChainFile(t testing.TB, d *devnet.Devnet, path string) {
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w, err := devnet.NewChainWriter(f, d.Network())
	if err != nil {
		t.Fatal(err)
	}
	for n := uint64(1); n <= d.Head().Header.Number; n++ {
		b, err := d.BlockByNumber(n)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}
