package verifier

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/receiptd/receiptd/devnet"
	"github.com/receiptd/receiptd/indexer"
	"github.com/receiptd/receiptd/metrics"
	"github.com/receiptd/receiptd/proof"
	"github.com/receiptd/receiptd/protocol"
	"github.com/receiptd/receiptd/source"
)

var proofOfFault = map[devnet.FaultKind]protocol.ProofKind{
	devnet.FaultTraceEntry:     protocol.ProofStateTransition,
	devnet.FaultTraceShort:     protocol.ProofStateTransition,
	devnet.FaultTraceLong:      protocol.ProofStateTransition,
	devnet.FaultFinalRoot:      protocol.ProofStateTransition,
	devnet.FaultExtrinsicsRoot: protocol.ProofExtrinsicsRoot,
	devnet.FaultBundleValidity: protocol.ProofBundleValidity,
	devnet.FaultDomainHash:     protocol.ProofDomainBlockHash,
	devnet.FaultFees:           protocol.ProofExecutionResult,
	devnet.FaultGasUsed:        protocol.ProofExecutionResult,
	devnet.FaultReceiptsRoot:   protocol.ProofExecutionResult,
}

// For every fault kind the devnet injects, the challenger's proof is
// accepted by the devnet's consensus, the bad receipt is pruned, its
// backers are slashed, and the honest chain continues.
func TestChallengerProvesEveryFaultKind(t *testing.T) {
	for kind, want := range proofOfFault {
		t.Run(kind.String(), func(t *testing.T) {
			t.Parallel()
			d := newDevnet(t, devnet.Config{Seed: 41, Domains: 1, ChallengePeriod: 10, MaxReorgDepth: 1, TxPerBlock: 8,
				ForkProbability: -1, Faults: map[devnet.OperatorRef]devnet.FaultRates{{Domain: 0, Index: 0}: {kind: 0.5}}})
			h := newHarnessWith(t, source.NewEmbedded(d), Config{Logger: quiet(), Workers: 1, Challenge: ChallengeSubmit})
			var accepted *indexer.ChallengeRecord
			for i := 0; i < 80 && accepted == nil; i++ {
				step(t, d)
				h.sync()
				time.Sleep(10 * time.Millisecond) // let the challenger submit before the next slot
				accepted = acceptedChallenge(t, h)
			}
			if accepted == nil {
				t.Fatalf("no challenge accepted; devnet stats %+v", d.Stats())
			}
			if accepted.Kind != want {
				t.Errorf("proof kind %s, want %s", accepted.Kind, want)
			}
			if _, injected := d.Stats().BadReceipts[accepted.BadReceipt]; !injected {
				t.Errorf("challenged receipt %s is not one the devnet spoiled", accepted.BadReceipt)
			}
			r, err := h.idx.Reader()
			if err != nil {
				t.Fatal(err)
			}
			bad, err := r.Receipt(accepted.BadReceipt)
			r.Close()
			if err != nil {
				t.Fatal(err)
			}
			if bad.Status != protocol.ReceiptPruned || bad.ChallengeID != accepted.ID {
				t.Errorf("bad receipt is %s with challenge %s, want pruned by %s", bad.Status, bad.ChallengeID, accepted.ID)
			}
			if op, _ := d.HeadState().Operator(1); op.Status != protocol.OperatorSlashed {
				t.Errorf("faulty operator is %s, want slashed", op.Status)
			}
			// The honest chain continues past the pruned receipt.
			for range 12 {
				step(t, d)
				h.sync()
			}
			ds, _ := d.HeadState().Domain(1)
			if ds.Tree.Head <= bad.Number {
				t.Fatalf("head receipt #%d has not passed the pruned #%d", ds.Tree.Head, bad.Number)
			}
			for _, e := range ds.Tree.Pending() {
				if honest, ok := d.HonestReceipt(1, e.Receipt.DomainNumber); !ok || honest.Hash() != e.Hash {
					t.Errorf("after the proof, #%d is not the honest receipt", e.Receipt.DomainNumber)
				}
			}
			if st := d.Stats(); st.ProofsRejected != 0 {
				t.Errorf("%d proofs rejected", st.ProofsRejected)
			}
		})
	}
}

func acceptedChallenge(t *testing.T, h *harness) *indexer.ChallengeRecord {
	r, err := h.idx.Reader()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	page, err := r.Challenges(indexer.ChallengeQuery{Status: indexer.ChallengeAccepted, PageArgs: indexer.PageArgs{First: 10}})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) == 0 {
		return nil
	}
	return page.Items[0]
}

// A dry run builds and verifies proofs and records them, submitting none.
func TestChallengerDryRun(t *testing.T) {
	d := newDevnet(t, devnet.Config{Seed: 43, Domains: 1, ChallengePeriod: 10, TxPerBlock: 8, ForkProbability: -1,
		Faults: map[devnet.OperatorRef]devnet.FaultRates{{Domain: 0, Index: 0}: {devnet.FaultGasUsed: 0.5}}})
	h := newHarnessWith(t, source.NewEmbedded(d), Config{Logger: quiet(), Workers: 1, Challenge: ChallengeDryRun})
	var page *indexer.Page[*indexer.ChallengeRecord]
	for i := 0; i < 150 && (page == nil || len(page.Items) == 0); i++ {
		step(t, d)
		h.sync()
		time.Sleep(5 * time.Millisecond)
		r, err := h.idx.Reader()
		if err != nil {
			t.Fatal(err)
		}
		page, err = r.Challenges(indexer.ChallengeQuery{Status: indexer.ChallengeDetected, PageArgs: indexer.PageArgs{First: 10}})
		r.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(page.Items) == 0 {
		t.Fatal("no proof built in a dry run")
	}
	c := page.Items[0]
	p, err := protocol.DecodeProof(c.Proof)
	if err != nil || p.Hash() != c.ID {
		t.Fatalf("stored proof does not decode to its id: %v", err)
	}
	if d.Stats().ProofsIncluded != 0 {
		t.Fatal("a dry run submitted a proof")
	}
}

// oldestBad returns the oldest pending receipt of domain id the follower
// judged bad, or nil.
func oldestBad(h *harness, id protocol.DomainID) *protocol.ExecutionReceipt {
	ds, _ := h.f.tip.state.Domain(id)
	v := h.f.tip.views[id]
	oldest, ok := proof.OldestBad(ds.Tree.Pending(), func(n uint64) (common.Hash, bool) {
		if r := v.Honest[n]; r != nil {
			return r.Hash(), true
		}
		return common.Hash{}, false
	})
	if !ok {
		return nil
	}
	return oldest.Receipt
}

// A bad receipt executed before a restart is proved after it: a node
// switched to --challenger on a data dir whose index already holds the
// receipt, its execution long gone from memory and the states below it
// pruned down to the flushed ones, executes the block again from the
// flushed state below it and proves it before its challenge period ends.
// Both proof shapes: an execution-result proof, and a state-transition
// proof whose step witness reads the block's ancestors.
func TestChallengerProvesReceiptsExecutedBeforeARestart(t *testing.T) {
	for _, tc := range []struct {
		fault devnet.FaultKind
		rate  float64
		seed  int64
	}{
		{devnet.FaultGasUsed, 0.1, 45},
		{devnet.FaultTraceEntry, 0.3, 46},
	} {
		t.Run(tc.fault.String(), func(t *testing.T) {
			t.Parallel()
			proveAfterRestart(t, tc.fault, tc.rate, tc.seed)
		})
	}
}

func proveAfterRestart(t *testing.T, fault devnet.FaultKind, rate float64, seed int64) {
	d := newDevnet(t, devnet.Config{Seed: seed, Domains: 1, ChallengePeriod: 60, TxPerBlock: 8, ForkProbability: -1,
		Faults: map[devnet.OperatorRef]devnet.FaultRates{{Domain: 0, Index: 0}: {fault: rate}}})
	src := source.NewEmbedded(d)
	cfg := Config{Logger: quiet(), Workers: 1, FlushEvery: 3, PruneEvery: 1, CheckpointEvery: 4, ReorgWindow: 8}
	dir := t.TempDir()
	h := openOnDisk(t, src, cfg, dir)
	// Follow without challenging until a bad receipt is pending and its
	// block is older than the newest checkpoint.
	var bad *protocol.ExecutionReceipt
	var seen uint64
	for i := 0; i < 100; i++ {
		step(t, d)
		h.sync()
		if bad == nil {
			if bad = oldestBad(h, 1); bad != nil {
				seen = h.f.tip.number
			}
		} else if h.f.tip.number >= seen+2*cfg.CheckpointEvery {
			break
		}
	}
	if bad == nil || bad.DomainNumber <= 2*cfg.FlushEvery {
		t.Fatalf("want a first bad receipt above block %d, got %v: pick another seed", 2*cfg.FlushEvery, bad)
	}
	h.close()
	// Restart, still not challenging, until the states the first run held
	// in memory are gone and pruning has deleted from disk what no
	// checkpoint the index keeps (openOnDisk: 16 blocks) names; only the
	// pending-receipt rule keeps the flushed state below the bad block.
	h = openOnDisk(t, src, cfg, dir)
	for i := 0; i < 24; i++ {
		step(t, d)
		h.sync()
	}
	named, err := h.f.checkpointFlushed(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, fs := range named {
		if fs.number < bad.DomainNumber {
			t.Fatalf("a checkpoint still names flushed block %d, below the bad block %d: the test does not exercise what pruning keeps", fs.number, bad.DomainNumber)
		}
	}
	h.close()

	var logs bytes.Buffer // written under slog's lock, read once the follower is closed
	cfg.Challenge, cfg.Logger = ChallengeSubmit, slog.New(slog.NewJSONHandler(&logs, nil))
	h = openOnDisk(t, src, cfg, dir)
	closed := false
	defer func() {
		if !closed {
			h.close()
		}
	}()
	if h.f.tip.views[1].Exec[bad.DomainNumber] != nil {
		t.Fatalf("block %d's execution survived the restart: the test does not exercise executing it again", bad.DomainNumber)
	}
	var rec *indexer.ReceiptRecord
	for i := 0; i < 30; i++ {
		step(t, d)
		h.sync()
		time.Sleep(10 * time.Millisecond) // let the challenger submit before the next slot
		r, err := h.idx.Reader()
		if err != nil {
			t.Fatal(err)
		}
		rec, err = r.Receipt(bad.Hash())
		r.Close()
		if err != nil {
			t.Fatal(err)
		}
		if rec.Status != protocol.ReceiptPending {
			break
		}
	}
	if rec.Status != protocol.ReceiptPruned || rec.ChallengeID == (common.Hash{}) {
		t.Fatalf("bad receipt #%d is %s (challenge %s), want pruned by a challenge", bad.DomainNumber, rec.Status, rec.ChallengeID)
	}
	if c := acceptedChallenge(t, h); c == nil || c.BadReceipt != bad.Hash() || c.Kind != proofOfFault[fault] {
		t.Errorf("accepted challenge %+v, want a %s proof against %s", c, proofOfFault[fault], bad.Hash())
	}
	if st := d.Stats(); st.ProofsRejected != 0 {
		t.Errorf("%d proofs rejected", st.ProofsRejected)
	}
	h.close()
	closed = true
	for line := range bytes.Lines(logs.Bytes()) {
		var rec struct {
			Msg    string
			Number uint64
			Blocks uint64
		}
		if json.Unmarshal(line, &rec) == nil && rec.Msg == "executed a block again to prove a receipt" && rec.Number == bad.DomainNumber {
			if rec.Blocks > cfg.FlushEvery {
				t.Errorf("executed %d blocks again, want at most FlushEvery (%d): the flushed state below was pruned", rec.Blocks, cfg.FlushEvery)
			}
			t.Logf("receipt #%d proved after executing %d blocks again", rec.Number, rec.Blocks)
			return
		}
	}
	t.Errorf("no log of executing block %d again:\n%s", bad.DomainNumber, logs.Bytes())
}

type countingSubmitter struct{ calls int }

func (s *countingSubmitter) SubmitFraudProof(context.Context, *protocol.FraudProof) error {
	s.calls++
	return nil
}

// A proof built for a receipt that was confirmed meanwhile is not
// submitted.
func TestChallengerDropsProofsOfSettledReceipts(t *testing.T) {
	d := newDevnet(t, devnet.Config{Seed: 44, Domains: 1, ChallengePeriod: 3, TxPerBlock: 6, ForkProbability: -1,
		Faults: map[devnet.OperatorRef]devnet.FaultRates{{Domain: 0, Index: 0}: {devnet.FaultGasUsed: 0.5}}})
	h := newHarness(t, source.NewEmbedded(d))
	var job *challengeJob
	for i := 0; i < 80; i++ {
		step(t, d)
		h.sync()
		ds, _ := h.f.tip.state.Domain(1)
		if job == nil {
			if oldest := oldestBad(h, 1); oldest != nil {
				job = h.f.challengeJob(context.Background(), 1, h.f.tip.views[1], oldest)
			}
			continue
		}
		if st, _, ok := ds.Tree.Status(job.hash); !ok || st != protocol.ReceiptPending {
			break
		}
	}
	if job == nil {
		t.Fatal("no bad receipt to prove")
	}
	sub := &countingSubmitter{}
	c := &challenger{mode: ChallengeSubmit, metrics: metrics.NoopMetrics{}, submit: sub, verify: h.f.proofs, log: quiet()}
	c.state.Store(h.f.tip.state)
	res := c.handle(context.Background(), job)
	if res.proof == nil || res.status != indexer.ChallengeStale || sub.calls != 0 {
		t.Fatalf("proof %v, status %s, %d submissions: want built, stale, none (%s)", res.proof != nil, res.status, sub.calls, res.reason)
	}
}

// With forks and reorgs, every bad receipt the challenger sees is proved
// and pruned, never confirmed: when a reorg drops the block that carried a
// proof, the challenger submits it again.
func TestChallengerResubmitsAfterReorgs(t *testing.T) {
	faults := map[devnet.OperatorRef]devnet.FaultRates{}
	for i := range 6 {
		faults[devnet.OperatorRef{Domain: 0, Index: i}] = devnet.FaultRates{devnet.FaultGasUsed: 0.08}
	}
	d := newDevnet(t, devnet.Config{Seed: 47, Domains: 1, OperatorsPerDomain: 8, ChallengePeriod: 8, MaxReorgDepth: 3,
		TxPerBlock: 6, ForkProbability: 0.35, Faults: faults})
	var mu sync.Mutex
	submitted := map[common.Hash]int{}
	h := newHarnessWith(t, source.NewEmbedded(d), Config{Logger: quiet(), Workers: 1, Challenge: ChallengeSubmit,
		OnProofSubmitted: func(bad common.Hash) { mu.Lock(); submitted[bad]++; mu.Unlock() }})
	for range 160 {
		step(t, d)
		h.sync()
		time.Sleep(5 * time.Millisecond)
	}
	r, err := h.idx.Reader()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	mu.Lock()
	defer mu.Unlock()
	again, pruned := 0, 0
	for bad, n := range submitted {
		if n > 1 {
			again++
		}
		rec, err := r.Receipt(bad)
		if err != nil {
			continue // the receipt itself was on a dropped branch
		}
		if rec.Status == protocol.ReceiptConfirmed {
			t.Errorf("receipt %s was proved %d times but confirmed", bad, n)
		}
		if rec.Status == protocol.ReceiptPruned {
			pruned++
		}
	}
	page, err := r.Receipts(indexer.ReceiptQuery{Status: protocol.ReceiptConfirmed, PageArgs: indexer.PageArgs{First: 1000}})
	if err != nil {
		t.Fatal(err)
	}
	for _, rec := range page.Items {
		if rec.ConfirmedBad {
			t.Errorf("bad receipt %s (#%d) confirmed while the challenger ran", rec.Hash, rec.Number)
		}
	}
	if pruned == 0 || again == 0 {
		t.Fatalf("%d receipts pruned, %d proved more than once after %d reorgs: the reorg path was not exercised", pruned, again, d.Stats().Reorgs)
	}
	t.Logf("%d bad receipts proved, %d pruned, %d resubmitted after a reorg, %d reorgs", len(submitted), pruned, again, d.Stats().Reorgs)
}

// The challenger's work shows in /metrics: proofs built, submitted and
// accepted, and no challenge left open once its proof is included.
func TestChallengerMetrics(t *testing.T) {
	d := newDevnet(t, devnet.Config{Seed: 41, Domains: 1, ChallengePeriod: 10, MaxReorgDepth: 1, TxPerBlock: 8,
		ForkProbability: -1, Faults: map[devnet.OperatorRef]devnet.FaultRates{{Domain: 0, Index: 0}: {devnet.FaultGasUsed: 0.5}}})
	m := metrics.New()
	h := newHarnessMetrics(t, source.NewEmbedded(d), Config{Logger: quiet(), Workers: 1, Challenge: ChallengeSubmit}, m)
	value := func(name, label, want string) float64 {
		mfs, err := m.Registry().Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, mf := range mfs {
			if mf.GetName() != name {
				continue
			}
			for _, s := range mf.GetMetric() {
				for _, l := range s.GetLabel() {
					if l.GetName() == label && l.GetValue() == want {
						if s.Counter != nil {
							return s.GetCounter().GetValue()
						}
						return s.GetGauge().GetValue()
					}
				}
			}
		}
		return 0
	}
	for i := 0; i < 80 && value("receiptd_fraud_proofs_total", "result", metrics.ProofAccepted) == 0; i++ {
		step(t, d)
		h.sync()
		time.Sleep(10 * time.Millisecond)
	}
	for _, r := range []string{metrics.ProofBuilt, metrics.ProofSubmitted, metrics.ProofAccepted} {
		if value("receiptd_fraud_proofs_total", "result", r) == 0 {
			t.Errorf("no proof counted as %s", r)
		}
	}
	// After one more block, a challenge whose receipt the chain pruned is
	// not open (it was once turned back into "submitted" when its result
	// came back in the block that included it), and the gauge counts the
	// submitted challenges the challenger holds, no more, no fewer.
	step(t, d)
	h.sync()
	ds, _ := h.f.tip.state.Domain(1)
	submitted := 0
	for bad, oc := range h.f.challenger.open {
		if oc.status != indexer.ChallengeSubmitted {
			continue
		}
		submitted++
		if st, _, ok := ds.Tree.Status(bad); !ok || st != protocol.ReceiptPending {
			t.Errorf("challenge of receipt %s, which is no longer pending, is still open as submitted", bad)
		}
	}
	if open := value("receiptd_challenges_open", "status", metrics.ChallengeSubmitted); open != float64(submitted) {
		t.Errorf("receiptd_challenges_open{status=submitted} = %v, the challenger holds %d", open, submitted)
	}
}
