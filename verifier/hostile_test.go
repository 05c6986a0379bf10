package verifier

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/receiptd/receiptd/devnet"
	"github.com/receiptd/receiptd/metrics"
	"github.com/receiptd/receiptd/protocol"
	"github.com/receiptd/receiptd/source"
)

// hostile wraps a source and lies about one block, or hangs, or fails.
type hostile struct {
	source.Source
	mu     sync.Mutex
	at     uint64
	mutate func(b *protocol.Block) *protocol.Block
	hang   bool
	fail   error
}

func (h *hostile) BlockByNumber(ctx context.Context, n uint64) (*protocol.Block, error) {
	h.mu.Lock()
	mutate, hang, fail, at := h.mutate, h.hang, h.fail, h.at
	h.mu.Unlock()
	if hang {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	if fail != nil {
		return nil, fail
	}
	b, err := h.Source.BlockByNumber(ctx, n)
	if err != nil || n != at || mutate == nil {
		return b, err
	}
	return mutate(copyBlock(b)), nil
}

func (h *hostile) set(fn func(*hostile)) {
	h.mu.Lock()
	defer h.mu.Unlock()
	fn(h)
}

func copyBlock(b *protocol.Block) *protocol.Block {
	cp := *b
	cp.Body.Bundles = nil
	for _, x := range b.Body.Bundles {
		y := *x
		y.Extrinsics = append([][]byte(nil), x.Extrinsics...)
		cp.Body.Bundles = append(cp.Body.Bundles, &y)
	}
	return &cp
}

// countingMetrics counts source errors by kind.
type countingMetrics struct {
	metrics.NoopMetrics
	mu     sync.Mutex
	errors map[string]int
}

func (m *countingMetrics) RecordSourceError(kind string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.errors[kind]++
}

// A hostile or broken source gives clear errors and metrics, never a
// panic, and nothing of what it lies about reaches the index.
func TestHostileSource(t *testing.T) {
	firstWithBundle := func(b *protocol.Block) bool { return len(b.Body.Bundles) > 0 }
	cases := []struct {
		name   string
		mutate func(b *protocol.Block) *protocol.Block
		want   error
	}{
		{"forged bundle signature", func(b *protocol.Block) *protocol.Block {
			b.Body.Bundles[0].Sealed.Signature[5] ^= 1
			b.Seal()
			return b
		}, ErrInvalidBlock},
		{"undecodable extrinsic under a re-signed-looking header", func(b *protocol.Block) *protocol.Block {
			x := b.Body.Bundles[0]
			x.Extrinsics = append(x.Extrinsics, []byte{0x02, 0xff})
			x.Sealed.Header.ExtrinsicsRoot = protocol.ExtrinsicsRoot(x.Extrinsics)
			x.Sealed.Header.ExtrinsicsSize = protocol.ExtrinsicsSize(x.Extrinsics)
			b.Seal()
			return b
		}, ErrInvalidBlock},
		{"bundle with extrinsics that do not match its root", func(b *protocol.Block) *protocol.Block {
			b.Body.Bundles[0].Extrinsics = [][]byte{{0xde, 0xad}}
			b.Seal()
			return b
		}, ErrInvalidBlock},
		{"missing parent", func(b *protocol.Block) *protocol.Block {
			b.Header.ParentHash = common.Hash{0xbe, 0xef}
			return b
		}, nil},
		{"header that does not commit to its body", func(b *protocol.Block) *protocol.Block {
			b.Body.Bundles = b.Body.Bundles[1:]
			return b
		}, ErrInvalidBlock},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := newDevnet(t, devnet.Config{Seed: 31, ChallengePeriod: 6, MaxReorgDepth: 1, TxPerBlock: 6, ForkProbability: -1})
			for range 12 {
				step(t, d)
			}
			var at uint64
			for n := uint64(3); n <= 12; n++ {
				if b, _ := d.BlockByNumber(n); firstWithBundle(b) {
					at = n
					break
				}
			}
			src := &hostile{Source: source.NewEmbedded(d), at: at, mutate: tc.mutate}
			h := newHarness(t, src)
			err := h.f.syncOnce(context.Background())
			if err == nil {
				t.Fatal("a lying source was followed without error")
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("error %v, want %v", err, tc.want)
			}
			if !isSourceTrouble(err) {
				t.Fatalf("error %v is not classed as source trouble", err)
			}
			if h.f.tip.number != at-1 {
				t.Fatalf("tip %d after the lie at %d: want %d", h.f.tip.number, at, at-1)
			}
			if p, _, _, _ := NewIndexStore(h.idx).Progress(context.Background()); p != at-1 {
				t.Fatalf("index progress %d, want %d", p, at-1)
			}
			// The source mends its ways: the follower catches up.
			src.set(func(h *hostile) { h.mutate = nil })
			h.sync()
		})
	}
}

// A source that hangs or fails is retried with backoff and counted, and
// Run still stops promptly.
func TestSourceHangsAndFails(t *testing.T) {
	d := newDevnet(t, devnet.Config{Seed: 32, TxPerBlock: 4, ForkProbability: -1})
	for range 4 {
		step(t, d)
	}
	src := &hostile{Source: source.NewEmbedded(d), hang: true}
	h := newHarness(t, src)
	m := &countingMetrics{errors: map[string]int{}}
	h.f.metrics = m
	h.f.cfg.RetryBackoff, h.f.cfg.MaxBackoff, h.f.cfg.PollInterval = time.Millisecond, 5*time.Millisecond, time.Millisecond

	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- h.f.Run(ctx) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not stop after its context ended")
	}
	src.set(func(h *hostile) { h.hang, h.fail = false, errors.New("connection refused") })
	ctx, cancel = context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if err := h.f.Run(ctx); err != nil {
		t.Fatalf("Run with a failing source: %v", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.errors["source"] == 0 {
		t.Fatalf("source errors not counted: %v", m.errors)
	}
	if h.f.tip.number != 0 {
		t.Fatalf("tip moved to %d with a broken source", h.f.tip.number)
	}
}
