// Package bench measures receiptd end to end, for `receiptd bench`: verified
// transactions per second following a recorded devnet chain with indexing
// on, beside bare go-ethereum execution of the same transactions with a
// state root after every one (the trace's work and nothing else), for one
// domain and for two domains on the same cores; the detection latency of
// bad receipts when caught up; and the peak resident memory.
//
// Bare execution is go-ethereum applying the transactions as it would any
// it has not seen, sender recovery included: a verifier cannot skip that
// work either, and audit's bare baseline counts it the same way. The
// report also gives execution alone (senders recovered beforehand,
// untimed) and the ratios against it. Recovery costs about half as much
// CPU as execution, so against execution alone two domains on two cores
// could reach about 1.3 at best, with nothing left for checks or the index.
//
// Targets are ratios measured in one run, never absolute times: the
// machines are shared and noisy. bench imports devnet, source, verifier,
// indexer, proof and metrics; nothing imports it but cmd.
package bench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/receiptd/receiptd/devnet"
	"github.com/receiptd/receiptd/indexer"
	"github.com/receiptd/receiptd/metrics"
	"github.com/receiptd/receiptd/proof"
	"github.com/receiptd/receiptd/protocol"
	"github.com/receiptd/receiptd/source"
	"github.com/receiptd/receiptd/verifier"
)

// Config shapes a benchmark run.
type Config struct {
	// Dir is a scratch directory. Required.
	Dir string
	// Txs is the least number of transactions the two-domain chain holds.
	// Default 50,000.
	Txs int
	// LatencyFor is how long the live latency run lasts. Default 60s.
	LatencyFor time.Duration
	// BlockTime of the live devnet in the latency run. Default 500ms.
	BlockTime time.Duration
	Seed      int64
	Logger    *slog.Logger
}

// Report holds the figures.
type Report struct {
	Domains1, Domains2 Throughput
	BareTxPerSec       float64 // one core, the one-domain chain, senders recovered inline
	BareExecTxPerSec   float64 // the same with senders recovered beforehand, untimed
	LatencyP50         time.Duration
	LatencyP99         time.Duration
	LatencySamples     int
	ProofP50, ProofP99 time.Duration
	ProofSamples       int
	BlockLatencyP50    time.Duration
	BlockLatencyP99    time.Duration
	PeakRSSBytes       uint64
}

// Throughput is one follow run.
type Throughput struct {
	Blocks, Txs int
	Elapsed     time.Duration
	TxPerSec    float64
	BareTxPerS  float64 // senders recovered as go-ethereum applies each tx
	// BareExecTxPerS is bare execution with senders recovered beforehand
	// and not timed: the execution alone.
	BareExecTxPerS float64
}

// Run runs every measurement and writes a summary to out.
func Run(ctx context.Context, cfg Config, out io.Writer) (*Report, error) {
	if cfg.Txs == 0 {
		cfg.Txs = 50_000
	}
	if cfg.LatencyFor == 0 {
		cfg.LatencyFor = 60 * time.Second
	}
	if cfg.BlockTime == 0 {
		cfg.BlockTime = 500 * time.Millisecond
	}
	if cfg.Seed == 0 {
		cfg.Seed = 1
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	r := &Report{}
	var err error
	// The same per-domain workload, once with one domain and once with two;
	// the two-domain chain holds at least cfg.Txs transactions.
	blocks := cfg.Txs/300 + 20
	fmt.Fprintf(out, "recording chains: %d slots, 1 and 2 domains\n", blocks)
	if r.Domains1, err = measure(ctx, cfg, 1, blocks, out); err != nil {
		return nil, err
	}
	r.BareTxPerSec, r.BareExecTxPerSec = r.Domains1.BareTxPerS, r.Domains1.BareExecTxPerS
	if r.Domains2, err = measure(ctx, cfg, 2, blocks, out); err != nil {
		return nil, err
	}
	fmt.Fprintf(out, "detection latency: live devnet, %v per block, %v\n", cfg.BlockTime, cfg.LatencyFor)
	if err := latency(ctx, cfg, r); err != nil {
		return nil, err
	}
	r.PeakRSSBytes = peakRSS()
	r.print(out)
	return r, nil
}

// recorded is a devnet export on disk: its consensus chain file, the
// directories of its domain chains and their transaction count.
type recorded struct {
	chain   string
	domains []string
	txs     int
}

// record exports a devnet chain of the given shape under cfg.Dir, unless an
// earlier run left it there (the devnet is fixed by its seed), and counts
// its transactions.
func record(ctx context.Context, cfg Config, domains, blocks int) (*recorded, error) {
	dir := filepath.Join(cfg.Dir, fmt.Sprintf("chain-d%d-b%d-s%d", domains, blocks, cfg.Seed))
	r := &recorded{chain: filepath.Join(dir, devnet.ChainFileName)}
	if _, err := os.Stat(r.chain); err != nil {
		// Honest operators and no forks: a faulty operator would stall its
		// domain until its receipt is challenged, which measures the devnet,
		// not receiptd. One bundle may fill a domain block.
		dcfg := devnet.Config{Seed: cfg.Seed, Domains: domains, TxPerBlock: 400, Logger: cfg.Logger,
			NoFaults: true, ForkProbability: -1, BundleGasCap: 30_000_000}
		if _, err := devnet.Export(ctx, dcfg, blocks, dir); err != nil {
			return nil, err
		}
	}
	for d := 1; d <= domains; d++ {
		ddir := filepath.Join(dir, devnet.DomainDir(protocol.DomainID(d)))
		c, err := loadDomainChain(ddir)
		if err != nil {
			return nil, err
		}
		r.domains = append(r.domains, ddir)
		r.txs += c.txs
	}
	return r, nil
}

// bare executes every domain chain bare (bareExecute) and returns the sum.
func (r *recorded) bare(ctx context.Context, senders bool) (time.Duration, error) {
	var sum time.Duration
	for _, dir := range r.domains {
		d, err := bareExecute(ctx, dir, senders)
		if err != nil {
			return 0, err
		}
		sum += d
	}
	return sum, nil
}

// measure records a chain of the given shape, follows it with indexing on,
// and executes its transactions bare.
func measure(ctx context.Context, cfg Config, domains, blocks int, out io.Writer) (Throughput, error) {
	rec, err := record(ctx, cfg, domains, blocks)
	if err != nil {
		return Throughput{}, err
	}
	txs := rec.txs
	// Best of three, alternating the follower and bare go-ethereum, so that
	// a burst of load on a shared machine does not decide the ratio.
	t := Throughput{Blocks: blocks, Txs: txs}
	for round := range rounds {
		data, err := freshDir(cfg.Dir, fmt.Sprintf("data-%d-%d", domains, round))
		if err != nil {
			return t, err
		}
		elapsed, err := follow(ctx, cfg, rec.chain, data, nil)
		if err != nil {
			return t, err
		}
		if t.Elapsed == 0 || elapsed < t.Elapsed {
			t.Elapsed = elapsed
		}
		bare, err := rec.bare(ctx, false)
		if err != nil {
			return t, err
		}
		exec, err := rec.bare(ctx, true)
		if err != nil {
			return t, err
		}
		t.BareTxPerS = max(t.BareTxPerS, float64(txs)/bare.Seconds())
		t.BareExecTxPerS = max(t.BareExecTxPerS, float64(txs)/exec.Seconds())
	}
	t.TxPerSec = float64(txs) / t.Elapsed.Seconds()
	fmt.Fprintf(out, "  %d domain(s): %d txs, verified in %v (%.0f tx/s); bare %.0f tx/s, %.0f tx/s with senders recovered untimed (best of %d)\n",
		domains, txs, t.Elapsed.Round(time.Millisecond), t.TxPerSec, t.BareTxPerS, t.BareExecTxPerS, rounds)
	return t, nil
}

// rounds is how many times each throughput is measured; the best counts.
const rounds = 3

type blockFunc func(common.Hash) (*protocol.Block, error)

func (f blockFunc) ConsensusBlock(h common.Hash) (*protocol.Block, error) { return f(h) }

// freshDir returns dir/name emptied of what an earlier run left there. Only
// recorded chains are reused between runs of the same --dir: a follower data
// directory from an earlier run would resume at its end and verify nothing.
func freshDir(dir, name string) (string, error) {
	path := filepath.Join(dir, name)
	if err := os.RemoveAll(path); err != nil {
		return "", fmt.Errorf("bench: empty %s: %w", path, err)
	}
	return path, nil
}

// follow verifies and indexes a recorded chain from scratch and returns how
// long it took, from opening the source to the last commit.
func follow(ctx context.Context, cfg Config, chain, data string, onCommit func(*verifier.BlockUpdate)) (time.Duration, error) {
	start := time.Now()
	src, err := source.OpenFile(chain)
	if err != nil {
		return 0, err
	}
	defer src.Close()
	f, idx, err := newFollower(ctx, cfg, src, data, onCommit)
	if err != nil {
		return 0, err
	}
	defer idx.Close()
	defer f.Close()
	head, _ := src.HeadNumber(ctx)
	fctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- f.Run(fctx) }()
	for {
		select {
		case err := <-done:
			return 0, fmt.Errorf("bench: follower stopped early: %v", err)
		case <-time.After(20 * time.Millisecond):
		}
		if st := f.Status(); st.Tip >= head {
			elapsed := time.Since(start)
			cancel()
			return elapsed, <-done
		}
	}
}

func newFollower(ctx context.Context, cfg Config, src source.Source, data string, onCommit func(*verifier.BlockUpdate)) (*verifier.Follower, *indexer.Index, error) {
	return newFollowerWith(ctx, cfg, src, data, verifier.Config{Logger: cfg.Logger, OnCommit: onCommit})
}

func newFollowerWith(ctx context.Context, cfg Config, src source.Source, data string, vcfg verifier.Config) (*verifier.Follower, *indexer.Index, error) {
	net, err := src.Network(ctx)
	if err != nil {
		return nil, nil, err
	}
	idx, err := indexer.Open(filepath.Join(data, "index"), indexer.Options{SyncInterval: time.Second})
	if err != nil {
		return nil, nil, err
	}
	store := verifier.NewIndexStore(idx)
	pv, err := proof.NewVerifier(blockFunc(store.ConsensusBlockByHash), proof.Config{})
	if err != nil {
		idx.Close()
		return nil, nil, err
	}
	f, err := verifier.New(ctx, vcfg, verifier.Deps{
		Network: net, Source: src, Index: store, StateDir: filepath.Join(data, "state"), Proofs: pv, Metrics: metrics.NoopMetrics{},
		Submitter: src,
	})
	if err != nil {
		idx.Close()
		return nil, nil, err
	}
	return f, idx, nil
}

// peakRSS is the process's peak resident set (VmHWM), 0 where unknown.
func peakRSS() uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

func (r *Report) print(w io.Writer) {
	fmt.Fprintln(w, "\nreceiptd bench")
	fmt.Fprintf(w, "  bare go-ethereum, root after every tx, one core: %.0f tx/s (senders recovered as each tx is applied)\n", r.BareTxPerSec)
	fmt.Fprintf(w, "  the same, senders recovered beforehand and untimed: %.0f tx/s; verified + indexed, 1 domain = %.2f, 2 domains = %.2f of it\n",
		r.BareExecTxPerSec, r.Domains1.TxPerSec/r.BareExecTxPerSec, r.Domains2.TxPerSec/r.BareExecTxPerSec)
	fmt.Fprintf(w, "  verified + indexed, 1 domain:  %.0f tx/s = %.2f of bare (target ≥ 0.70)\n", r.Domains1.TxPerSec, r.Domains1.TxPerSec/r.BareTxPerSec)
	fmt.Fprintf(w, "  verified + indexed, 2 domains: %.0f tx/s = %.2f of one-domain bare (target ≥ 1.30), %d txs\n", r.Domains2.TxPerSec, r.Domains2.TxPerSec/r.BareTxPerSec, r.Domains2.Txs)
	fmt.Fprintf(w, "  detection latency of bad receipts (caught up): p50 %v, p99 %v over %d\n", r.LatencyP50, r.LatencyP99, r.LatencySamples)
	fmt.Fprintf(w, "  bad receipt's block arriving to its proof submitted: p50 %v, p99 %v over %d (target p99 < one block time)\n", r.ProofP50, r.ProofP99, r.ProofSamples)
	fmt.Fprintf(w, "  block latency, arrival to commit: p50 %v, p99 %v\n", r.BlockLatencyP50, r.BlockLatencyP99)
	fmt.Fprintf(w, "  peak RSS: %.0f MiB\n", float64(r.PeakRSSBytes)/(1<<20))
}
