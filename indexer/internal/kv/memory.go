package kv

import (
	"bytes"
	"slices"
	"sort"
	"sync"
)

// Memory is an in-memory Store: a sorted slice that is never modified once
// published. A commit builds a new slice (O(n)), so a snapshot is a pointer
// copy and readers never block writers. It is meant for tests and small
// indexes, not for a long-running node.
type Memory struct {
	mu struct {
		sync.RWMutex
		data   []entry
		closed bool
	}
}

type entry struct{ key, value []byte }

var _ Store = (*Memory)(nil)

// NewMemory returns an empty in-memory store.
func NewMemory() *Memory { return new(Memory) }

func (m *Memory) current() ([]entry, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.mu.closed {
		return nil, ErrClosed
	}
	return m.mu.data, nil
}

// Get implements Reader.
func (m *Memory) Get(key []byte) ([]byte, error) {
	data, err := m.current()
	if err != nil {
		return nil, err
	}
	return memGet(data, key)
}

// NewIter implements Reader.
func (m *Memory) NewIter(lower, upper []byte) (Iterator, error) {
	data, err := m.current()
	if err != nil {
		return nil, err
	}
	return newMemIter(data, lower, upper), nil
}

// NewSnapshot implements Store.
func (m *Memory) NewSnapshot() (Snapshot, error) {
	data, err := m.current()
	if err != nil {
		return nil, err
	}
	return &memSnapshot{data: data}, nil
}

// NewBatch implements Store.
func (m *Memory) NewBatch() Batch { return &memBatch{m: m} }

// Sync implements Store: memory has nothing to make durable.
func (m *Memory) Sync() error { return nil }

// Close implements Store. It is safe to call twice.
func (m *Memory) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.mu.closed, m.mu.data = true, nil
	return nil
}

func (m *Memory) apply(ops map[string]*[]byte) error {
	keys := make([]string, 0, len(ops))
	for k := range ops {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.mu.closed {
		return ErrClosed
	}
	old := m.mu.data
	merged := make([]entry, 0, len(old)+len(keys))
	i := 0
	for _, k := range keys {
		for i < len(old) && string(old[i].key) < k {
			merged = append(merged, old[i])
			i++
		}
		if i < len(old) && string(old[i].key) == k {
			i++
		}
		if v := ops[k]; v != nil {
			merged = append(merged, entry{key: []byte(k), value: *v})
		}
	}
	merged = append(merged, old[i:]...)
	m.mu.data = merged
	return nil
}

func memGet(data []entry, key []byte) ([]byte, error) {
	i := sort.Search(len(data), func(i int) bool { return bytes.Compare(data[i].key, key) >= 0 })
	if i < len(data) && bytes.Equal(data[i].key, key) {
		return bytes.Clone(data[i].value), nil
	}
	return nil, ErrNotFound
}

type memSnapshot struct {
	mu     sync.RWMutex
	data   []entry
	closed bool
}

func (s *memSnapshot) view() ([]entry, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, ErrClosed
	}
	return s.data, nil
}

func (s *memSnapshot) Get(key []byte) ([]byte, error) {
	data, err := s.view()
	if err != nil {
		return nil, err
	}
	return memGet(data, key)
}

func (s *memSnapshot) NewIter(lower, upper []byte) (Iterator, error) {
	data, err := s.view()
	if err != nil {
		return nil, err
	}
	return newMemIter(data, lower, upper), nil
}

func (s *memSnapshot) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed, s.data = true, nil
	return nil
}

type memBatch struct {
	m    *Memory
	ops  map[string]*[]byte // nil value: delete
	n    int
	done bool
}

func (b *memBatch) Set(key, value []byte) error {
	if b.done {
		return ErrClosed
	}
	if b.ops == nil {
		b.ops = map[string]*[]byte{}
	}
	v := bytes.Clone(value)
	if v == nil {
		v = []byte{}
	}
	b.ops[string(key)] = &v
	b.n++
	return nil
}

func (b *memBatch) Delete(key []byte) error {
	if b.done {
		return ErrClosed
	}
	if b.ops == nil {
		b.ops = map[string]*[]byte{}
	}
	b.ops[string(key)] = nil
	b.n++
	return nil
}

func (b *memBatch) Len() int { return b.n }

func (b *memBatch) Commit(bool) error {
	if b.done {
		return ErrClosed
	}
	b.done = true
	return b.m.apply(b.ops)
}

func (b *memBatch) Close() error {
	b.done, b.ops = true, nil
	return nil
}

// memIter iterates over data[lo:hi]; pos outside it is invalid.
type memIter struct {
	data     []entry
	lo, hi   int
	pos      int
	closed   bool
	firstErr error
}

func newMemIter(data []entry, lower, upper []byte) *memIter {
	it := &memIter{data: data, hi: len(data), pos: -1}
	if lower != nil {
		it.lo = sort.Search(len(data), func(i int) bool { return bytes.Compare(data[i].key, lower) >= 0 })
	}
	if upper != nil {
		it.hi = sort.Search(len(data), func(i int) bool { return bytes.Compare(data[i].key, upper) >= 0 })
	}
	if it.hi < it.lo {
		it.hi = it.lo
	}
	return it
}

func (it *memIter) set(pos int) bool {
	if it.closed {
		it.firstErr = ErrClosed
		it.pos = -1
		return false
	}
	it.pos = pos
	return it.Valid()
}

func (it *memIter) First() bool { return it.set(it.lo) }
func (it *memIter) Last() bool  { return it.set(it.hi - 1) }

func (it *memIter) SeekGE(key []byte) bool {
	i := sort.Search(it.hi-it.lo, func(i int) bool { return bytes.Compare(it.data[it.lo+i].key, key) >= 0 })
	return it.set(it.lo + i)
}

func (it *memIter) SeekLT(key []byte) bool {
	i := sort.Search(it.hi-it.lo, func(i int) bool { return bytes.Compare(it.data[it.lo+i].key, key) >= 0 })
	return it.set(it.lo + i - 1)
}

func (it *memIter) Next() bool {
	if !it.Valid() {
		return false
	}
	return it.set(it.pos + 1)
}

func (it *memIter) Prev() bool {
	if !it.Valid() {
		return false
	}
	return it.set(it.pos - 1)
}

func (it *memIter) Valid() bool   { return !it.closed && it.pos >= it.lo && it.pos < it.hi }
func (it *memIter) Key() []byte   { return it.data[it.pos].key }
func (it *memIter) Value() []byte { return it.data[it.pos].value }
func (it *memIter) Error() error  { return it.firstErr }

func (it *memIter) Close() error {
	it.closed = true
	return nil
}
