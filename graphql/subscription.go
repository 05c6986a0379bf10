package graphql

import (
	"context"

	"github.com/ethereum/go-ethereum/common"

	"github.com/receiptd/receiptd/indexer"
)

// Subscription resolvers. Each runs one goroutine that turns hub events
// into values for graphql-go, which resolves a value completely before it
// takes the next; so each event gets its own snapshot (session), opened
// when the event arrives and closed once the next value is taken.

// stream runs the loop common to the three subscriptions: for each event,
// emit sends the values it yields (false: stop).
func stream[T any](ctx context.Context, r *resolver, emit func(s *session, e Event, send func(T) bool) error) (<-chan T, error) {
	sub, err := r.srv.hub.subscribe()
	if err != nil {
		return nil, err
	}
	out := make(chan T)
	go func() {
		defer close(out)
		defer r.srv.hub.unsubscribe(sub)
		var prev *session
		defer func() {
			if prev != nil {
				prev.close()
			}
		}()
		for {
			select {
			case <-ctx.Done():
				return
			case <-sub.done:
				if rep, ok := ctx.Value(reporterKey{}).(func(error)); ok {
					rep(sub.err)
				}
				return
			case e := <-sub.ch:
				s := r.srv.newSession()
				sent := false
				send := func(v T) bool {
					select {
					case out <- v:
						if !sent && prev != nil {
							prev.close() // graphql-go has finished the previous value
							prev = nil
						}
						sent = true
						return true
					case <-ctx.Done():
						return false
					}
				}
				if err := emit(s, e, send); err != nil {
					s.close()
					if rep, ok := ctx.Value(reporterKey{}).(func(error)); ok {
						rep(err)
					}
					return
				}
				if sent {
					if prev != nil {
						prev.close()
					}
					prev = s
				} else {
					s.close()
				}
				if ctx.Err() != nil {
					return
				}
			}
		}
	}()
	return out, nil
}

// reporterKey carries a function the WebSocket layer installs to learn why
// a subscription ended (dropped, shutting down) and tell the client.
type reporterKey struct{}

func (r *resolver) NewHeads(ctx context.Context) (<-chan *chainEventResolver, error) {
	return stream(ctx, r, func(s *session, e Event, send func(*chainEventResolver) bool) error {
		send(&chainEventResolver{s: s, e: e})
		return nil
	})
}

func (r *resolver) ReceiptUpdates(ctx context.Context, args struct{ Where *receiptFilter }) (<-chan *receiptResolver, error) {
	if _, err := args.Where.query(indexer.ReceiptQuery{}); err != nil {
		return nil, err
	}
	return stream(ctx, r, func(s *session, e Event, send func(*receiptResolver) bool) error {
		if e.Kind != EventCommit {
			return nil
		}
		for _, h := range e.Receipts {
			rec, err := s.receipt(h)
			if err != nil {
				return err
			}
			if rec == nil || !args.Where.matches(rec) {
				continue // rolled back since, or filtered out
			}
			if !send(&receiptResolver{s: s, rec: rec}) {
				return nil
			}
		}
		return nil
	})
}

func (r *resolver) ChallengeUpdates(ctx context.Context, args struct{ Where *challengeFilter }) (<-chan *challengeResolver, error) {
	if _, _, err := args.Where.query(); err != nil {
		return nil, err
	}
	return stream(ctx, r, func(s *session, e Event, send func(*challengeResolver) bool) error {
		if e.Kind != EventCommit {
			return nil
		}
		for _, id := range e.Challenges {
			rec, err := s.challenge(id)
			if err != nil {
				return err
			}
			if rec == nil || (args.Where != nil && !args.Where.matches(rec)) {
				continue
			}
			if !send(&challengeResolver{s: s, rec: rec}) {
				return nil
			}
		}
		return nil
	})
}

type chainEventResolver struct {
	s *session
	e Event
}

func (r *chainEventResolver) Type() string {
	if r.e.Kind == EventReorg {
		return "REORG"
	}
	return "HEAD"
}

func (r *chainEventResolver) Number() Long      { return Long(r.e.Number) }
func (r *chainEventResolver) Hash() common.Hash { return r.e.Hash }

func (r *chainEventResolver) Depth() *Long {
	if r.e.Kind != EventReorg {
		return nil
	}
	return longPtr(r.e.Depth)
}

// Block is the committed block, or null once a reorg replaced it.
func (r *chainEventResolver) Block() (*blockResolver, error) {
	if r.e.Kind != EventCommit {
		return nil, nil
	}
	b, err := blockByNumber(r.s, r.e.Number)
	if err != nil || b == nil || b.rec.Hash != r.e.Hash {
		return nil, err
	}
	return b, nil
}
