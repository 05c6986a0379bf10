package source

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/rpc"

	"github.com/receiptd/receiptd/devnet"
	"github.com/receiptd/receiptd/protocol"
)

// pruned is a node that reports a head but has none of the blocks below
// it (pruned history, or a broken node); with failHead set, it answers
// its head with an internal error after the first time.
type pruned struct {
	head     *devnet.WireBlock
	failHead bool
	heads    atomic.Int32
}

func (p *pruned) HeadNumber() (hexutil.Uint64, error) {
	if p.heads.Add(1) > 1 && p.failHead {
		return 0, &codeError{code: -32603, msg: "internal error"}
	}
	return p.head.Number, nil
}
func (p *pruned) BlockByNumber(n hexutil.Uint64) (*devnet.WireBlock, error) {
	return nil, &codeError{code: devnet.CodeNotFound, msg: fmt.Sprintf("no block #%d", n)}
}

type codeError struct {
	code int
	msg  string
}

func (e *codeError) Error() string  { return e.msg }
func (e *codeError) ErrorCode() int { return e.code }

// Failover: a node missing a block at or below the head it reported is
// left for the next endpoint, while a node's JSON-RPC error answers (a
// proof it cannot take) keep the connection.
func TestNodeFailover(t *testing.T) {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	d, err := devnet.New(devnet.Config{FastMode: true, Seed: 3, Domains: 1, TxPerBlock: 2, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		if _, err := d.Step(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	node, err := devnet.NewNode(d, devnet.NodeConfig{Listen: "127.0.0.1:0", Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := node.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer node.Close()

	head, err := devnet.NewWireBlock(d.Head())
	if err != nil {
		t.Fatal(err)
	}
	srv := rpc.NewServer()
	defer srv.Stop()
	if err := srv.RegisterName("devnet", &pruned{head: head}); err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	defer hs.Close()

	var reconnects atomic.Int32
	src, err := DialNode(ctx, []string{hs.URL, node.URL()}, NodeOptions{Logger: quiet, Backoff: time.Millisecond,
		OnReconnect: func(string) { reconnects.Add(1) }})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if n, err := src.HeadNumber(ctx); err != nil || n != 5 {
		t.Fatalf("head %d, %v from the first endpoint", n, err)
	}
	if _, err := src.BlockByNumber(ctx, 3); err == nil || errors.Is(err, ErrNotFound) {
		t.Fatalf("block 3 below the reported head: %v, want a node failure, not not-found", err)
	}
	b, err := src.BlockByNumber(ctx, 3)
	if err != nil || b.Header.Number != 3 {
		t.Fatalf("block 3 after failing over: %v", err)
	}
	if reconnects.Load() != 1 {
		t.Fatalf("%d reconnections, want 1", reconnects.Load())
	}
	// The node refuses a proof it cannot decode with an error object: an
	// answer, and the connection stays.
	err = src.SubmitFraudProof(ctx, &protocol.FraudProof{Domain: 1, ExecutionResult: &protocol.ExecutionResultProof{}})
	var re rpc.Error
	if !errors.As(err, &re) {
		t.Fatalf("malformed proof: %v, want the node's error object", err)
	}
	if _, err := src.BlockByNumber(ctx, 99); !errors.Is(err, ErrNotFound) {
		t.Fatalf("block above the head: %v, want not found", err)
	}
	if _, err := src.HeadNumber(ctx); err != nil || reconnects.Load() != 1 {
		t.Fatalf("after answers: %v, %d reconnections, want the connection kept", err, reconnects.Load())
	}
	// A node that turns to answering its head with an error object is
	// left too.
	flaky := rpc.NewServer()
	defer flaky.Stop()
	if err := flaky.RegisterName("devnet", &pruned{head: head, failHead: true}); err != nil {
		t.Fatal(err)
	}
	fs := httptest.NewServer(flaky)
	defer fs.Close()
	src2, err := DialNode(ctx, []string{fs.URL, node.URL()}, NodeOptions{Logger: quiet, Backoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer src2.Close()
	if _, err := src2.HeadNumber(ctx); err == nil {
		t.Fatal("the flaky node's failed head passed")
	}
	if n, err := src2.HeadNumber(ctx); err != nil || n != 5 {
		t.Fatalf("head after failing over: %d, %v", n, err)
	}
	// After Close, a call fails instead of dialling a connection nothing
	// would close.
	src.Close()
	if _, err := src.HeadNumber(ctx); err == nil || reconnects.Load() != 1 {
		t.Fatalf("a call after Close: %v, %d reconnections", err, reconnects.Load())
	}
}

// The embedded source's wake-ups never come from a closed channel: after
// the devnet stops, Notify stays quiet instead of waking the follower in a
// loop, and Close returns (twice too).
func TestEmbeddedNotifyAfterTheDevnetStops(t *testing.T) {
	d, err := devnet.New(devnet.Config{Seed: 4, Domains: 1, TxPerBlock: 2, BlockTime: time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	e := NewEmbedded(d)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	select {
	case <-e.Notify():
	case <-time.After(10 * time.Second):
		t.Fatal("no wake-up from a running devnet")
	}
	cancel()
	<-done
	select { // a wake-up may still be pending
	case <-e.Notify():
	default:
	}
	select {
	case _, ok := <-e.Notify():
		if !ok {
			t.Fatal("Notify's channel was closed")
		}
		t.Fatal("a wake-up after the devnet stopped")
	case <-time.After(50 * time.Millisecond):
	}
	e.Close()
	e.Close()
}

// fakeSubs hands out subscriptions for Embedded.watch: each is a channel
// the test feeds and ends, with the error it ends with.
type fakeSubs struct {
	subs     chan *fakeSub // each subscription taken, in order
	canceled atomic.Int32
}

type fakeSub struct {
	events chan devnet.HeadEvent
	err    error // read after events closes
}

func (f *fakeSubs) subscribe() (<-chan devnet.HeadEvent, func() error, func()) {
	s := &fakeSub{events: make(chan devnet.HeadEvent)}
	f.subs <- s
	return s.events, func() error { return s.err }, func() { f.canceled.Add(1) }
}

// A subscription the devnet drops because the source fell behind is taken
// again, with a wake-up for the heads it missed; one that ends because the
// devnet stopped is not.
func TestEmbeddedResubscribesWhenDropped(t *testing.T) {
	for _, tc := range []struct {
		name    string
		end     error
		again   bool // a second subscription is taken
		wakeUps int  // wake-ups after the first subscription ends
	}{
		{name: "dropped as slow", end: devnet.ErrSlowSubscriber, again: true, wakeUps: 1},
		{name: "devnet stopped", end: devnet.ErrDevnetStopped, again: false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeSubs{subs: make(chan *fakeSub, 4)}
			e := &Embedded{notify: make(chan struct{}, 1), done: make(chan struct{})}
			e.wg.Add(1)
			go e.watch(f.subscribe)
			first := <-f.subs
			first.events <- devnet.HeadEvent{}
			waitWake(t, e, true)
			first.err = tc.end
			close(first.events)
			for range tc.wakeUps {
				waitWake(t, e, true)
			}
			if tc.again {
				second := <-f.subs
				second.events <- devnet.HeadEvent{}
				waitWake(t, e, true)
			}
			waitWake(t, e, false)
			select {
			case <-f.subs:
				t.Fatal("a subscription taken after the devnet stopped")
			default:
			}
			e.Close()
			want := int32(1)
			if tc.again {
				want = 2
			}
			if got := f.canceled.Load(); got != want {
				t.Fatalf("%d subscriptions cancelled, want %d", got, want)
			}
		})
	}
}

// waitWake waits for a wake-up from e, or checks that none comes soon.
func waitWake(t *testing.T, e *Embedded, want bool) {
	t.Helper()
	wait := 10 * time.Second
	if !want {
		wait = 50 * time.Millisecond
	}
	select {
	case <-e.notify:
		if !want {
			t.Fatal("an unexpected wake-up")
		}
	case <-time.After(wait):
		if want {
			t.Fatal("no wake-up")
		}
	}
}
