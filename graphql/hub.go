package graphql

import (
	"errors"
	"sync"

	"github.com/ethereum/go-ethereum/common"
)

// EventKind says what an Event reports. The zero value is not a kind.
type EventKind uint8

const (
	// EventCommit: consensus block Number (Hash) was committed to the
	// index, with the receipts and challenges it created or changed.
	EventCommit EventKind = iota + 1
	// EventReorg: the index was rolled back by Depth blocks to the common
	// ancestor Number (Hash).
	EventReorg
)

// Event is what the follower publishes after each commit or rollback.
type Event struct {
	Kind       EventKind
	Number     uint64
	Hash       common.Hash
	Receipts   []common.Hash // EventCommit: ERs created or changed
	Challenges []common.Hash // EventCommit: challenges opened or changed
	Depth      uint64        // EventReorg
}

// Notifier is the hook the follower calls after each commit and rollback.
// *Server implements it.
type Notifier interface {
	Publish(Event)
}

var _ Notifier = (*Server)(nil)

// Publish hands an event to every subscription. Call it only after the
// data the event names is committed: subscriptions read the index when
// they receive it. It never blocks: a subscriber whose queue is full
// (subscriberQueue events behind) is dropped and told it fell behind,
// so one slow client cannot hold up the follower.
func (s *Server) Publish(e Event) { s.hub.publish(e) }

// subscriberQueue is how many events a subscription may fall behind
// before it is dropped: a few seconds of blocks at devnet speed.
const subscriberQueue = 256

var (
	errTooManySubscriptions = errors.New("too many subscriptions on this server; try again later")
	errFellBehind           = errors.New("subscription dropped: the client read events too slowly")
	errShuttingDown         = errors.New("server shutting down")
)

type hub struct {
	mu struct {
		sync.Mutex
		subs   map[*subscriber]struct{}
		closed bool
	}
	max int
}

type subscriber struct {
	ch   chan Event
	done chan struct{} // closed when dropped or the hub closes
	err  error         // why done closed; set before closing
	once sync.Once
}

func newHub(max int) *hub {
	h := &hub{max: max}
	h.mu.subs = map[*subscriber]struct{}{}
	return h
}

func (h *hub) subscribe() (*subscriber, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case h.mu.closed:
		return nil, errShuttingDown
	case len(h.mu.subs) >= h.max:
		return nil, errTooManySubscriptions
	}
	sub := &subscriber{ch: make(chan Event, subscriberQueue), done: make(chan struct{})}
	h.mu.subs[sub] = struct{}{}
	return sub, nil
}

func (h *hub) unsubscribe(sub *subscriber) {
	h.mu.Lock()
	delete(h.mu.subs, sub)
	h.mu.Unlock()
}

func (sub *subscriber) stop(err error) {
	sub.once.Do(func() {
		sub.err = err
		close(sub.done)
	})
}

func (h *hub) publish(e Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for sub := range h.mu.subs {
		select {
		case sub.ch <- e:
		default:
			delete(h.mu.subs, sub)
			sub.stop(errFellBehind)
		}
	}
}

func (h *hub) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.mu.closed = true
	for sub := range h.mu.subs {
		delete(h.mu.subs, sub)
		sub.stop(errShuttingDown)
	}
}

func (h *hub) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.mu.subs)
}
