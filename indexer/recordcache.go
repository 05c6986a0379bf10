package indexer

import (
	"bytes"
	"hash/maphash"
	"sync"
)

// recordCache holds records decoded for shared Readers (SharedReader),
// keyed by index key and tied to the stored bytes they were decoded from:
// an entry is used only when the snapshot's value is byte for byte the
// one it was decoded from. Reads still go to the snapshot, so a record a
// later commit rewrote, or a rollback undid, is never served from it; the
// cache saves the decoding, not the read.
//
// It holds at most recordCacheBytes of stored bytes (the decoded records
// take about as much again), spread over shards with a lock each; a full
// shard evicts entries at random. It is written here rather than with
// go-ethereum's common/lru, whose caches bound entries by count (or by size
// for byte-slice values only) behind one lock: records vary from a few
// hundred bytes to 64 KiB, and every GraphQL request reads through it.
type recordCache struct {
	seed   maphash.Seed
	shards [recordShards]recordShard
}

const (
	recordShards = 16
	// recordCacheBytes bounds the stored bytes the cache keeps: about
	// 12,000 receipts of the synthetic benchmark chain.
	recordCacheBytes = 32 << 20
	// maxCachedRecord keeps rare large records (challenges with their
	// proofs) out of the cache.
	maxCachedRecord = 64 << 10
)

type recordShard struct {
	mu    sync.Mutex
	bytes int
	m     map[string]cachedRecord
}

type cachedRecord struct {
	raw []byte
	rec any
}

func newRecordCache() *recordCache {
	c := &recordCache{seed: maphash.MakeSeed()}
	for i := range c.shards {
		c.shards[i].m = map[string]cachedRecord{}
	}
	return c
}

func (c *recordCache) shard(key []byte) *recordShard {
	return &c.shards[maphash.Bytes(c.seed, key)%recordShards]
}

// get returns the record decoded from raw under key, if the cache has it.
func (c *recordCache) get(key, raw []byte) (any, bool) {
	s := c.shard(key)
	s.mu.Lock()
	e, ok := s.m[string(key)]
	s.mu.Unlock()
	if !ok || !bytes.Equal(e.raw, raw) {
		return nil, false
	}
	return e.rec, true
}

// put keeps rec, decoded from raw under key. raw must not change after.
func (c *recordCache) put(key, raw []byte, rec any) {
	if len(raw) > maxCachedRecord {
		return
	}
	s := c.shard(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.m[string(key)]; ok {
		s.bytes -= len(old.raw)
	}
	s.m[string(key)] = cachedRecord{raw: raw, rec: rec}
	s.bytes += len(raw)
	for k, e := range s.m { // map order is random enough to evict by
		if s.bytes <= recordCacheBytes/recordShards {
			break
		}
		if k != string(key) {
			delete(s.m, k)
			s.bytes -= len(e.raw)
		}
	}
}

// cachedGetter is a getter whose records may come from a recordCache.
type cachedGetter interface {
	getter
	records() *recordCache
}

// decodeCached decodes b, the value of key, through the getter's cache
// when it has one.
func decodeCached[T any, P interface {
	*T
	record
}](g getter, key, b []byte) (*T, error) {
	var c *recordCache
	if cg, ok := g.(cachedGetter); ok {
		c = cg.records()
	}
	if c != nil {
		if rec, ok := c.get(key, b); ok {
			if t, ok := rec.(*T); ok {
				return t, nil
			}
		}
	}
	v := P(new(T))
	if err := decodeRecord(key, b, v); err != nil {
		return nil, err
	}
	if c != nil {
		c.put(key, b, (*T)(v))
	}
	return (*T)(v), nil
}
