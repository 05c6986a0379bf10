package bench

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// BenchmarkFollow follows a recorded chain with indexing on, then executes
// its transactions bare, and reports the rates and ratios: the throughput
// half of `receiptd bench` on its own (bare with senders recovered inline,
// and execution alone, as bareExecute describes), to profile (-cpuprofile)
// without re-recording. The chain is recorded once under RECEIPTD_BENCH_DIR
// when set (reused by later runs), else in a temporary directory.
// RECEIPTD_BENCH_DOMAINS (default 2) and RECEIPTD_BENCH_TXS (default
// 20,000) shape it.
func BenchmarkFollow(b *testing.B) {
	domains, txs := envInt("RECEIPTD_BENCH_DOMAINS", 2), envInt("RECEIPTD_BENCH_TXS", 20_000)
	dir := os.Getenv("RECEIPTD_BENCH_DIR")
	if dir == "" {
		dir = b.TempDir()
	}
	ctx := context.Background()
	cfg := Config{Dir: dir, Seed: 1, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	rec, err := record(ctx, cfg, domains, txs/300+20)
	if err != nil {
		b.Fatal(err)
	}
	var followed, bare, exec time.Duration
	round := 0
	for b.Loop() {
		d, err := follow(ctx, cfg, rec.chain, filepath.Join(b.TempDir(), strconv.Itoa(round)), nil)
		if err != nil {
			b.Fatal(err)
		}
		followed += d
		round++
		b.StopTimer()
		if d, err = rec.bare(ctx, false); err != nil {
			b.Fatal(err)
		}
		bare += d
		if d, err = rec.bare(ctx, true); err != nil {
			b.Fatal(err)
		}
		exec += d
		b.StartTimer()
	}
	rate := func(d time.Duration) float64 { return float64(rec.txs) * float64(round) / d.Seconds() }
	b.ReportMetric(float64(rec.txs), "txs")
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
