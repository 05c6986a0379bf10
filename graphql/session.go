package graphql

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/ethereum/go-ethereum/common"

	"github.com/receiptd/receiptd/indexer"
	"github.com/receiptd/receiptd/protocol"
)

// session is one request's (or one subscription event's) view of the
// index: a single snapshot, opened on first use, and a cache of the
// records read through it, so a record linked from many places is read
// once. Connections prefetch the records their nodes link to in one sorted
// pass (prefetch*), so a page of 100 receipts with their consensus blocks
// costs one read per distinct block, not one resolver round trip each.
//
// A session is safe for the concurrent resolvers of its request.
type session struct {
	srv  *Server
	once sync.Once
	r    *indexer.Reader
	err  error

	mu         sync.Mutex
	receipts   map[common.Hash]*indexer.ReceiptRecord
	bundles    map[common.Hash]*indexer.BundleRecord
	blocks     map[uint64]*indexer.ConsensusBlockRecord
	operators  map[protocol.OperatorID]*indexer.OperatorRecord
	challenges map[common.Hash]*indexer.ChallengeRecord
	dblocks    map[domainNum]*indexer.DomainBlockRecord

	// reads counts point reads that reached the index (tests assert on it).
	reads atomic.Int64
	// volatile is set when a resolver read something besides the index
	// (followerStatus): the answer must not be cached.
	volatile atomic.Bool
}

type domainNum struct {
	d protocol.DomainID
	n uint64
}

type sessionKey struct{}

func (s *Server) newSession() *session {
	return &session{
		srv:        s,
		receipts:   map[common.Hash]*indexer.ReceiptRecord{},
		bundles:    map[common.Hash]*indexer.BundleRecord{},
		blocks:     map[uint64]*indexer.ConsensusBlockRecord{},
		operators:  map[protocol.OperatorID]*indexer.OperatorRecord{},
		challenges: map[common.Hash]*indexer.ChallengeRecord{},
		dblocks:    map[domainNum]*indexer.DomainBlockRecord{},
	}
}

func withSession(ctx context.Context, s *session) context.Context {
	return context.WithValue(ctx, sessionKey{}, s)
}

// sessionOf returns the request's session. Every entry point (HTTP, WS)
// installs one; a missing one is a programming error reported as internal.
func sessionOf(ctx context.Context) (*session, error) {
	s, ok := ctx.Value(sessionKey{}).(*session)
	if !ok {
		return nil, errInternal
	}
	return s, nil
}

// reader opens the snapshot on first use.
func (s *session) reader() (*indexer.Reader, error) {
	s.once.Do(func() {
		s.r, s.err = s.srv.cfg.Index.SharedReader()
		if s.err != nil {
			s.err = s.srv.internal("open index snapshot", s.err)
		}
	})
	return s.r, s.err
}

// generation is the generation of the session's snapshot; ok is false
// when none was opened or it cannot tell (indexer.Reader.Generation). Call
// it after the query ran, not from a resolver.
func (s *session) generation() (gen uint64, ok bool) {
	if s.r == nil {
		return 0, false
	}
	return s.r.Generation()
}

// followerStatus is the follower's view of the source. It is not in the
// index, so it marks the session volatile.
func (s *session) followerStatus() Status {
	s.volatile.Store(true)
	return s.srv.cfg.Status()
}

// close releases the snapshot; safe twice and when never opened.
func (s *session) close() {
	s.once.Do(func() { s.err = errors.New("session closed") })
	if s.r != nil {
		s.r.Close()
	}
}

// load reads one record through the cache: nil, nil when it does not
// exist; internal failures come back as a GraphQL-safe error.
func load[K comparable, V any](s *session, m map[K]*V, k K, read func(*indexer.Reader, K) (*V, error)) (*V, error) {
	s.mu.Lock()
	v, ok := m[k]
	s.mu.Unlock()
	if ok {
		return v, nil
	}
	r, err := s.reader()
	if err != nil {
		return nil, err
	}
	s.reads.Add(1)
	v, err = read(r, k)
	if errors.Is(err, indexer.ErrNotFound) {
		v, err = nil, nil
	}
	if err != nil {
		return nil, s.srv.internal("read", err)
	}
	s.mu.Lock()
	m[k] = v
	s.mu.Unlock()
	return v, nil
}

// prefetch loads the missing keys in ascending order (the index's key
// order, so the snapshot's blocks are read sequentially), once each.
func prefetch[K comparable, V any](s *session, m map[K]*V, keys []K, cmp func(a, b K) int,
	read func(*indexer.Reader, K) (*V, error)) error {
	s.mu.Lock()
	var missing []K
	for _, k := range keys {
		if _, ok := m[k]; !ok {
			missing = append(missing, k)
		}
	}
	s.mu.Unlock()
	slices.SortFunc(missing, cmp)
	missing = slices.Compact(missing)
	for _, k := range missing {
		if _, err := load(s, m, k, read); err != nil {
			return err
		}
	}
	return nil
}

func (s *session) receipt(h common.Hash) (*indexer.ReceiptRecord, error) {
	return load(s, s.receipts, h, (*indexer.Reader).Receipt)
}

func (s *session) bundle(h common.Hash) (*indexer.BundleRecord, error) {
	return load(s, s.bundles, h, (*indexer.Reader).Bundle)
}

func (s *session) block(n uint64) (*indexer.ConsensusBlockRecord, error) {
	return load(s, s.blocks, n, (*indexer.Reader).ConsensusBlock)
}

func (s *session) operator(id protocol.OperatorID) (*indexer.OperatorRecord, error) {
	return load(s, s.operators, id, (*indexer.Reader).Operator)
}

func (s *session) challenge(id common.Hash) (*indexer.ChallengeRecord, error) {
	return load(s, s.challenges, id, (*indexer.Reader).Challenge)
}

func (s *session) domainBlock(d protocol.DomainID, n uint64) (*indexer.DomainBlockRecord, error) {
	return load(s, s.dblocks, domainNum{d, n}, func(r *indexer.Reader, k domainNum) (*indexer.DomainBlockRecord, error) {
		return r.DomainBlock(k.d, k.n)
	})
}

func (s *session) prefetchReceipts(hs []common.Hash) error {
	return prefetch(s, s.receipts, hs, cmpHash, (*indexer.Reader).Receipt)
}

func (s *session) prefetchBundles(hs []common.Hash) error {
	return prefetch(s, s.bundles, hs, cmpHash, (*indexer.Reader).Bundle)
}

func (s *session) prefetchBlocks(ns []uint64) error {
	return prefetch(s, s.blocks, ns, cmpOrdered, (*indexer.Reader).ConsensusBlock)
}

func (s *session) prefetchOperators(ids []protocol.OperatorID) error {
	return prefetch(s, s.operators, ids, cmpOrdered, (*indexer.Reader).Operator)
}

// remember caches records a listing returned.
func remember[K comparable, V any](s *session, m map[K]*V, key func(*V) K, vs []*V) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, v := range vs {
		m[key(v)] = v
	}
}

func cmpHash(a, b common.Hash) int { return a.Cmp(b) }

func cmpOrdered[T ~uint64 | ~uint32](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// errInternal is what clients see of a failure that is receiptd's own;
// the detail goes to the log.
var errInternal = errors.New("internal error (logged on the server)")

// internal logs err and returns errInternal.
func (s *Server) internal(what string, err error) error {
	s.cfg.Logger.Error("graphql: "+what, "err", err)
	return errInternal
}
