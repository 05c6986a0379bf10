package devnet

import (
	"context"
	"errors"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/rpc"
)

// TestClientFollowsReorgsOverWebSocket rebuilds the canonical chain from
// the newHeads events alone, applying each reorg's dropped and added
// blocks, and compares it with the node's chain by number.
func TestClientFollowsReorgsOverWebSocket(t *testing.T) {
	cfg := testConfig(21)
	cfg.ForkProbability, cfg.MaxReorgDepth = 0.4, 3
	d := newTestDevnet(t, cfg, 0)
	n := startNode(t, d)
	c := dial(t, n.WSURL())
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	events, sub, err := c.SubscribeHeads(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	const steps = 40
	stepped := make(chan error, 1)
	go func() {
		for range steps {
			if _, err := d.Step(ctx); err != nil {
				stepped <- err
				return
			}
		}
		stepped <- nil
	}()

	genesis, _ := d.BlockByNumber(0)
	chain := []common.Hash{genesis.Hash()} // by number
	reorgs, deepest := 0, 0
	for len(chain) <= steps {
		var ev HeadEvent
		select {
		case ev = <-events:
		case err := <-sub.Err():
			t.Fatalf("subscription ended after #%d: %v", len(chain)-1, err)
		case err := <-stepped:
			if err != nil {
				t.Fatalf("step: %v", err)
			}
			stepped = nil // done; a nil channel is never ready
			continue
		case <-ctx.Done():
			t.Fatalf("timed out at #%d", len(chain)-1)
		}
		if r := ev.Reorg; r != nil {
			reorgs++
			deepest = max(deepest, r.Depth)
			top := len(chain) - 1
			for i, h := range r.Dropped {
				if chain[top-i] != h {
					t.Fatalf("reorg drops %s as #%d, the followed chain has %s", h, top-i, chain[top-i])
				}
			}
			chain = chain[:top-r.Depth+1]
			if chain[len(chain)-1] != r.Ancestor {
				t.Fatalf("reorg ancestor %s is not #%d", r.Ancestor, len(chain)-1)
			}
			for _, b := range r.Added {
				chain = append(chain, b.Hash())
			}
		} else {
			if ev.Block.Header.ParentHash != chain[len(chain)-1] || ev.Block.Header.Number != uint64(len(chain)) {
				t.Fatalf("event #%d does not extend #%d", ev.Block.Header.Number, len(chain)-1)
			}
			chain = append(chain, ev.Block.Hash())
		}
		if chain[len(chain)-1] != ev.Block.Hash() {
			t.Fatalf("followed head %s, event head %s", chain[len(chain)-1], ev.Block.Hash())
		}
	}
	if stepped != nil {
		if err := <-stepped; err != nil {
			t.Fatalf("step: %v", err)
		}
	}
	if reorgs == 0 {
		t.Fatal("no reorg in 40 slots at fork probability 0.4")
	}
	t.Logf("%d events, %d reorgs, deepest %d", steps, reorgs, deepest)
	for i, h := range chain {
		b, err := d.BlockByNumber(uint64(i))
		if err != nil || b.Hash() != h {
			t.Fatalf("#%d: followed %s, node has %v (%v)", i, h, b.Hash(), err)
		}
	}
}

// TestClientSubscriptionEnds checks that a subscriber that goes away frees
// its node-side goroutine, and that a devnet that stops ends subscriptions
// with ErrDevnetStopped.
func TestClientSubscriptionEnds(t *testing.T) {
	d := newTestDevnet(t, testConfig(22), 1)
	n := startNode(t, d)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	gone, err := Dial(ctx, n.WSURL())
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := gone.SubscribeHeads(ctx); err != nil {
		t.Fatal(err)
	}
	if got := n.subs.count(); got != 1 {
		t.Fatalf("%d forwarding goroutines, want 1", got)
	}
	gone.Close()
	for n.subs.count() != 0 {
		if ctx.Err() != nil {
			t.Fatal("the node kept forwarding to a closed connection")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := d.Step(ctx); err != nil { // never blocks on the gone subscriber
		t.Fatal(err)
	}

	c := dial(t, n.WSURL())
	events, sub, err := c.SubscribeHeads(ctx)
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stopRun := context.WithCancel(ctx)
	done := make(chan error)
	go func() { done <- d.Run(runCtx) }()
	<-events // the devnet produced at least one block
	stopRun()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	for range events {
	}
	if err := <-sub.Err(); !errors.Is(err, ErrDevnetStopped) {
		t.Fatalf("subscription ended with %v, want ErrDevnetStopped", err)
	}
}

// TestClientRejectsHostileData feeds the client's boundary checks data a
// hostile node could send.
func TestClientRejectsHostileData(t *testing.T) {
	d := newTestDevnet(t, testConfig(23), 3)
	b2, _ := d.BlockByNumber(2)
	b3, _ := d.BlockByNumber(3)
	good, err := NewWireBlock(b3)
	if err != nil {
		t.Fatal(err)
	}
	mutate := func(f func(w *WireBlock)) *WireBlock {
		w := *good
		w.RLP = append(hexutil.Bytes(nil), good.RLP...)
		f(&w)
		return &w
	}
	for name, w := range map[string]*WireBlock{
		"null":         nil,
		"bad rlp":      mutate(func(w *WireBlock) { w.RLP = w.RLP[:len(w.RLP)-1] }),
		"flipped byte": mutate(func(w *WireBlock) { w.RLP[len(w.RLP)-3] ^= 1 }),
		"wrong hash":   mutate(func(w *WireBlock) { w.Hash = b2.Hash() }),
		"wrong number": mutate(func(w *WireBlock) { w.Number++ }),
		"wrong count":  mutate(func(w *WireBlock) { w.Bundles++ }),
	} {
		if _, err := w.Block(); !errors.Is(err, ErrBadNode) {
			t.Errorf("%s: %v, want ErrBadNode", name, err)
		}
	}

	wb2, _ := NewWireBlock(b2)
	for name, ev := range map[string]*WireHeadEvent{
		"depth mismatch": {Block: good, Reorg: &WireReorg{Ancestor: b2.Header.ParentHash, Depth: 2, Dropped: []common.Hash{{1}}, Added: []*WireBlock{wb2, good}}},
		"broken link":    {Block: good, Reorg: &WireReorg{Ancestor: common.Hash{5}, Depth: 1, Dropped: []common.Hash{{1}}, Added: []*WireBlock{wb2, good}}},
		"wrong head":     {Block: good, Reorg: &WireReorg{Ancestor: b2.Header.ParentHash, Depth: 1, Dropped: []common.Hash{{1}}, Added: []*WireBlock{wb2, wb2}}},
	} {
		if _, err := ev.Event(); !errors.Is(err, ErrBadNode) {
			t.Errorf("%s: %v, want ErrBadNode", name, err)
		}
	}
	ok := &WireHeadEvent{Block: good, Reorg: &WireReorg{Ancestor: b2.Header.ParentHash, Depth: 1, Dropped: []common.Hash{{1}}, Added: []*WireBlock{wb2, good}}}
	ev, err := ok.Event()
	if err != nil || ev.Reorg.Added[1].Hash() != b3.Hash() {
		t.Fatalf("well-formed reorg: %v", err)
	}
	if err := follows(common.Hash{2}, ev); !errors.Is(err, ErrBadNode) {
		t.Errorf("reorg not dropping the previous head: %v", err)
	}
	if err := follows(b2.Hash(), HeadEvent{Block: b3}); err != nil {
		t.Errorf("plain extension: %v", err)
	}
	if err := follows(b3.Hash(), HeadEvent{Block: b3}); !errors.Is(err, ErrBadNode) {
		t.Errorf("event not extending the previous head: %v", err)
	}

	wn, err := NewWireNetwork(d.Network())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := wn.Network(); err != nil {
		t.Fatalf("own network: %v", err)
	}
	other, _ := NewWireNetwork(newTestDevnet(t, testConfig(24), 0).Network())
	swapped := *wn
	swapped.Domains = other.Domains
	if _, err := swapped.Network(); !errors.Is(err, ErrBadNode) {
		t.Errorf("genesis of another network: %v", err)
	}
	none := *wn
	none.Domains = nil
	if _, err := none.Network(); !errors.Is(err, ErrBadNode) {
		t.Errorf("no geneses: %v", err)
	}
	if _, err := (&WireNetwork{Spec: []byte{0xc0}}).Network(); !errors.Is(err, ErrBadNode) {
		t.Errorf("empty spec: %v", err)
	}
	// A spec whose domain gas limit is not its genesis's: proof
	// verification and derivation would build different headers.
	net := d.Network()
	spec := *net.Spec
	spec.Domains = slices.Clone(spec.Domains)
	spec.Domains[0].GasLimit--
	wrong, err := NewWireNetwork(Network{Spec: &spec, Geneses: net.Geneses})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := wrong.Network(); !errors.Is(err, ErrBadNode) || !strings.Contains(err.Error(), "gas limit") {
		t.Errorf("gas limit other than the genesis's: %v", err)
	}
}

// liar is a node that breaks the API in every method.
type liar struct{ b2, b3 *WireBlock }

func (l *liar) Head() *WireBlock { w := *l.b3; w.Hash = l.b2.Hash; return &w }

func (l *liar) BlockByNumber(hexutil.Uint64) *WireBlock { return l.b3 }

func (l *liar) BlockByHash(common.Hash) *WireBlock { return l.b2 }

func (l *liar) Operators() string { return "no operators here" }

func (l *liar) ProofStatus(common.Hash) *WireProofStatus { return &WireProofStatus{State: "maybe"} }

func (l *liar) NewHeads(ctx context.Context) (*rpc.Subscription, error) {
	n, _ := rpc.NotifierFromContext(ctx)
	sub := n.CreateSubscription()
	// b3 and then b3 again: the second does not extend the first.
	for range 2 {
		if err := n.Notify(sub.ID, &WireHeadEvent{Block: l.b3}); err != nil {
			return nil, err
		}
	}
	return sub, nil
}

// TestClientHostileNode checks the client's boundary over the wire.
func TestClientHostileNode(t *testing.T) {
	d := newTestDevnet(t, testConfig(25), 3)
	b2, _ := d.BlockByNumber(2)
	b3, _ := d.BlockByNumber(3)
	w2, _ := NewWireBlock(b2)
	w3, _ := NewWireBlock(b3)
	srv := rpc.NewServer()
	if err := srv.RegisterName("devnet", &liar{b2: w2, b3: w3}); err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	hs := httptest.NewServer(srv.WebsocketHandler(nil))
	defer hs.Close()
	c := dial(t, "ws"+strings.TrimPrefix(hs.URL, "http"))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	if _, err := c.Head(ctx); !errors.Is(err, ErrBadNode) {
		t.Errorf("head with a lying summary: %v", err)
	}
	// The liar has no devnet_headNumber, as a node older than it: the
	// client asks for the head block instead, and finds the lie.
	if _, err := c.HeadNumber(ctx); !errors.Is(err, ErrBadNode) {
		t.Errorf("head number from a node without devnet_headNumber: %v", err)
	}
	if _, err := c.BlockByNumber(ctx, 2); !errors.Is(err, ErrBadNode) {
		t.Errorf("block #3 for #2: %v", err)
	}
	if _, err := c.BlockByHash(ctx, b3.Hash()); !errors.Is(err, ErrBadNode) {
		t.Errorf("another block for a hash: %v", err)
	}
	if _, err := c.Operators(ctx); !errors.Is(err, ErrBadNode) {
		t.Errorf("operators of the wrong type: %v", err)
	}
	if _, err := c.ProofStatus(ctx, common.Hash{}); !errors.Is(err, ErrBadNode) {
		t.Errorf("unknown proof state: %v", err)
	}
	events, sub, err := c.SubscribeHeads(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	if ev := <-events; ev.Block.Hash() != b3.Hash() {
		t.Fatalf("first event %s", ev.Block.Hash())
	}
	if _, ok := <-events; ok {
		t.Fatal("an event that does not extend the head was delivered")
	}
	if err := <-sub.Err(); !errors.Is(err, ErrBadNode) {
		t.Errorf("subscription ended with %v, want ErrBadNode", err)
	}
}
