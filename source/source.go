// Package source gives receiptd the consensus chain it follows, behind one
// small interface with three implementations: the embedded devnet
// (in-process), a devnet node over WebSocket or HTTP JSON-RPC, and a
// recorded chain file from `receiptd devnet export`.
//
// A Source answers "what is the canonical block at height n" and "how high
// is the head"; the follower detects reorgs itself by parent hashes, so a
// source never has to explain one. Every block a source returns was
// decoded and shape-checked at the boundary (protocol.DecodeBlock); whether
// it follows consensus rules is the follower's question.
//
// source imports protocol and devnet (for the devnet's client, its chain
// file and the embedded network), never verifier, indexer or cmd.
package source

import (
	"context"
	"errors"
	"sync"

	"github.com/receiptd/receiptd/devnet"
	"github.com/receiptd/receiptd/protocol"
)

// Network is the chain spec and the domains' geneses.
type Network = devnet.Network

// ErrNotFound reports a height above the source's head.
var ErrNotFound = errors.New("source: block not found")

// Source is a consensus chain to follow. Methods may be called from any
// goroutine.
type Source interface {
	// Network returns the chain spec and domain geneses.
	Network(ctx context.Context) (*Network, error)
	// HeadNumber returns the canonical head's height.
	HeadNumber(ctx context.Context) (uint64, error)
	// BlockByNumber returns the canonical block at height n, or
	// ErrNotFound above the head.
	BlockByNumber(ctx context.Context, n uint64) (*protocol.Block, error)
	// Notify returns a channel that receives a value whenever the head may
	// have moved; nil when the source never moves (a file) or cannot say.
	Notify() <-chan struct{}
	// SubmitFraudProof hands a proof to the chain.
	SubmitFraudProof(ctx context.Context, p *protocol.FraudProof) error
	// Close releases the source.
	Close() error
}

// Embedded follows an in-process devnet.
type Embedded struct {
	d      *devnet.Devnet
	notify chan struct{}
	done   chan struct{}
	wg     sync.WaitGroup
	once   sync.Once
}

var _ Source = (*Embedded)(nil)

// NewEmbedded follows d. The devnet is driven by its owner (d.Run).
func NewEmbedded(d *devnet.Devnet) *Embedded {
	e := &Embedded{d: d, notify: make(chan struct{}, 1), done: make(chan struct{})}
	e.wg.Add(1)
	go e.watch(d.Subscribe)
	return e
}

// subscribeFunc is devnet.Devnet.Subscribe's shape, for tests of watch.
type subscribeFunc func() (events <-chan devnet.HeadEvent, err func() error, cancel func())

// watch turns head events into wake-ups. A subscription the devnet drops
// because this side fell behind is taken again (with a wake-up for what
// it missed); once the devnet stops, wake-ups stop too. Notify's channel
// is never closed: a closed one would wake the follower in a loop.
func (e *Embedded) watch(subscribe subscribeFunc) {
	defer e.wg.Done()
	wake := func() {
		select {
		case e.notify <- struct{}{}:
		default: // a wake-up is already pending
		}
	}
	for {
		events, errFn, cancel := subscribe()
		func() {
			defer cancel()
			for {
				select {
				case <-e.done:
					return
				case _, ok := <-events:
					if !ok {
						return
					}
					wake()
				}
			}
		}()
		if !errors.Is(errFn(), devnet.ErrSlowSubscriber) {
			return // closed, or the devnet stopped
		}
		wake()
	}
}

func (e *Embedded) Network(context.Context) (*Network, error) {
	n := e.d.Network()
	return &n, nil
}

func (e *Embedded) HeadNumber(context.Context) (uint64, error) {
	return e.d.Head().Header.Number, nil
}

func (e *Embedded) BlockByNumber(_ context.Context, n uint64) (*protocol.Block, error) {
	b, err := e.d.BlockByNumber(n)
	if err != nil {
		return nil, errors.Join(ErrNotFound, err)
	}
	return b, nil
}

func (e *Embedded) Notify() <-chan struct{} { return e.notify }

func (e *Embedded) SubmitFraudProof(_ context.Context, p *protocol.FraudProof) error {
	return e.d.SubmitFraudProof(p)
}

// Close stops following; the devnet keeps running. Safe twice.
func (e *Embedded) Close() error {
	e.once.Do(func() { close(e.done) })
	e.wg.Wait()
	return nil
}
