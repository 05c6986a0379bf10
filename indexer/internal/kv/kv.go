// Package kv is the ordered key-value store under the index: a pebble
// database on disk or an ordered in-memory map, behind one small interface,
// so that one conformance suite runs against both.
//
// Concurrency: a Store's Get, NewIter, NewBatch and NewSnapshot may be called
// from any goroutine. A Batch, an Iterator and a Snapshot's iterators belong
// to one goroutine at a time; a Snapshot's Get may be called concurrently.
// The index above serialises commits, so a Store sees one Batch.Commit at a
// time, but the backends do not depend on it.
//
// kv imports pebble and nothing of receiptd's.
package kv

import "errors"

// ErrNotFound is returned by Get for a key that is absent.
var ErrNotFound = errors.New("kv: not found")

// ErrClosed is returned by every method of a closed Store, Snapshot or
// Batch.
var ErrClosed = errors.New("kv: closed")

// Reader reads keys in byte order.
type Reader interface {
	// Get returns a copy of the value of key, or ErrNotFound.
	Get(key []byte) ([]byte, error)
	// NewIter returns an unpositioned iterator over the keys in
	// [lower, upper); a nil bound is open.
	NewIter(lower, upper []byte) (Iterator, error)
}

// Iterator walks keys in byte order in both directions. Key and Value are
// valid until the next move; callers copy what they keep.
type Iterator interface {
	First() bool
	Last() bool
	// SeekGE moves to the first key ≥ key.
	SeekGE(key []byte) bool
	// SeekLT moves to the last key < key.
	SeekLT(key []byte) bool
	Next() bool
	Prev() bool
	Valid() bool
	Key() []byte
	Value() []byte
	// Error is the first error the iterator met.
	Error() error
	Close() error
}

// Batch collects writes that Commit applies atomically: after a crash
// either all of them or none are in the store. A batch is write-only.
type Batch interface {
	Set(key, value []byte) error
	Delete(key []byte) error
	// Len is the number of operations collected.
	Len() int
	// Commit applies the batch atomically and releases it. With sync the
	// write-ahead log reaches the disk before it returns. Without, the
	// batch is visible at once but durable only after a later synced
	// commit or Store.Sync: pebble keeps a partly filled log block in the
	// process, so a kill -9 as well as a power cut may lose it.
	Commit(sync bool) error
	// Close releases an uncommitted batch, discarding its writes. It is a
	// no-op after Commit.
	Close() error
}

// Snapshot is a consistent, immutable view of the store at one moment.
type Snapshot interface {
	Reader
	Close() error
}

// Store is a durable ordered key-value store.
type Store interface {
	Reader
	NewBatch() Batch
	NewSnapshot() (Snapshot, error)
	// Sync makes every batch committed so far durable.
	Sync() error
	Close() error
}
