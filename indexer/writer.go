package indexer

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	"github.com/ethereum/go-ethereum/common"

	"github.com/receiptd/receiptd/indexer/internal/kv"
)

// Writer collects the writes of one consensus block. It exists only inside
// the function given to Commit and belongs to the goroutine running it.
// Its reads (the embedded point lookups; listings are the Reader's) see the
// committed index with this block's earlier writes applied.
type Writer struct {
	view
	store  kv.Store
	number uint64
	hash   common.Hash
	// pending holds every key this block wrote, with its new value (nil:
	// deleted); before holds the value each had before the block.
	pending map[string]pendingValue
	before  map[string]pendingValue
	done    bool
}

type pendingValue struct {
	value   []byte
	present bool
}

func newWriter(store kv.Store, number uint64, hash common.Hash) *Writer {
	w := &Writer{
		store:   store,
		number:  number,
		hash:    hash,
		pending: map[string]pendingValue{},
		before:  map[string]pendingValue{},
	}
	w.view = view{g: w}
	return w
}

// Number is the consensus block being committed.
func (w *Writer) Number() uint64 { return w.number }

// Hash is the hash of the consensus block being committed.
func (w *Writer) Hash() common.Hash { return w.hash }

// get implements getter: pending writes first, then the committed value
// the block already read, then the store.
func (w *Writer) get(key []byte) ([]byte, error) {
	if w.done {
		return nil, ErrClosed
	}
	p, ok := w.pending[string(key)]
	if !ok {
		var err error
		if p, err = w.committed(key); err != nil {
			return nil, err
		}
	}
	if !p.present {
		return nil, kv.ErrNotFound
	}
	return bytes.Clone(p.value), nil
}

// committed returns the value key had before the block, reading the store
// the first time the block asks: a block reads a key (to replace a record,
// to add to a counter) before it writes it, and the undo record needs the
// same value, so each key costs one store read per block.
func (w *Writer) committed(key []byte) (pendingValue, error) {
	if b, ok := w.before[string(key)]; ok {
		return b, nil
	}
	v, err := w.store.Get(key)
	var b pendingValue
	switch {
	case errors.Is(err, kv.ErrNotFound):
	case err != nil:
		return b, fmt.Errorf("indexer: read %x: %w", key, err)
	default:
		b = pendingValue{value: v, present: true}
	}
	w.before[string(key)] = b
	return b, nil
}

// remember records the committed value of key the first time the block
// touches it; that is what the undo record restores.
func (w *Writer) remember(key []byte) error {
	_, err := w.committed(key)
	return err
}

func (w *Writer) set(key, value []byte) error {
	if value == nil {
		value = []byte{}
	}
	return w.setOwned(key, bytes.Clone(value))
}

// setOwned is set for a value nothing else holds, such as a fresh
// encoding: it is kept without a copy.
func (w *Writer) setOwned(key, value []byte) error {
	if w.done {
		return ErrClosed
	}
	if err := w.remember(key); err != nil {
		return err
	}
	w.pending[string(key)] = pendingValue{value: value, present: true}
	return nil
}

func (w *Writer) delete(key []byte) error {
	if w.done {
		return ErrClosed
	}
	if err := w.remember(key); err != nil {
		return err
	}
	w.pending[string(key)] = pendingValue{}
	return nil
}

func (w *Writer) putRecord(key []byte, r record) error {
	b, err := encodeRecord(r)
	if err != nil {
		return err
	}
	return w.setOwned(key, b)
}

// addCounter adds delta to the counter at key; a counter that reaches zero
// is deleted, so an index holds the same keys however it got there.
func (w *Writer) addCounter(key []byte, delta int64) error {
	n, err := readCounter(w, key)
	if err != nil {
		return err
	}
	switch {
	case delta < 0 && n < uint64(-delta):
		return corrupt(key, "counter %d decremented by %d", n, -delta)
	case delta < 0:
		n -= uint64(-delta)
	default:
		n += uint64(delta)
	}
	if n == 0 {
		return w.delete(key)
	}
	return w.set(key, binary.BigEndian.AppendUint64(nil, n))
}

func readCounter(g getter, key []byte) (uint64, error) {
	b, err := g.get(key)
	if errors.Is(err, kv.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	if len(b) != 8 {
		return 0, corrupt(key, "counter of %d bytes", len(b))
	}
	return be64(b), nil
}

// reindex moves a record's secondary entries and counters from what the old
// version needs to what the new one needs. old is empty for a new record.
func (w *Writer) reindex(old, new indexSet) error {
	keep := map[string]bool{}
	for _, e := range new.entries {
		keep[string(e.key)] = true
		if err := w.set(e.key, e.value); err != nil {
			return err
		}
	}
	for _, e := range old.entries {
		if !keep[string(e.key)] {
			if err := w.delete(e.key); err != nil {
				return err
			}
		}
	}
	counts := map[string]int64{}
	for _, k := range old.counters {
		counts[string(k)]--
	}
	for _, k := range new.counters {
		counts[string(k)]++
	}
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	slices.Sort(keys) // deterministic order of reads and errors
	for _, k := range keys {
		if d := counts[k]; d != 0 {
			if err := w.addCounter([]byte(k), d); err != nil {
				return err
			}
		}
	}
	return nil
}

// changes lists the keys whose value the block changes, in key order, with
// the new value and the old one. Keys written back to their old value are
// left out, so they neither reach the batch nor the undo record.
func (w *Writer) changes() (keys []string, after, prior []pendingValue) {
	for k, p := range w.pending {
		b := w.before[k]
		if p.present == b.present && bytes.Equal(p.value, b.value) {
			continue
		}
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		after = append(after, w.pending[k])
		prior = append(prior, w.before[k])
	}
	return keys, after, prior
}
