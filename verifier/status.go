package verifier

import (
	"sync/atomic"

	"github.com/receiptd/receiptd/protocol"
	"time"
)

// Status is a consistent view of the follower's progress, safe to read
// from any goroutine (the HTTP readiness check, the progress line).
type Status struct {
	Tip        uint64    // last committed consensus block
	SourceHead uint64    // the source's head when last asked
	HeadKnown  bool      // SourceHead has been read at least once
	Updated    time.Time // when Tip last moved
	Syncing    bool      // Tip < SourceHead
}

type statusBox struct{ p atomic.Pointer[Status] }

func (b *statusBox) load() Status {
	if s := b.p.Load(); s != nil {
		return *s
	}
	return Status{}
}

func (b *statusBox) update(fn func(*Status)) {
	s := b.load()
	fn(&s)
	s.Syncing = s.Tip < s.SourceHead
	b.p.Store(&s)
}

// Status returns the follower's progress; any goroutine may call it.
func (f *Follower) Status() Status { return f.status.load() }

// LatestState returns the consensus state after the last verified block;
// any goroutine may call it (the GraphQL mutation verifies proofs on it).
func (f *Follower) LatestState() *protocol.State { return f.latest.Load() }
