package bench

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"golang.org/x/sync/errgroup"

	"github.com/receiptd/receiptd/devnet"
	"github.com/receiptd/receiptd/proof"
	"github.com/receiptd/receiptd/protocol"
	"github.com/receiptd/receiptd/source"
	"github.com/receiptd/receiptd/verifier"
)

// latency follows a live devnet (default faults) and measures, for each
// block, the time from the devnet making it the head to the follower
// committing its verdicts; the figures for bad receipts are those of the
// blocks carrying one.
func latency(ctx context.Context, cfg Config, r *Report) error {
	// Every operator is a little faulty, so that bad receipts keep coming
	// while the challenger gets their authors slashed one by one.
	faults := map[devnet.OperatorRef]devnet.FaultRates{}
	for dom := range 2 {
		for i := range latencyOperators {
			faults[devnet.OperatorRef{Domain: dom, Index: i}] = devnet.FaultRates{devnet.FaultGasUsed: 0.04, devnet.FaultTraceEntry: 0.04}
		}
	}
	var d *devnet.Devnet
	pv, err := proof.NewVerifier(blockFunc(func(h common.Hash) (*protocol.Block, error) { return d.BlockByHash(h) }), proof.Config{})
	if err != nil {
		return err
	}
	d, err = devnet.New(devnet.Config{Seed: cfg.Seed + 1, BlockTime: cfg.BlockTime, Logger: cfg.Logger, ForkProbability: -1,
		OperatorsPerDomain: latencyOperators, Faults: faults, Verifier: pv})
	if err != nil {
		return err
	}
	var (
		mu      sync.Mutex
		arrived = map[common.Hash]time.Time{}
		all     []time.Duration
		bad     []time.Duration
		badAt   = map[common.Hash]time.Time{} // bad receipt → arrival of the block carrying it
		proofs  []time.Duration
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
		counted := false
		for _, c := range u.Receipts {
			if !c.Verdict.Valid && !c.Verdict.DescendsFromBad {
				if !counted {
					bad = append(bad, lat)
					counted = true
				}
				if _, seen := badAt[c.Hash]; !seen {
					badAt[c.Hash] = at
				}
			}
		}
	}
	onSubmitted := func(h common.Hash) {
		now := time.Now()
		mu.Lock()
		defer mu.Unlock()
		if at, ok := badAt[h]; ok {
			proofs = append(proofs, now.Sub(at))
		}
	}
	src := source.NewEmbedded(d)
	defer src.Close()
	data, err := freshDir(cfg.Dir, "live")
	if err != nil {
		return err
	}
	f, idx, err := newFollowerWith(ctx, cfg, src, data, verifier.Config{Logger: cfg.Logger,
		OnCommit: onCommit, OnProofSubmitted: onSubmitted, Challenge: verifier.ChallengeSubmit})
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
	r.ProofP50, r.ProofP99, r.ProofSamples = percentile(proofs, 50), percentile(proofs, 99), len(proofs)
	return nil
}

// latencyOperators per domain: enough that slashing some leaves producers.
const latencyOperators = 8

func percentile(xs []time.Duration, p int) time.Duration {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	i := (len(s)*p + 99) / 100
	return s[min(max(i-1, 0), len(s)-1)]
}
