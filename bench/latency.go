package bench

import (
	"context"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"golang.org/x/sync/errgroup"

	"github.com/receiptd/receiptd/devnet"
	"github.com/receiptd/receiptd/source"
	"github.com/receiptd/receiptd/verifier"
)

// latency follows a live devnet (default faults) and measures, for each
// block, the time from the devnet making it the head to the follower
// committing its verdicts; the figures for bad receipts are those of the
// blocks carrying one.
func latency(ctx context.Context, cfg Config, r *Report) error {
	d, err := devnet.New(devnet.Config{Seed: cfg.Seed + 1, BlockTime: cfg.BlockTime, Logger: cfg.Logger, ForkProbability: -1})
	if err != nil {
		return err
	}
	var (
		mu      sync.Mutex
		arrived = map[common.Hash]time.Time{}
		all     []time.Duration
		bad     []time.Duration
	)
	events, _, cancelSub := d.Subscribe()
	defer cancelSub()
	onCommit := func(u *verifier.BlockUpdate) {
		now := time.Now()
		mu.Lock()
		defer mu.Unlock()
		at, ok := arrived[u.Hash]
		if !ok {
			return
		}
		lat := now.Sub(at)
		all = append(all, lat)
		for _, c := range u.Receipts {
			if !c.Verdict.Valid && !c.Verdict.DescendsFromBad {
				bad = append(bad, lat)
				break
			}
		}
	}
	src := source.NewEmbedded(d)
	defer src.Close()
	f, idx, err := newFollower(ctx, cfg, src, filepath.Join(cfg.Dir, "live"), onCommit)
	if err != nil {
		return err
	}
	defer idx.Close()
	defer f.Close()
	rctx, cancel := context.WithTimeout(ctx, cfg.LatencyFor)
	defer cancel()
	g, gctx := errgroup.WithContext(rctx)
	g.Go(func() error {
		for ev := range events {
			mu.Lock()
			arrived[ev.Block.Hash()] = time.Now()
			mu.Unlock()
		}
		return nil
	})
	g.Go(func() error { defer cancelSub(); return d.Run(gctx) })
	g.Go(func() error { return f.Run(gctx) })
	if err := g.Wait(); err != nil && ctx.Err() == nil && rctx.Err() == nil {
		return err
	}
	mu.Lock()
	defer mu.Unlock()
	r.BlockLatencyP50, r.BlockLatencyP99 = percentile(all, 50), percentile(all, 99)
	r.LatencyP50, r.LatencyP99, r.LatencySamples = percentile(bad, 50), percentile(bad, 99), len(bad)
	return nil
}

func percentile(xs []time.Duration, p int) time.Duration {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	i := (len(s)*p + 99) / 100
	return s[min(max(i-1, 0), len(s)-1)]
}
