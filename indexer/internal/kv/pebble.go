package kv

import (
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/bloom"
	"github.com/cockroachdb/pebble/v2/vfs"
)

// PebbleOptions configure OpenPebble.
type PebbleOptions struct {
	// CacheBytes is the block cache size; 0 leaves pebble's default (8 MiB).
	CacheBytes int64
	// FS is the filesystem; nil is the operating system's. Tests pass
	// vfs.NewCrashableMem() to simulate crashes.
	FS vfs.FS
	// NoBloom leaves tables without bloom filters (see bloomBitsPerKey);
	// for the benchmark that measures them.
	NoBloom bool
}

// Pebble is a Store on a pebble database. Every batch commit is synced.
type Pebble struct {
	db   *pebble.DB
	once sync.Once
	err  error
}

var _ Store = (*Pebble)(nil)

// memTableBytes is pebble's memtable size. The index takes one batch of a
// few hundred KiB per consensus block, keyed mostly by transaction hash;
// with pebble's 4 MiB default it flushes every few blocks, and the small
// tables, which all overlap, are compacted over and over (measured: a
// third of the indexing CPU). 32 MiB flushes eight times less often, for at
// most two memtables (64 MiB) of memory.
const memTableBytes = 32 << 20

// bloomBitsPerKey sizes the bloom filter written into the tables of L0
// to L5 (pebble writes none by default): about 1% false positives, the
// setting CockroachDB uses. Nearly every read of the index is a point
// read of a record by key, and a record sits in one level; without
// filters a Get searches the index and a data block of the overlapping
// table in each level above it. L6, the last level, gets none: pebble's
// Get does not read them there (IterOptions.UseL6Filters), and a key that
// reached L6 is found there anyway. BenchmarkGet measures the difference.
// Tables written before filters were on get them as they are compacted.
const bloomBitsPerKey = 10

// OpenPebble opens, creating if needed, the pebble database in dir.
func OpenPebble(dir string, o PebbleOptions) (*Pebble, error) {
	opts := &pebble.Options{FS: o.FS, Logger: quietLogger{}, MemTableSize: memTableBytes}
	if !o.NoBloom {
		for i := range len(opts.Levels) - 1 {
			opts.Levels[i].FilterPolicy = bloom.FilterPolicy(bloomBitsPerKey)
		}
		opts.Levels[len(opts.Levels)-1].FilterPolicy = pebble.NoFilterPolicy
	}
	if o.CacheBytes > 0 {
		c := pebble.NewCache(o.CacheBytes)
		defer c.Unref()
		opts.Cache = c
	}
	db, err := pebble.Open(dir, opts)
	if err != nil {
		return nil, fmt.Errorf("kv: open pebble %s: %w", dir, err)
	}
	return &Pebble{db: db}, nil
}

// Get implements Reader.
func (p *Pebble) Get(key []byte) ([]byte, error) { return pebbleGet(p.db.Get, key) }

// NewIter implements Reader.
func (p *Pebble) NewIter(lower, upper []byte) (Iterator, error) {
	it, err := p.db.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		return nil, fmt.Errorf("kv: new iterator: %w", err)
	}
	return &pebbleIter{it: it}, nil
}

// NewBatch implements Store.
func (p *Pebble) NewBatch() Batch { return &pebbleBatch{b: p.db.NewBatch()} }

// NewSnapshot implements Store.
func (p *Pebble) NewSnapshot() (Snapshot, error) { return &pebbleSnapshot{s: p.db.NewSnapshot()}, nil }

// Metrics returns pebble's statistics (for receiptd_pebble_* metrics).
func (p *Pebble) Metrics() *pebble.Metrics { return p.db.Metrics() }

// Sync implements Store: a synced log record flushes and syncs the log up
// to it (an empty batch would not: pebble skips it).
func (p *Pebble) Sync() error {
	if err := p.db.LogData(nil, pebble.Sync); err != nil {
		return fmt.Errorf("kv: sync: %w", err)
	}
	return nil
}

// Close implements Store. It is safe to call twice; the second call
// returns the first one's result.
func (p *Pebble) Close() error {
	p.once.Do(func() { p.err = p.db.Close() })
	return p.err
}

func pebbleGet(get func([]byte) ([]byte, io.Closer, error), key []byte) ([]byte, error) {
	v, closer, err := get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("kv: get: %w", err)
	}
	out := make([]byte, len(v))
	copy(out, v)
	return out, closer.Close()
}

type pebbleSnapshot struct {
	mu     sync.RWMutex
	s      *pebble.Snapshot
	closed bool
}

func (s *pebbleSnapshot) Get(key []byte) ([]byte, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, ErrClosed
	}
	return pebbleGet(s.s.Get, key)
}

func (s *pebbleSnapshot) NewIter(lower, upper []byte) (Iterator, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, ErrClosed
	}
	it, err := s.s.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		return nil, fmt.Errorf("kv: new iterator: %w", err)
	}
	return &pebbleIter{it: it}, nil
}

func (s *pebbleSnapshot) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	return s.s.Close()
}

type pebbleBatch struct {
	b    *pebble.Batch
	done bool
}

func (b *pebbleBatch) Set(key, value []byte) error {
	if b.done {
		return ErrClosed
	}
	return b.b.Set(key, value, nil)
}

func (b *pebbleBatch) Delete(key []byte) error {
	if b.done {
		return ErrClosed
	}
	return b.b.Delete(key, nil)
}

func (b *pebbleBatch) Len() int { return int(b.b.Count()) }

func (b *pebbleBatch) Commit(sync bool) error {
	if b.done {
		return ErrClosed
	}
	b.done = true
	opts := pebble.NoSync
	if sync {
		opts = pebble.Sync
	}
	err := b.b.Commit(opts)
	if cerr := b.b.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("kv: commit: %w", err)
	}
	return nil
}

func (b *pebbleBatch) Close() error {
	if b.done {
		return nil
	}
	b.done = true
	return b.b.Close()
}

type pebbleIter struct {
	it  *pebble.Iterator
	err error
}

func (i *pebbleIter) First() bool            { return i.it.First() }
func (i *pebbleIter) Last() bool             { return i.it.Last() }
func (i *pebbleIter) SeekGE(key []byte) bool { return i.it.SeekGE(key) }
func (i *pebbleIter) SeekLT(key []byte) bool { return i.it.SeekLT(key) }
func (i *pebbleIter) Next() bool             { return i.it.Next() }
func (i *pebbleIter) Prev() bool             { return i.it.Prev() }
func (i *pebbleIter) Valid() bool            { return i.it.Valid() }
func (i *pebbleIter) Key() []byte            { return i.it.Key() }

func (i *pebbleIter) Value() []byte {
	v, err := i.it.ValueAndErr()
	if err != nil && i.err == nil {
		i.err = fmt.Errorf("kv: value: %w", err)
	}
	return v
}

func (i *pebbleIter) Error() error {
	if i.err != nil {
		return i.err
	}
	return i.it.Error()
}

func (i *pebbleIter) Close() error { return i.it.Close() }

// quietLogger drops pebble's informational messages; errors still reach
// the standard logger and fatal ones stop the process, as pebble expects.
type quietLogger struct{}

func (quietLogger) Infof(string, ...any) {}
func (quietLogger) Errorf(format string, args ...any) {
	pebble.DefaultLogger.Errorf(format, args...)
}
func (quietLogger) Fatalf(format string, args ...any) {
	pebble.DefaultLogger.Fatalf(format, args...)
}
