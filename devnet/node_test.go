package devnet

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/rpc"

	"github.com/receiptd/receiptd/protocol"
)

// silent drops the logs of devnets and nodes under test.
var silent = slog.New(slog.DiscardHandler)

// testConfig is a small, fast devnet.
func testConfig(seed int64) Config {
	return Config{FastMode: true, Seed: seed, Domains: 1, OperatorsPerDomain: 2, TxPerBlock: 4, Logger: silent}
}

func newTestDevnet(t *testing.T, cfg Config, steps int) *Devnet {
	t.Helper()
	d, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for i := range steps {
		if _, err := d.Step(context.Background()); err != nil {
			t.Fatalf("step %d: %v", i+1, err)
		}
	}
	return d
}

// startNode serves d on a free port until the test ends.
func startNode(t *testing.T, d *Devnet) *Node {
	t.Helper()
	n, err := NewNode(d, NodeConfig{Listen: "127.0.0.1:0", Logger: silent})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := n.Start(ctx); err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		if err := n.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
		if err := n.Close(); err != nil {
			t.Errorf("second close: %v", err)
		}
	})
	return n
}

func dial(t *testing.T, url string) *Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := Dial(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func TestNodeHTTPReadsChain(t *testing.T) {
	d := newTestDevnet(t, testConfig(11), 6)
	n := startNode(t, d)
	c := dial(t, n.URL())
	ctx := context.Background()

	head, err := c.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if head.Hash() != d.Head().Hash() || head.Header.Number != 6 {
		t.Fatalf("head #%d %s, devnet has #%d %s", head.Header.Number, head.Hash(), d.Head().Header.Number, d.Head().Hash())
	}
	if n, err := c.HeadNumber(ctx); err != nil || n != 6 {
		t.Fatalf("head number %d, %v; want 6", n, err)
	}
	for i := uint64(0); i <= 6; i++ {
		want, _ := d.BlockByNumber(i)
		got, err := c.BlockByNumber(ctx, i)
		if err != nil {
			t.Fatalf("block #%d: %v", i, err)
		}
		if got.Hash() != want.Hash() || len(got.Body.Bundles) != len(want.Body.Bundles) {
			t.Fatalf("block #%d: %s, want %s", i, got.Hash(), want.Hash())
		}
		byHash, err := c.BlockByHash(ctx, want.Hash())
		if err != nil || byHash.Header.Number != i {
			t.Fatalf("block %s by hash: %v", want.Hash(), err)
		}
	}
	if _, err := c.BlockByNumber(ctx, 7); !errors.Is(err, ErrUnknownBlock) {
		t.Fatalf("block #7: %v, want ErrUnknownBlock", err)
	}
	if _, err := c.BlockByHash(ctx, common.Hash{1}); !errors.Is(err, ErrUnknownBlock) {
		t.Fatalf("unknown hash: %v, want ErrUnknownBlock", err)
	}

	net, err := c.Network(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if net.Spec.Hash() != d.Network().Spec.Hash() || len(net.Geneses) != 1 {
		t.Fatalf("network spec %s, want %s", net.Spec.Hash(), d.Network().Spec.Hash())
	}
	if g := net.Geneses[1].ToBlock(); g.Hash() != d.Network().Spec.Domains[0].GenesisHash {
		t.Fatalf("domain 1 genesis %s", g.Hash())
	}

	ops, err := c.Operators(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(ops) != 2 || ops[0].ID != 1 || ops[1].Domain != 1 || ops[0].Status != "active" || len(ops[0].PublicKey) != protocol.PublicKeySize {
		t.Fatalf("operators %+v", ops)
	}
	doms, err := c.Domains(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ds, _ := d.HeadState().Domain(1)
	if len(doms) != 1 || uint64(doms[0].NextBlock) != ds.Next || doms[0].HeadReceipt.Hash != ds.Tree.HeadEntry().Hash ||
		uint64(doms[0].ChallengePeriod) != 20 || uint64(doms[0].NextBlock) < 2 {
		t.Fatalf("domains %+v, state next %d head %d", doms, ds.Next, ds.Tree.Head)
	}

	proof := &protocol.FraudProof{Domain: 1, BadReceiptHash: common.Hash{9}, ExtrinsicsRoot: &protocol.ExtrinsicsRootProof{}}
	if _, err := c.SubmitFraudProof(ctx, proof); !errors.Is(err, ErrNoVerifier) {
		t.Fatalf("submit without verifier: %v, want ErrNoVerifier", err)
	}
	if _, err := c.ProofStatus(ctx, common.Hash{7}); !errors.Is(err, ErrUnknownProof) {
		t.Fatalf("status of unknown proof: %v, want ErrUnknownProof", err)
	}
}

func TestNodeMalformedParams(t *testing.T) {
	n := startNode(t, newTestDevnet(t, testConfig(12), 1))
	raw, err := rpc.DialContext(context.Background(), n.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	cases := []struct {
		method string
		args   []any
		code   int
		msg    string
	}{
		{"devnet_blockByNumber", []any{"twelve"}, -32602, "invalid argument 0"},
		{"devnet_blockByNumber", nil, -32602, "missing value"},
		{"devnet_blockByHash", []any{"0x1234"}, -32602, "invalid argument 0"},
		{"devnet_submitFraudProof", []any{"0xzz"}, -32602, "invalid argument 0"},
		{"devnet_submitFraudProof", []any{"0xc0"}, -32602, "fraud proof"},
		{"devnet_proofStatus", []any{42}, -32602, "invalid argument 0"},
		{"devnet_noSuchMethod", nil, -32601, "does not exist"},
		{"devnet_blockByNumber", []any{"0xffffffffffffffff"}, CodeNotFound, "unknown block"},
	}
	for _, tc := range cases {
		var out any
		err := raw.CallContext(context.Background(), &out, tc.method, tc.args...)
		var re rpc.Error
		if !errors.As(err, &re) || re.ErrorCode() != tc.code || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s%v: %v, want code %d with %q", tc.method, tc.args, err, tc.code, tc.msg)
		}
	}
	// Garbage bodies get a JSON-RPC parse error, and HTTP cannot subscribe.
	resp, err := http.Post(n.URL(), "application/json", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Contains(body, []byte("-32700")) {
		t.Errorf("garbage body: %s", body)
	}
	c := dial(t, n.URL())
	if _, _, err := c.SubscribeHeads(context.Background()); err == nil {
		t.Error("subscription over HTTP succeeded")
	}
}

func TestNodeProofLifecycle(t *testing.T) {
	cfg := testConfig(13)
	cfg.Verifier = acceptAll{}
	cfg.ForkProbability = -1
	d := newTestDevnet(t, cfg, 3)
	c := dial(t, startNode(t, d).URL())
	ctx := context.Background()

	// A proof against a receipt the tree never held is refused.
	bad := &protocol.FraudProof{Domain: 1, BadReceiptHash: common.Hash{9}, ExtrinsicsRoot: &protocol.ExtrinsicsRootProof{}}
	if _, err := c.SubmitFraudProof(ctx, bad); !errors.Is(err, ErrProofNotQueued) {
		t.Fatalf("proof against an unknown receipt: %v, want ErrProofNotQueued", err)
	}
	st, err := c.ProofStatus(ctx, bad.Hash())
	if err != nil || st.State != ProofRejected || st.Reason == "" {
		t.Fatalf("status %+v, %v; want rejected with a reason", st, err)
	}

	// A proof against the head receipt (the verifier here accepts any) is
	// queued, then included by the next block.
	ds, _ := d.HeadState().Domain(1)
	if ds.Tree.Head == 0 {
		t.Fatal("no pending receipt after 3 slots")
	}
	p := &protocol.FraudProof{Domain: 1, BadReceiptHash: ds.Tree.HeadEntry().Hash, ExtrinsicsRoot: &protocol.ExtrinsicsRootProof{}}
	h, err := c.SubmitFraudProof(ctx, p)
	if err != nil || h != p.Hash() {
		t.Fatalf("submit: %s, %v", h, err)
	}
	if st, _ := c.ProofStatus(ctx, h); st.State != ProofQueued {
		t.Fatalf("status before the next block: %v", st.State)
	}
	if _, err := d.Step(ctx); err != nil {
		t.Fatal(err)
	}
	if st, _ := c.ProofStatus(ctx, h); st.State != ProofIncluded {
		t.Fatalf("status after the next block: %+v", st)
	}
	head, _ := c.Head(ctx)
	if len(head.Body.FraudProofs) != 1 || head.Body.FraudProofs[0].Hash() != h {
		t.Fatalf("head carries %d proofs", len(head.Body.FraudProofs))
	}
}

// acceptAll is a verifier that takes every proof: the node's job is to
// carry proofs, the proof package's to judge them.
type acceptAll struct{}

func (acceptAll) VerifyFraudProof(*protocol.State, *protocol.FraudProof) error { return nil }
