package bench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/receiptd/receiptd/devnet"
	"github.com/receiptd/receiptd/protocol"
)

// BenchmarkFollow follows a recorded chain with indexing on, then executes
// its transactions bare, and reports both rates and their ratio: the
// throughput half of `receiptd bench` on its own (bare with senders
// recovered inline, and execution alone, as bareExecute describes), to profile
// (-cpuprofile) without re-recording. The chain is recorded once under
// RECEIPTD_BENCH_DIR when set (reused by later runs), else in a temporary
// directory. RECEIPTD_BENCH_DOMAINS (default 2) and RECEIPTD_BENCH_TXS
// (default 20,000) shape it.
func BenchmarkFollow(b *testing.B) {
	domains, txs := envInt("RECEIPTD_BENCH_DOMAINS", 2), envInt("RECEIPTD_BENCH_TXS", 20_000)
	dir := os.Getenv("RECEIPTD_BENCH_DIR")
	if dir == "" {
		dir = b.TempDir()
	}
	ctx := context.Background()
	cfg := Config{Dir: dir, Seed: 1, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	chain := filepath.Join(dir, fmt.Sprintf("chain-%d-%d", domains, txs))
	if _, err := os.Stat(filepath.Join(chain, devnet.ChainFileName)); err != nil {
		dcfg := devnet.Config{Seed: 1, Domains: domains, TxPerBlock: 400, Logger: cfg.Logger,
			NoFaults: true, ForkProbability: -1, BundleGasCap: 30_000_000}
		if _, err := devnet.Export(ctx, dcfg, txs/300+20, chain); err != nil {
			b.Fatal(err)
		}
	}
	var chains []*domainChain
	n := 0
	for d := 1; d <= domains; d++ {
		c, err := loadDomainChain(filepath.Join(chain, devnet.DomainDir(protocol.DomainID(d))))
		if err != nil {
			b.Fatal(err)
		}
		chains = append(chains, c)
		n += c.txs
	}
	var followed, bare, exec time.Duration
	round := 0
	for b.Loop() {
		d, err := follow(ctx, cfg, filepath.Join(chain, devnet.ChainFileName), filepath.Join(b.TempDir(), strconv.Itoa(round)), nil)
		if err != nil {
			b.Fatal(err)
		}
		followed += d
		round++
		b.StopTimer()
		for _, c := range chains {
			d, err := bareExecute(ctx, c, false)
			if err != nil {
				b.Fatal(err)
			}
			bare += d
			if d, err = bareExecute(ctx, c, true); err != nil {
				b.Fatal(err)
			}
			exec += d
		}
		b.StartTimer()
	}
	rate := func(d time.Duration) float64 { return float64(n) * float64(round) / d.Seconds() }
	b.ReportMetric(float64(n), "txs")
	b.ReportMetric(rate(followed), "follow-tx/s")
	b.ReportMetric(rate(bare), "bare-tx/s")
	b.ReportMetric(rate(exec), "bare-exec-tx/s")
	b.ReportMetric(bare.Seconds()/followed.Seconds(), "follow/bare")
	b.ReportMetric(exec.Seconds()/followed.Seconds(), "follow/bare-exec")
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return v
	}
	return def
}
