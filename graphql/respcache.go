package graphql

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"sync"

	"golang.org/x/sync/singleflight"
)

// responseCache keeps encoded responses to queries, keyed by the index
// generation they read (indexer.Reader.Generation) and the request: until
// the next Commit or Rollback the same request has the same answer, so an
// explorer's landing page, polled by every visitor, is executed once per
// consensus block rather than once per visitor. This is the block-keyed
// query cache graph-node keeps for subgraphs, with an exact key: a
// generation names one state of the index, not a block height that a
// reorg can reuse.
//
// Only queries are cached, only answers without errors, and only answers
// that read nothing but the index: a resolver that reads the follower's
// live status marks its session volatile. Identical requests that miss
// together run once (singleflight) and share the answer.
//
// The cache holds the entries of one generation, at most maxBytes of
// response bytes; the first entry of a newer generation empties it, and a
// full cache drops entries at random.
type responseCache struct {
	maxBytes int
	flight   singleflight.Group

	mu    sync.Mutex
	gen   uint64
	bytes int
	m     map[[sha256.Size]byte][]byte
}

func newResponseCache(maxBytes int) *responseCache {
	return &responseCache{maxBytes: maxBytes, m: map[[sha256.Size]byte][]byte{}}
}

// responseKey is the request's key: a hash of the generation, the
// operation name, the query text and the variables as encoding/json writes
// them (object keys sorted, so the same variables give the same bytes).
func responseKey(gen uint64, req request) ([sha256.Size]byte, error) {
	vars, err := json.Marshal(req.Variables)
	if err != nil {
		return [sha256.Size]byte{}, err
	}
	h := sha256.New()
	h.Write(binary.BigEndian.AppendUint64(nil, gen))
	for _, part := range []string{req.OperationName, req.Query} {
		h.Write(binary.BigEndian.AppendUint64(nil, uint64(len(part))))
		h.Write([]byte(part))
	}
	h.Write(vars)
	var k [sha256.Size]byte
	h.Sum(k[:0])
	return k, nil
}

// get returns the cached answer for key read at gen.
func (c *responseCache) get(gen uint64, key [sha256.Size]byte) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return nil, false
	}
	b, ok := c.m[key]
	return b, ok
}

// put keeps b, the answer for key read at gen; b must not change after.
// An answer of an older generation than the cache's is dropped.
func (c *responseCache) put(gen uint64, key [sha256.Size]byte, b []byte) {
	if len(b) > c.maxBytes/16 { // a few huge answers would empty the cache
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case gen < c.gen:
		return
	case gen > c.gen:
		clear(c.m)
		c.gen, c.bytes = gen, 0
	}
	if old, ok := c.m[key]; ok {
		c.bytes -= len(old)
	}
	c.m[key] = b
	c.bytes += len(b)
	for k, e := range c.m { // map order is random enough to evict by
		if c.bytes <= c.maxBytes {
			break
		}
		if k != key {
			delete(c.m, k)
			c.bytes -= len(e)
		}
	}
}
