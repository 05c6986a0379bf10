package graphql

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
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
	"github.com/receiptd/receiptd/verifier"
)

// The fixture is one index built by the verifier following a devnet with
// faults on (two faulty operators, every fault kind, forks), shared by the
// package's tests: building it is the slow part. Two extra commits on top
// add challenges (the verifier does not write them yet): one detected, one
// submitted and then accepted, with real proof encodings.
type fixture struct {
	idx        *indexer.Index
	net        *devnet.Devnet
	tip        uint64 // the verifier's last block; tip+1 and tip+2 add challenges
	challenges []common.Hash
	bad        []common.Hash // receipts with a bad verdict, chain order
}

var (
	fixOnce sync.Once
	fix     *fixture
	fixErr  error
	fixDir  string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if fix != nil {
		fix.idx.Close()
	}
	if fixDir != "" {
		os.RemoveAll(fixDir)
	}
	os.Exit(code)
}

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

type blockFunc func(common.Hash) (*protocol.Block, error)

func (f blockFunc) ConsensusBlock(h common.Hash) (*protocol.Block, error) { return f(h) }

func getFixture(t testing.TB) *fixture {
	t.Helper()
	fixOnce.Do(func() { fix, fixErr = buildFixture() })
	if fixErr != nil {
		t.Fatalf("fixture: %v", fixErr)
	}
	return fix
}

func buildFixture() (*fixture, error) {
	ctx := context.Background()
	rates := devnet.FaultRates{}
	for _, k := range []devnet.FaultKind{devnet.FaultTraceEntry, devnet.FaultFinalRoot, devnet.FaultExtrinsicsRoot,
		devnet.FaultBundleValidity, devnet.FaultDomainHash, devnet.FaultFees, devnet.FaultGasUsed, devnet.FaultReceiptsRoot,
		devnet.FaultIllegalTx, devnet.FaultUndecodableTx} {
		rates[k] = 0.05
	}
	d, err := devnet.New(devnet.Config{Seed: 21, FastMode: true, Logger: quiet(), ChallengePeriod: 6, MaxReorgDepth: 2,
		TxPerBlock: 10, ForkProbability: 0.15,
		Faults: map[devnet.OperatorRef]devnet.FaultRates{{Domain: 0, Index: 0}: rates, {Domain: 1, Index: 1}: rates}})
	if err != nil {
		return nil, err
	}
	for range 80 {
		if _, err := d.Step(ctx); err != nil {
			return nil, err
		}
	}
	head := d.Head().Header.Number
	src := source.NewEmbedded(d)
	netw, err := src.Network(ctx)
	if err != nil {
		return nil, err
	}
	idx, err := indexer.OpenMemory(indexer.Options{})
	if err != nil {
		return nil, err
	}
	if fixDir, err = os.MkdirTemp("", "receiptd-graphql-"); err != nil {
		return nil, err
	}
	store := verifier.NewIndexStore(idx)
	pv, err := proof.NewVerifier(blockFunc(store.ConsensusBlockByHash), proof.Config{})
	if err != nil {
		return nil, err
	}
	f, err := verifier.New(ctx, verifier.Config{Logger: quiet(), Workers: 2, PollInterval: 5 * time.Millisecond},
		verifier.Deps{Network: netw, Source: src, Index: store, StateDir: fixDir, Proofs: pv, Metrics: metrics.NoopMetrics{}})
	if err != nil {
		return nil, err
	}
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- f.Run(rctx) }()
	deadline := time.Now().Add(3 * time.Minute)
	for f.Status().Tip < head && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		return nil, err
	}
	tip, tipHash := f.Tip()
	if err := f.Close(); err != nil {
		return nil, err
	}
	fx := &fixture{idx: idx, net: d, tip: tip}
	if err := fx.addChallenges(common.Hash(tipHash)); err != nil {
		return nil, err
	}
	return fx, nil
}

// addChallenges commits blocks tip+1 (two challenges against the oldest
// bad receipts) and tip+2 (the second accepted).
func (fx *fixture) addChallenges(tipHash common.Hash) error {
	r, err := fx.idx.Reader()
	if err != nil {
		return err
	}
	p, err := r.Receipts(indexer.ReceiptQuery{Verdict: indexer.VerdictBad, PageArgs: indexer.PageArgs{First: 1000}})
	r.Close()
	if err != nil {
		return err
	}
	for _, rec := range p.Items {
		fx.bad = append(fx.bad, rec.Hash)
	}
	if len(p.Items) < 2 {
		return errorf("only %d bad receipts", len(p.Items))
	}
	ctx := context.Background()
	h1 := protocol.Header{Number: fx.tip + 1, ParentHash: tipHash, Slot: 100_000}
	err = fx.idx.Commit(ctx, h1.Number, h1.Hash(), func(w *indexer.Writer) error {
		if err := w.PutConsensusBlock(&indexer.ConsensusBlockRecord{Number: h1.Number, Hash: h1.Hash(), Header: h1}); err != nil {
			return err
		}
		for i, rec := range p.Items[:2] {
			pr := &protocol.FraudProof{Domain: rec.Domain, BadReceiptHash: rec.Hash, ExtrinsicsRoot: &protocol.ExtrinsicsRootProof{}}
			enc, err := encodeProof(pr)
			if err != nil {
				return err
			}
			status := indexer.ChallengeDetected
			if i == 1 {
				status = indexer.ChallengeSubmitted
			}
			c := &indexer.ChallengeRecord{ID: pr.Hash(), Kind: protocol.ProofExtrinsicsRoot, Domain: rec.Domain,
				BadReceipt: rec.Hash, Operators: rec.Backers, Status: status, ProofSize: uint64(len(enc)), Proof: enc}
			if err := w.PutChallenge(c); err != nil {
				return err
			}
			if err := w.UpdateReceipt(rec.Hash, func(r *indexer.ReceiptRecord) error { r.ChallengeID = c.ID; return nil }); err != nil {
				return err
			}
			fx.challenges = append(fx.challenges, c.ID)
		}
		return nil
	})
	if err != nil {
		return err
	}
	h2 := protocol.Header{Number: fx.tip + 2, ParentHash: h1.Hash(), Slot: 100_001}
	return fx.idx.Commit(ctx, h2.Number, h2.Hash(), func(w *indexer.Writer) error {
		if err := w.PutConsensusBlock(&indexer.ConsensusBlockRecord{Number: h2.Number, Hash: h2.Hash(), Header: h2}); err != nil {
			return err
		}
		return w.UpdateChallenge(fx.challenges[1], func(c *indexer.ChallengeRecord) error {
			c.Status = indexer.ChallengeAccepted
			return nil
		})
	})
}

// newServer is a server over the fixture with small limits tests can hit.
func newServer(t testing.TB, mod func(*Config)) (*Server, *fixture) {
	t.Helper()
	fx := getFixture(t)
	cfg := Config{Index: fx.idx, Logger: quiet()}
	if mod != nil {
		mod(&cfg)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s, fx
}

type gqlResult struct {
	Data   map[string]any `json:"data"`
	Errors []struct {
		Message string `json:"message"`
	} `json:"errors"`
	status int
}

func (r *gqlResult) errText() string {
	var b strings.Builder
	for _, e := range r.Errors {
		b.WriteString(e.Message + "; ")
	}
	return b.String()
}

// post sends a query over HTTP as a client would.
func post(t testing.TB, h http.Handler, query string, vars map[string]any) *gqlResult {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	return postRaw(t, h, string(body))
}

func postRaw(t testing.TB, h http.Handler, body string) *gqlResult {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	out := &gqlResult{status: rec.Code}
	data, _ := io.ReadAll(rec.Body)
	if err := json.Unmarshal(data, out); err != nil {
		t.Fatalf("response is not JSON (%d): %.300s", rec.Code, data)
	}
	return out
}

// mustQuery runs a query that must succeed and returns its data.
func mustQuery(t testing.TB, h http.Handler, query string, vars map[string]any) map[string]any {
	t.Helper()
	r := post(t, h, query, vars)
	if len(r.Errors) > 0 || r.status != http.StatusOK {
		t.Fatalf("query failed (%d): %s\n%s", r.status, r.errText(), query)
	}
	return r.Data
}

// get walks a decoded JSON value by keys and indexes.
func get(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			l, _ := v.([]any)
			if k < 0 || k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

func getList(v any, path ...any) []any {
	l, _ := get(v, path...).([]any)
	return l
}
