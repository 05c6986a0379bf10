package graphql

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
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
// Server.answer serves a hit when the index's generation now is the one
// the cache holds, without opening a snapshot. A miss runs as any query
// does, on its own snapshot, and its answer is kept under that snapshot's
// generation, and only when it is a query's, carries no errors and read
// nothing but the index (a resolver that reads the follower's live status
// marks its session volatile). Identical misses in flight together each
// run: coalescing them would make one client's run serve, and outlive,
// the others.
//
// The cache holds the answers of one generation, charged at their length
// plus entryOverhead, at most maxBytes; the first answer of a newer
// generation empties it, and a full cache drops entries at random.
type responseCache struct {
	maxBytes int

	mu    sync.Mutex
	gen   uint64
	bytes int
	m     map[requestKey][]byte
}

// entryOverhead is what an entry costs besides its answer: the key, the
// slice header and the map's slot, rounded up.
const entryOverhead = 128

// minResponseCache is the smallest ResponseCacheBytes accepted: an answer
// larger than a sixteenth of the cache is not kept, so a smaller cache
// would keep almost nothing.
const minResponseCache = 64 << 10

type requestKey [sha256.Size]byte

func newResponseCache(maxBytes int) *responseCache {
	return &responseCache{maxBytes: maxBytes, m: map[requestKey][]byte{}}
}

// keyOf hashes the request: operation name, query text, and the variables
// as encoding/json writes them (object keys sorted, so the same variables
// give the same bytes).
func keyOf(req request) (requestKey, error) {
	vars, err := json.Marshal(req.Variables)
	if err != nil {
		return requestKey{}, err
	}
	h := sha256.New()
	for _, part := range []string{req.OperationName, req.Query} {
		h.Write(binary.BigEndian.AppendUint64(nil, uint64(len(part))))
		h.Write([]byte(part))
	}
	h.Write(vars)
	var k requestKey
	h.Sum(k[:0])
	return k, nil
}

// get returns the answer kept for key at generation gen.
func (c *responseCache) get(gen uint64, key requestKey) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return nil, false
	}
	b, ok := c.m[key]
	return b, ok
}

// put keeps b, the answer for key read at generation gen; the cache owns
// b after. An answer of an older generation than the cache's is dropped.
func (c *responseCache) put(gen uint64, key requestKey, b []byte) {
	cost := len(b) + entryOverhead
	if cost > c.maxBytes/16 { // a few huge answers would empty the cache
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case gen < c.gen:
		return
	case gen > c.gen:
		c.m = map[requestKey][]byte{} // a new map: clear would keep the old one's size
		c.gen, c.bytes = gen, 0
	}
	if old, ok := c.m[key]; ok {
		c.bytes -= len(old) + entryOverhead
	}
	c.m[key] = b
	c.bytes += cost
	for k, e := range c.m { // map order is random enough to evict by
		if c.bytes <= c.maxBytes {
			break
		}
		if k != key {
			delete(c.m, k)
			c.bytes -= len(e) + entryOverhead
		}
	}
}
