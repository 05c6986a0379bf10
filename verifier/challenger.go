package verifier

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/rlp"

	"github.com/receiptd/receiptd/indexer"
	"github.com/receiptd/receiptd/metrics"
	"github.com/receiptd/receiptd/proof"
	"github.com/receiptd/receiptd/protocol"
)

// ChallengeMode says what the follower does with a bad receipt.
type ChallengeMode uint8

const (
	// ChallengeOff: judge and index only.
	ChallengeOff ChallengeMode = iota
	// ChallengeDryRun: build and verify proofs, record them, submit nothing.
	ChallengeDryRun
	// ChallengeSubmit: build, verify and submit proofs (receiptd run --challenger).
	ChallengeSubmit
)

// Submitter hands a proof to the chain (source.Source satisfies it).
type Submitter interface {
	SubmitFraudProof(ctx context.Context, p *protocol.FraudProof) error
}

// challengeJob is everything a proof of one bad receipt needs; it is built
// on the follower's goroutine and only read afterwards.
type challengeJob struct {
	domain protocol.DomainID
	bad    *protocol.ExecutionReceipt
	hash   common.Hash
	honest *proof.Honest
}

// challengeResult reports what the challenger did with a job.
type challengeResult struct {
	job    *challengeJob
	proof  *protocol.FraudProof
	status indexer.ChallengeStatus
	reason string
}

// challenger builds, checks and submits proofs on its own goroutine, so
// that verification never waits for it. The follower queues at most one
// job per bad receipt (the oldest bad receipt of each domain) and reads the
// results back before each commit, so the index records them.
type challenger struct {
	mode    ChallengeMode
	metrics Metricer
	submit  Submitter
	verify  protocol.ProofVerifier
	log     *slog.Logger
	onSent  func(bad common.Hash)
	state   atomic.Pointer[protocol.State] // the follower's newest state
	jobs    chan *challengeJob
	results chan *challengeResult
	wg      sync.WaitGroup
	cancel  context.CancelFunc

	// Owned by the follower's goroutine: bad receipt → its challenge, and
	// per domain the newest block executed again for a proof.
	open       map[common.Hash]*openChallenge
	reexecuted map[protocol.DomainID]*executed
	// recorded is what receiptd_challenges_open was last given, by status.
	recorded map[string]int
}

type openChallenge struct {
	id     common.Hash // the proof hash, once built
	status indexer.ChallengeStatus
	domain protocol.DomainID
	number uint64 // the bad receipt's domain block
}

// challengeQueue bounds the jobs waiting for the challenger: one per
// domain is the steady state; more only while proofs are slow to build.
const challengeQueue = 16

func newChallenger(mode ChallengeMode, m Metricer, submit Submitter, verify protocol.ProofVerifier, log *slog.Logger) *challenger {
	c := &challenger{mode: mode, metrics: m, recorded: map[string]int{}, submit: submit, verify: verify, log: log,
		jobs: make(chan *challengeJob, challengeQueue), results: make(chan *challengeResult, 2*challengeQueue),
		open: map[common.Hash]*openChallenge{}, reexecuted: map[protocol.DomainID]*executed{}}
	ctx, cancel := context.WithCancel(context.Background())
	c.cancel = cancel
	c.wg.Add(1)
	go c.loop(ctx)
	return c
}

func (c *challenger) close() {
	c.cancel()
	c.wg.Wait()
}

func (c *challenger) loop(ctx context.Context) {
	defer c.wg.Done()
	for {
		select {
		case <-ctx.Done():
			return
		case job := <-c.jobs:
			res := c.handle(ctx, job)
			select {
			case c.results <- res:
			case <-ctx.Done():
				return
			}
		}
	}
}

// handle builds the proof, checks it against the newest state (a receipt
// pruned or confirmed meanwhile is not chased), and submits it.
func (c *challenger) handle(ctx context.Context, job *challengeJob) *challengeResult {
	res := &challengeResult{job: job}
	p, err := proof.Build(ctx, job.bad, job.honest)
	if err != nil {
		res.status, res.reason = indexer.ChallengeStale, fmt.Sprintf("build: %v", err)
		return res
	}
	res.proof = p
	if err := c.verify.VerifyFraudProof(c.state.Load(), p); err != nil {
		res.status, res.reason = indexer.ChallengeStale, fmt.Sprintf("no longer provable: %v", err)
		if !errors.Is(err, proof.ErrReceiptConfirmed) && !errors.Is(err, proof.ErrUnknownReceipt) {
			res.status = indexer.ChallengeRejected
			c.log.Error("own fraud proof does not verify", "receipt", job.hash, "err", err)
		}
		return res
	}
	c.metrics.RecordProof(metrics.ProofBuilt)
	if c.mode != ChallengeSubmit {
		res.status = indexer.ChallengeDetected
		return res
	}
	if err := c.submit.SubmitFraudProof(ctx, p); err != nil {
		res.status, res.reason = indexer.ChallengeRejected, err.Error()
		c.metrics.RecordProof(metrics.ProofRejected)
		c.log.Warn("fraud proof refused", "domain", job.domain, "receipt", job.hash, "err", err)
		return res
	}
	c.metrics.RecordProof(metrics.ProofSubmitted)
	c.log.Info("fraud proof submitted", "domain", job.domain, "receipt", job.hash, "kind", p.Kind(), "proof", p.Hash())
	if c.onSent != nil {
		c.onSent(job.hash)
	}
	res.status = indexer.ChallengeSubmitted
	return res
}

// queue offers jobs for the oldest bad receipt of every domain that has no
// open challenge.
func (f *Follower) queueChallenges(ctx context.Context) {
	c := f.challenger
	if c == nil {
		return
	}
	c.state.Store(f.tip.state)
	for id, ex := range c.reexecuted { // its receipt settled: the execution is not needed
		if ds, ok := f.tip.state.Domain(id); ok && ex.result.Block.NumberU64() <= ds.Tree.Confirmed {
			delete(c.reexecuted, id)
		}
	}
	for id, v := range f.tip.views {
		ds, _ := f.tip.state.Domain(id)
		oldest, ok := proof.OldestBad(ds.Tree.Pending(), func(n uint64) (common.Hash, bool) {
			r := v.Honest[n]
			if r == nil {
				return common.Hash{}, false
			}
			return r.Hash(), true
		})
		if !ok {
			continue
		}
		if oc := c.open[oldest.Hash]; oc != nil && oc.status != indexer.ChallengeRejected {
			continue
		}
		job := f.challengeJob(ctx, id, v, oldest.Receipt)
		if job == nil {
			continue
		}
		select {
		case c.jobs <- job:
			c.open[oldest.Hash] = &openChallenge{status: 0, domain: id, number: oldest.Receipt.DomainNumber}
		default: // the challenger is busy; offer it again after the next block
		}
	}
	f.recordChallenges()
}

// recordChallenges brings receiptd_challenges_open (proofs being built,
// proofs submitted and not yet included) and the oldest open challenge's
// age up to date with the challenger's map.
func (f *Follower) recordChallenges() {
	c := f.challenger
	count := map[string]int{}
	var oldest uint64
	for _, oc := range c.open {
		var status string
		switch oc.status {
		case 0:
			status = metrics.ChallengeProving
		case indexer.ChallengeSubmitted:
			status = metrics.ChallengeSubmitted
		default:
			continue
		}
		count[status]++
		if ds, ok := f.tip.state.Domain(oc.domain); ok && ds.Tree.Head > oc.number {
			oldest = max(oldest, ds.Tree.Head-oc.number)
		}
	}
	for _, status := range []string{metrics.ChallengeProving, metrics.ChallengeSubmitted} {
		if d := count[status] - c.recorded[status]; d != 0 {
			c.metrics.RecordChallenge(status, d)
			c.recorded[status] = count[status]
		}
	}
	c.metrics.RecordOldestChallengeAge(oldest)
}

func (f *Follower) challengeJob(ctx context.Context, id protocol.DomainID, v domainView, bad *protocol.ExecutionReceipt) *challengeJob {
	p := f.pipes[id]
	ex := v.Exec[bad.DomainNumber]
	if ex == nil {
		var err error
		if ex, err = f.reexecuted(ctx, p, v, bad.DomainNumber); err != nil {
			if ctx.Err() == nil && f.challenger != nil {
				// Not tried again on every block: only after a reorg
				// (forgetChallenges) or a restart.
				f.challenger.open[bad.Hash()] = &openChallenge{status: indexer.ChallengeStale}
				f.cfg.Logger.Error("bad receipt not provable", "domain", id, "number", bad.DomainNumber, "receipt", bad.Hash(), "err", err)
			}
			return nil
		}
	}
	parent := p.headers[ex.result.Block.ParentHash()]
	if parent == nil {
		return nil
	}
	headers := make(map[common.Hash]*types.Header, len(p.headers))
	for h, hdr := range p.headers {
		headers[h] = hdr
	}
	return &challengeJob{domain: id, bad: bad, hash: bad.Hash(), honest: &proof.Honest{
		Domain: id, Derivation: ex.derivation, Result: ex.result, Parent: parent, Store: p.store,
		Chain: headerMap(headers), Workers: f.cfg.Workers,
	}}
}

// reexecuted returns the execution of domain block n on the view's chain
// when the view has none: the block was executed before a restart, and
// executions are not checkpointed. It executes the block again, on the
// follower's goroutine, from its parent's state when that is in memory,
// else from the flushed state at or below the parent, which pruning keeps
// for every pending bad receipt (proofBase, pruneKeep): at most FlushEvery
// blocks. It checks the result against the index and the honest receipt
// the view holds. The last one is kept per domain, so a job offered again
// does not execute it again.
func (f *Follower) reexecuted(ctx context.Context, p *domainPipeline, v domainView, n uint64) (*executed, error) {
	want := v.Honest[n]
	if want == nil {
		return nil, fmt.Errorf("no honest receipt for block %d", n)
	}
	var kept map[protocol.DomainID]*executed
	if f.challenger != nil {
		kept = f.challenger.reexecuted
	}
	if ex := kept[p.id]; ex != nil && ex.honest.Hash() == want.Hash() {
		return ex, nil
	}
	// The state to start from: the parent's when it is held in memory
	// (HasState is exact there; on disk it may answer from a cache for a
	// pruned root), else the flushed one pruning kept.
	header := func(m uint64) (*types.Header, error) { return f.domainHeader(ctx, p, m) }
	base := proofBase(n, f.cfg.FlushEvery)
	if h, err := header(n - 1); err == nil {
		if _, held := p.roots[h.Root]; held {
			base = n - 1
		}
	}
	parent, err := header(base)
	if err != nil {
		return nil, err
	}
	if !p.store.HasState(parent.Root) {
		return nil, fmt.Errorf("the state of block %d, to execute block %d again from, is gone", base, n)
	}
	// The headers a proof reads: BLOCKHASH's 256 ancestors of every block
	// executed (the step witness checks them all), loaded by a restore
	// only below the checkpoint's head.
	if err := f.loadHeaders(ctx, p, base-min(base, 256), n-1); err != nil {
		return nil, err
	}
	p.headers[parent.Hash()] = parent
	start := time.Now()
	var ex *executed
	for m := base + 1; m <= n; m++ {
		if ex, err = f.executeIndexed(ctx, p, m, parent, v.Honest[m-1], false); err != nil {
			return nil, err
		}
		parent = ex.result.Block.Header()
	}
	if ex.honest.Hash() != want.Hash() {
		return nil, fmt.Errorf("block %d executes again to receipt %s, the view holds %s", n, ex.honest.Hash(), want.Hash())
	}
	f.cfg.Logger.Info("executed a block again to prove a receipt", "domain", p.id, "number", n,
		"blocks", n-base, "took", time.Since(start).Round(time.Millisecond))
	if kept != nil {
		kept[p.id] = ex
	}
	return ex, nil
}

type headerMap map[common.Hash]*types.Header

func (m headerMap) GetHeader(h common.Hash, n uint64) *types.Header {
	if hdr := m[h]; hdr != nil && hdr.Number.Uint64() == n {
		return hdr
	}
	return nil
}

// collectChallenges moves the challenger's results into the update.
func (f *Follower) collectChallenges(u *BlockUpdate) {
	c := f.challenger
	if c == nil {
		return
	}
	for {
		select {
		case res := <-c.results:
			oc := c.open[res.job.hash]
			if oc == nil {
				oc = &openChallenge{}
				c.open[res.job.hash] = oc
			}
			if oc.domain == 0 {
				oc.domain, oc.number = res.job.domain, res.job.bad.DomainNumber
			}
			if oc.status == indexer.ChallengeAccepted {
				// The chain included it in this very block, before this
				// result came back (onChainChallenges): it stays accepted.
				if res.proof != nil && res.proof.Hash() == oc.id {
					c.metrics.RecordProof(metrics.ProofAccepted)
				}
			} else {
				oc.status = res.status
			}
			if res.proof == nil {
				continue
			}
			oc.id = res.proof.Hash()
			enc, _ := rlp.EncodeToBytes(res.proof)
			u.Challenges = append(u.Challenges, ChallengeUpdate{
				ID: oc.id, Kind: res.proof.Kind(), Domain: res.job.domain, BadReceipt: res.job.hash,
				Status: res.status, Reason: res.reason, Proof: enc,
			})
		default:
			return
		}
	}
}

// forgetChallenges reopens every challenge after a reorg: a proof the
// dropped blocks carried is lost, so each bad receipt still pending is
// proved and submitted again; those still pruned need nothing.
func (f *Follower) forgetChallenges() {
	if f.challenger != nil {
		clear(f.challenger.open)
		clear(f.challenger.reexecuted)
	}
}

// ChallengeUpdate is a change to a challenge that a block's commit records.
type ChallengeUpdate struct {
	ID         common.Hash // the proof hash
	Kind       protocol.ProofKind
	Domain     protocol.DomainID
	BadReceipt common.Hash
	Status     indexer.ChallengeStatus
	Reason     string
	Proof      []byte
}

// onChainChallenges records the fraud proofs the block applied, whoever
// submitted them, and challenges whose receipt left the tree otherwise.
func (f *Follower) onChainChallenges(u *BlockUpdate) {
	proofs := map[common.Hash]*protocol.FraudProof{}
	for _, p := range u.Block.Body.FraudProofs {
		proofs[p.Hash()] = p
	}
	for _, ev := range u.Events {
		switch ev.Kind {
		case protocol.EventProofAccepted:
			p := proofs[ev.Proof]
			if p == nil {
				continue
			}
			if f.challenger != nil {
				if oc := f.challenger.open[ev.Receipt]; oc != nil && oc.id == ev.Proof { // ours, its result already back
					f.challenger.metrics.RecordProof(metrics.ProofAccepted)
				}
			}
			enc, _ := rlp.EncodeToBytes(p)
			u.Challenges = append(u.Challenges, ChallengeUpdate{ID: ev.Proof, Kind: p.Kind(), Domain: ev.Domain,
				BadReceipt: ev.Receipt, Status: indexer.ChallengeAccepted, Proof: enc})
			if f.challenger != nil {
				f.challenger.open[ev.Receipt] = &openChallenge{id: ev.Proof, status: indexer.ChallengeAccepted}
			}
		case protocol.EventReceiptConfirmed, protocol.EventReceiptPruned:
			if f.challenger == nil {
				continue
			}
			if oc := f.challenger.open[ev.Receipt]; oc != nil && oc.status != indexer.ChallengeAccepted && oc.id != (common.Hash{}) {
				u.Challenges = append(u.Challenges, ChallengeUpdate{ID: oc.id, Domain: ev.Domain, BadReceipt: ev.Receipt,
					Status: indexer.ChallengeStale, Reason: "receipt " + ev.Kind.String()})
				oc.status = indexer.ChallengeStale
			}
		}
	}
}
