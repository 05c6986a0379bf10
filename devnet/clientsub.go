package devnet

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/rpc"
)

// ErrSubscriptionEnded reports that the node ended a subscription for a
// reason this package has no sentinel for.
var ErrSubscriptionEnded = errors.New("devnet: node ended the subscription")

// headBuffer is how many validated events wait for the reader before the
// forwarding goroutine stops reading the connection (the rpc client then
// buffers up to 20,000 more before it drops the subscription).
const headBuffer = 64

// HeadSubscription is a live newHeads subscription. Its goroutine validates
// every event and forwards it; it ends on Unsubscribe, on the context given
// to SubscribeHeads, on a connection failure, when the node ends the
// subscription, or on an event that does not follow the previous one.
type HeadSubscription struct {
	sub    *rpc.ClientSubscription
	err    chan error
	stop   chan struct{}
	done   chan struct{}
	closer sync.Once
}

// SubscribeHeads subscribes to new canonical heads (WebSocket only). Each
// event is checked (see WireHeadEvent.Event) and must follow the one before
// it: a plain event's block is the child of the previous head, and a
// reorg's newest dropped block is the previous head. The events channel
// closes when the subscription ends; Err then yields why, unless it ended
// by Unsubscribe. ctx bounds the subscription's whole life.
func (c *Client) SubscribeHeads(ctx context.Context) (<-chan HeadEvent, *HeadSubscription, error) {
	raw := make(chan *WireHeadEvent, headBuffer)
	sub, err := c.c.Subscribe(ctx, "devnet", raw, "newHeads")
	if err != nil {
		return nil, nil, fmt.Errorf("devnet: subscribe to new heads: %w", err)
	}
	s := &HeadSubscription{sub: sub, err: make(chan error, 1), stop: make(chan struct{}), done: make(chan struct{})}
	out := make(chan HeadEvent, headBuffer)
	go s.run(ctx, raw, out)
	return out, s, nil
}

// Err yields the error that ended the subscription, once.
func (s *HeadSubscription) Err() <-chan error { return s.err }

// Unsubscribe ends the subscription and waits for its goroutine. Safe to
// call twice.
func (s *HeadSubscription) Unsubscribe() {
	s.closer.Do(func() { close(s.stop) })
	<-s.done
}

func (s *HeadSubscription) run(ctx context.Context, raw <-chan *WireHeadEvent, out chan<- HeadEvent) {
	defer close(s.done)
	defer close(out)
	defer s.sub.Unsubscribe()
	var prev common.Hash // the previous event's head; zero before the first
	fail := func(err error) { s.err <- err }
	for {
		select {
		case <-s.stop:
			return
		case <-ctx.Done():
			fail(ctx.Err())
			return
		case err := <-s.sub.Err():
			if err == nil {
				err = fmt.Errorf("%w: connection closed", ErrSubscriptionEnded)
			}
			fail(fmt.Errorf("devnet: new heads: %w", err))
			return
		case w := <-raw:
			if w == nil || (w.Block == nil && w.Error != "") {
				fail(nodeEndError(w))
				return
			}
			ev, err := w.Event()
			if err != nil {
				fail(err)
				return
			}
			if err := follows(prev, ev); err != nil {
				fail(err)
				return
			}
			prev = ev.Block.Hash()
			select {
			case out <- ev:
			case <-s.stop:
				return
			case <-ctx.Done():
				fail(ctx.Err())
				return
			}
		}
	}
}

// follows checks that ev continues the chain whose head was prev.
func follows(prev common.Hash, ev HeadEvent) error {
	if prev == (common.Hash{}) {
		return nil
	}
	if ev.Reorg == nil {
		if ev.Block.Header.ParentHash != prev {
			return fmt.Errorf("%w: head #%d does not extend the previous head %s", ErrBadNode, ev.Block.Header.Number, prev)
		}
		return nil
	}
	if ev.Reorg.Dropped[0] != prev {
		return fmt.Errorf("%w: reorg to #%d drops %s, not the previous head %s", ErrBadNode, ev.Block.Header.Number, ev.Reorg.Dropped[0], prev)
	}
	return nil
}

// nodeEndError maps the node's last notification to a sentinel.
func nodeEndError(w *WireHeadEvent) error {
	if w == nil {
		return fmt.Errorf("%w: null notification", ErrBadNode)
	}
	for _, known := range []error{ErrSlowSubscriber, ErrDevnetStopped} {
		if w.Error == known.Error() {
			return fmt.Errorf("devnet: new heads: %w", known)
		}
	}
	return fmt.Errorf("%w: %s", ErrSubscriptionEnded, w.Error)
}
