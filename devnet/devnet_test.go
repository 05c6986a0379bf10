package devnet

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/consensus/beacon"
	"github.com/ethereum/go-ethereum/consensus/ethash"
	"github.com/ethereum/go-ethereum/core"
	"github.com/ethereum/go-ethereum/core/rawdb"
	"golang.org/x/sync/errgroup"

	"github.com/receiptd/receiptd/protocol"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func run(t testing.TB, cfg Config, steps int) *Devnet {
	t.Helper()
	cfg.FastMode = true
	if cfg.Logger == nil {
		cfg.Logger = quiet()
	}
	cfg.KeepHistory = true
	d, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for i := range steps {
		if _, err := d.Step(context.Background()); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	return d
}

// canonicalReceipts returns every receipt a bundle or submission on the
// canonical chain carried, by hash.
func canonicalReceipts(t testing.TB, d *Devnet) map[common.Hash]*protocol.ExecutionReceipt {
	out := map[common.Hash]*protocol.ExecutionReceipt{}
	for n := uint64(1); n <= d.Head().Header.Number; n++ {
		b, err := d.BlockByNumber(n)
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range b.Body.Bundles {
			r := x.Sealed.Header.Receipt
			out[r.Hash()] = &r
		}
		for _, s := range b.Body.Submissions {
			r := s.Receipt
			out[r.Hash()] = &r
		}
	}
	return out
}

func TestDeterministic(t *testing.T) {
	heads := func(seed int64) []common.Hash {
		d := run(t, Config{Seed: seed, ForkProbability: 0.2}, 40)
		out := []common.Hash{d.Head().Hash()}
		for _, id := range d.HeadState().DomainIDs() {
			chain := d.DomainChain(id)
			out = append(out, chain[len(chain)-1].Hash())
		}
		return out
	}
	a, b, c := heads(7), heads(7), heads(8)
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("same seed, head %d differs: %s vs %s", i, a[i], b[i])
		}
	}
	if a[0] == c[0] {
		t.Fatal("different seeds gave the same consensus head")
	}
}

// fieldsThatDiffer names the receipt fields in which bad differs from good
// (the parent link aside).
func fieldsThatDiffer(good, bad *protocol.ExecutionReceipt) map[string]bool {
	out := map[string]bool{}
	if good.DomainHash != bad.DomainHash {
		out["domain-hash"] = true
	}
	if good.ExtrinsicsRoot != bad.ExtrinsicsRoot {
		out["extrinsics-root"] = true
	}
	if protocol.TraceRoot(good.Trace) != protocol.TraceRoot(bad.Trace) {
		out["trace"] = true
	}
	if good.FinalStateRoot != bad.FinalStateRoot {
		out["final-root"] = true
	}
	if len(good.InboxedBundles) != len(bad.InboxedBundles) {
		out["inboxed"] = true
	} else {
		for i := range good.InboxedBundles {
			if good.InboxedBundles[i] != bad.InboxedBundles[i] {
				out["inboxed"] = true
			}
		}
	}
	if good.GasUsed != bad.GasUsed {
		out["gas-used"] = true
	}
	if good.ReceiptsRoot != bad.ReceiptsRoot {
		out["receipts-root"] = true
	}
	if good.Fees != bad.Fees {
		out["fees"] = true
	}
	return out
}

// Each fault kind appears under its setting and never without it, and a
// spoiled receipt differs from the honest one exactly where the kind says.
func TestFaultsOnlyWhereConfigured(t *testing.T) {
	wantFields := map[FaultKind][]string{
		FaultTraceEntry:     {"trace"},
		FaultTraceShort:     {"trace"},
		FaultTraceLong:      {"trace"},
		FaultFinalRoot:      {"trace", "final-root"},
		FaultExtrinsicsRoot: {"extrinsics-root"},
		FaultBundleValidity: {"inboxed"},
		FaultDomainHash:     {"domain-hash"},
		FaultFees:           {"fees"},
		FaultGasUsed:        {"gas-used"},
		FaultReceiptsRoot:   {"receipts-root"},
	}
	for _, kind := range FaultKinds() {
		t.Run(kind.String(), func(t *testing.T) {
			rate := 0.5
			d := run(t, Config{Seed: 3, Domains: 1, ForkProbability: -1, ChallengePeriod: 4, MaxReorgDepth: 1,
				Faults: map[OperatorRef]FaultRates{{Domain: 0, Index: 0}: {kind: rate}}}, 40)
			st := d.Stats()
			if st.Faults[kind] == 0 {
				t.Fatalf("no %s fault injected in 40 blocks at rate %v", kind, rate)
			}
			for k, n := range st.Faults {
				if k != kind && n > 0 {
					t.Errorf("%d %s faults injected without that setting", n, k)
				}
			}
			for op := range st.FaultsBy {
				if op != 1 {
					t.Errorf("operator %d injected faults without a setting", op)
				}
			}
			if kind.IsBundleFault() {
				checkBundleFault(t, d, kind)
				return
			}
			// Every spoiled receipt on the chain differs from its honest twin
			// in exactly the faulted fields.
			carried := canonicalReceipts(t, d)
			seen := 0
			for h := range st.BadReceipts {
				bad := carried[h]
				if bad == nil {
					continue
				}
				good := d.honestAt(bad.DomainNumber)
				if good == nil {
					continue // confirmed and dropped from the honest window
				}
				seen++
				got := fieldsThatDiffer(good, bad)
				if len(got) != len(wantFields[kind]) {
					t.Errorf("#%d: fields %v differ, want %v", bad.DomainNumber, got, wantFields[kind])
				}
				for _, f := range wantFields[kind] {
					if !got[f] {
						t.Errorf("#%d: %s should differ; differing: %v", bad.DomainNumber, f, got)
					}
				}
			}
			if seen == 0 {
				t.Fatal("no spoiled receipt found on the canonical chain")
			}
		})
	}
}

// honestAt is the honest receipt of domain 1 block n on the canonical chain,
// looked up in any canonical node's window.
func (d *Devnet) honestAt(n uint64) *protocol.ExecutionReceipt {
	d.mu.RLock()
	defer d.mu.RUnlock()
	for i := len(d.mu.canonical) - 1; i >= 0; i-- {
		if f := d.mu.canonical[i].domains[1]; f != nil && f.honest[n] != nil {
			return f.honest[n]
		}
	}
	return nil
}

// A bundle holding a bad transaction is marked Invalid by the honest
// receipt, and its author is slashed when that receipt is confirmed.
func checkBundleFault(t *testing.T, d *Devnet, kind FaultKind) {
	want := protocol.InvalidIllegalTx
	if kind == FaultUndecodableTx {
		want = protocol.InvalidUndecodable
	}
	found := false
	for n := uint64(1); n <= d.Head().Header.Number; n++ {
		b, _ := d.BlockByNumber(n)
		for _, x := range b.Body.Bundles {
			r := &x.Sealed.Header.Receipt
			for _, ib := range r.InboxedBundles {
				if ib.Validity.Invalid == want {
					found = true
				}
			}
		}
	}
	if !found {
		t.Fatalf("no receipt marks a bundle %s", want)
	}
	if op, _ := d.HeadState().Operator(1); op.Status != protocol.OperatorSlashed {
		t.Fatalf("author of invalid bundles is %s, want slashed", op.Status)
	}
}

// Without faults every receipt consensus admitted claims what the honest
// execution computed, and nobody is slashed.
func TestNoFaults(t *testing.T) {
	d := run(t, Config{Seed: 5, NoFaults: true, ForkProbability: 0.2}, 60)
	st := d.Stats()
	if len(st.Faults) != 0 || len(st.BadReceipts) != 0 {
		t.Fatalf("faults injected with faults off: %v", st.Faults)
	}
	for _, op := range d.HeadState().Operators() {
		if op.Status != protocol.OperatorActive {
			t.Errorf("operator %d is %s", op.ID, op.Status)
		}
	}
	for _, id := range d.HeadState().DomainIDs() {
		ds, _ := d.HeadState().Domain(id)
		if ds.Tree.Head < 20 {
			t.Errorf("domain %d head receipt only #%d after 60 blocks", id, ds.Tree.Head)
		}
		for _, e := range ds.Tree.Pending() {
			good, _ := d.HonestReceipt(id, e.Receipt.DomainNumber)
			if good == nil || good.Hash() != e.Hash {
				t.Errorf("domain %d #%d: admitted receipt is not the honest one", id, e.Receipt.DomainNumber)
			}
		}
	}
}

// Reorgs happen, never deeper than configured, and a subscriber that
// applies each event's reorg rebuilds exactly the canonical chain. Every
// canonical block applies on its parent's state.
func TestReorgsAndSubscription(t *testing.T) {
	cfg := Config{Seed: 11, ForkProbability: 0.4, MaxReorgDepth: 3, FastMode: true, Logger: quiet()}
	d, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	events, errFn, cancel := d.Subscribe()
	defer cancel()
	var chain []common.Hash // by number, from events alone
	genesis := d.Head()
	chain = append(chain, genesis.Hash())
	for range 50 {
		if _, err := d.Step(context.Background()); err != nil {
			t.Fatal(err)
		}
		ev := <-events
		if ev.Reorg == nil {
			if ev.Block.Header.ParentHash != chain[len(chain)-1] {
				t.Fatal("plain head event does not extend the chain")
			}
			chain = append(chain, ev.Block.Hash())
			continue
		}
		if ev.Reorg.Depth > 3 || ev.Reorg.Depth != len(ev.Reorg.Dropped) {
			t.Fatalf("reorg depth %d, dropped %d", ev.Reorg.Depth, len(ev.Reorg.Dropped))
		}
		keep := len(chain) - ev.Reorg.Depth
		if chain[keep-1] != ev.Reorg.Ancestor {
			t.Fatal("reorg ancestor is not where the depth says")
		}
		chain = chain[:keep]
		for _, b := range ev.Reorg.Added {
			chain = append(chain, b.Hash())
		}
	}
	if err := errFn(); err != nil {
		t.Fatal(err)
	}
	st := d.Stats()
	if st.Reorgs == 0 || st.MaxReorgDepth > 3 {
		t.Fatalf("reorgs %d, max depth %d", st.Reorgs, st.MaxReorgDepth)
	}
	state, err := protocol.Genesis(d.Network().Spec)
	if err != nil {
		t.Fatal(err)
	}
	for n := 1; n < len(chain); n++ {
		b, err := d.BlockByNumber(uint64(n))
		if err != nil {
			t.Fatal(err)
		}
		if b.Hash() != chain[n] {
			t.Fatalf("block %d: subscriber has %s, devnet %s", n, chain[n], b.Hash())
		}
		if state, _, err = state.Apply(b, protocol.ApplyOptions{}); err != nil {
			t.Fatalf("canonical block %d does not apply: %v", n, err)
		}
	}
}

// The honest domain chain is a valid Ethereum chain.
func TestDomainChainImportsIntoGeth(t *testing.T) {
	d := run(t, Config{Seed: 2, ForkProbability: 0.2}, 40)
	for _, id := range d.HeadState().DomainIDs() {
		blocks := d.DomainChain(id)
		bc, err := core.NewBlockChain(rawdb.NewMemoryDatabase(), d.Network().Geneses[id], beacon.New(ethash.NewFaker()), core.DefaultConfig())
		if err != nil {
			t.Fatal(err)
		}
		if n, err := bc.InsertChain(blocks); err != nil {
			t.Fatalf("domain %d: geth rejected block %d: %v", id, blocks[n].Number(), err)
		}
		head, last := bc.CurrentBlock(), blocks[len(blocks)-1]
		if head.Hash() != last.Hash() || head.Root != last.Root() {
			t.Fatalf("domain %d: geth head %s, want %s", id, head.Hash(), last.Hash())
		}
		if head.Number.Cmp(big.NewInt(10)) < 0 {
			t.Fatalf("domain %d: only %d blocks", id, head.Number)
		}
		bc.Stop()
	}
}

// Every method but Step may be called from other goroutines while the
// devnet steps (a follower reads blocks, a challenger submits proofs that
// look up blocks by hash). Run with -race, this fails on a read of state
// the driver changes without the lock.
func TestReadersWhileStepping(t *testing.T) {
	d, err := New(Config{Seed: 12, ForkProbability: 0.4, MaxReorgDepth: 2, FastMode: true, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	g, ctx := errgroup.WithContext(ctx)
	for range 2 {
		g.Go(func() error {
			for ctx.Err() == nil {
				head := d.Head()
				_, err := d.BlockByHash(head.Hash())
				if err == nil && head.Header.Number > 0 {
					_, err = d.BlockByHash(head.Header.ParentHash)
				}
				// A fork block is forgotten once it is deeper than a reorg
				// can reach, which a slow reader may see.
				if err != nil && d.Head().Header.Number <= head.Header.Number+2 {
					return fmt.Errorf("head %d or its parent: %w", head.Header.Number, err)
				}
				if _, err := d.BlockByNumber(head.Header.Number); err != nil && !errors.Is(err, errNoCanonicalNode) {
					return err // a reorg may shorten the chain meanwhile
				}
				d.HeadState()
				d.DomainChain(1)
			}
			return nil
		})
	}
	for i := range 40 {
		if _, err := d.Step(context.Background()); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	cancel()
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
}
