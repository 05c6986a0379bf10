package graphql

import (
	"crypto/sha256"
	"sync"
)

// responseCache keeps encoded answers to queries for one state of the
// index, named by its generation (indexer.Index.Generation): until the
// next Commit or Rollback the same request has the same answer, so an
// explorer's landing page, polled by every visitor, runs once per
// consensus block rather than once per visitor. This is the block-keyed
// query cache graph-node keeps for subgraphs, with an exact key: a
// generation names one state of the index, not a block height that a
// reorg can reuse.
//
// A request is keyed by its body's bytes (keyOf). Server.cached serves a
// hit when the index's generation now is the one the cache holds, without
// decoding the body or opening a snapshot. A miss runs as any query does
// (Server.answer), on its own snapshot, and its answer is kept under that
// snapshot's generation, and only when it is a query's that passed the
// limits, carries no errors and read nothing but the index (a resolver
// that reads the follower's live status marks its session volatile).
// Identical misses in flight together each run: coalescing them would make
// one client's run serve, and outlive, the others.
//
// The cache holds the answers of one generation, charged at their length
// (and its request's root field) plus entryOverhead, at most maxBytes; the
// first answer of a newer generation empties it, and a full cache drops
// entries at random.
type responseCache struct {
	maxBytes int

	mu    sync.Mutex
	gen   uint64
	bytes int
	m     map[requestKey]cachedAnswer
}

// cachedAnswer is an encoded answer and what its request asked for
// (limits.check's root field), for request metrics.
type cachedAnswer struct {
	b     []byte
	field string
}

// entryOverhead is what an entry costs besides its answer and root
// field: the key, the headers and the map's slot, rounded up.
const entryOverhead = 128

// minResponseCache is the smallest ResponseCacheBytes accepted: an answer
// larger than a sixteenth of the cache is not kept, so a smaller cache
// would keep almost nothing.
const minResponseCache = 64 << 10

type requestKey [sha256.Size]byte

func newResponseCache(maxBytes int) *responseCache {
	return &responseCache{maxBytes: maxBytes, m: map[requestKey]cachedAnswer{}}
}

// keyOf is the key of a request body. A body is a whole request (query,
// operation name, variables), and the same bytes make the same request;
// the same request in other bytes (spacing, key order) is kept again
// under its own key, which costs space, never a wrong answer.
func keyOf(body []byte) requestKey { return sha256.Sum256(body) }

// get returns the answer kept for key at generation gen, and the root
// field its request asked for.
func (c *responseCache) get(gen uint64, key requestKey) (b []byte, field string, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return nil, "", false
	}
	e, ok := c.m[key]
	return e.b, e.field, ok
}

// put keeps b, the answer to key, a request for field, read at
// generation gen; the cache owns b after. An answer of an older generation than the
// cache's is dropped.
func (c *responseCache) put(gen uint64, key requestKey, b []byte, field string) {
	cost := cachedAnswer{b: b, field: field}.cost()
	if cost > c.maxBytes/16 { // a few huge answers would empty the cache
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case gen < c.gen:
		return
	case gen > c.gen:
		c.m = map[requestKey]cachedAnswer{} // a new map: clear would keep the old one's size
		c.gen, c.bytes = gen, 0
	}
	if old, ok := c.m[key]; ok {
		c.bytes -= old.cost()
	}
	c.m[key] = cachedAnswer{b: b, field: field}
	c.bytes += cost
	for k, e := range c.m { // map order is random enough to evict by
		if c.bytes <= c.maxBytes {
			break
		}
		if k != key {
			delete(c.m, k)
			c.bytes -= e.cost()
		}
	}
}

// cost is what e is charged in the cache.
func (e cachedAnswer) cost() int { return len(e.b) + len(e.field) + entryOverhead }
