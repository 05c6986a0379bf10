package indexer

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/ethereum/go-ethereum/common"

	"github.com/receiptd/receiptd/indexer/internal/kv"
)

// Reader reads one consistent snapshot of the index: what the newest Commit
// or Rollback before Reader() left, whatever is committed after. A GraphQL
// request opens one Reader and closes it when done.
//
// Concurrency: a Reader's methods may be called from several goroutines at
// once. Close waits for calls in flight; calls after it return ErrClosed.
type Reader struct {
	view
	ix *Index
	mu struct {
		sync.RWMutex
		closed bool
	}
	snap kv.Snapshot
	// records is the index's decoded-record cache for a shared Reader,
	// nil for others.
	records *recordCache
	// gen and genOK: see Generation.
	gen   uint64
	genOK bool
}

// Reader opens a snapshot of the index. The caller must Close it.
func (ix *Index) Reader() (*Reader, error) { return ix.reader(nil) }

// SharedReader is Reader, except that the records it returns may be
// shared with other SharedReaders, now and later: the caller must not
// modify them. Records are decoded once and kept (bounded) while their
// stored bytes stay the same, so readers that only read, as GraphQL
// requests do, skip decoding records read before. Each read still goes to
// the snapshot.
func (ix *Index) SharedReader() (*Reader, error) { return ix.reader(ix.records) }

func (ix *Index) reader(records *recordCache) (*Reader, error) {
	store, err := ix.acquire()
	if err != nil {
		return nil, err
	}
	defer ix.release()
	before := ix.gen.Load()
	snap, err := store.NewSnapshot()
	if err != nil {
		return nil, fmt.Errorf("indexer: snapshot: %w", err)
	}
	r := &Reader{ix: ix, snap: snap, records: records, gen: before}
	r.genOK = before%2 == 0 && ix.gen.Load() == before
	r.view = view{g: lockedGetter{r}}
	ix.readersMu.Lock()
	ix.readers[r] = struct{}{}
	ix.readersMu.Unlock()
	return r, nil
}

// Generation identifies the state r reads: two Readers of one Index with
// the same generation, both ok, read the same state, and a Commit or
// Rollback between them changes it. ok is false when a Commit or Rollback
// was being applied while r's snapshot was taken, so r cannot tell which
// side of it the snapshot saw. Generations start at 0 each time the index
// is opened: they identify states within one process, for caches of what
// was read, and mean nothing on disk.
func (r *Reader) Generation() (gen uint64, ok bool) { return r.gen, r.genOK }

// Generation is the generation of the index's state now (see
// Reader.Generation); ok is false while a Commit or Rollback is being
// applied. It opens no snapshot.
func (ix *Index) Generation() (gen uint64, ok bool) {
	g := ix.gen.Load()
	return g, g%2 == 0
}

// Close releases the snapshot. It is safe to call twice.
func (r *Reader) Close() error {
	err := r.closeSnapshot()
	r.ix.readersMu.Lock()
	delete(r.ix.readers, r)
	r.ix.readersMu.Unlock()
	return err
}

func (r *Reader) closeSnapshot() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.mu.closed {
		return nil
	}
	r.mu.closed = true
	return r.snap.Close()
}

// enter holds the Reader open for one call; the caller must call r.leave.
func (r *Reader) enter() error {
	r.mu.RLock()
	if r.mu.closed {
		r.mu.RUnlock()
		return ErrClosed
	}
	return nil
}

func (r *Reader) leave() { r.mu.RUnlock() }

// inner is the view for code that already entered the Reader.
func (r *Reader) inner() view {
	if r.records != nil {
		return view{g: cachedSnapGetter{snapGetter{r.snap}, r.records}}
	}
	return view{g: snapGetter{r.snap}}
}

type snapGetter struct{ s kv.Reader }

func (g snapGetter) get(key []byte) ([]byte, error) { return g.s.Get(key) }

// cachedSnapGetter is snapGetter with the shared Reader's record cache.
type cachedSnapGetter struct {
	snapGetter
	c *recordCache
}

func (g cachedSnapGetter) records() *recordCache { return g.c }

// lockedGetter is the getter of the Reader's exported point lookups: each
// read enters the Reader.
type lockedGetter struct{ r *Reader }

func (g lockedGetter) records() *recordCache { return g.r.records }

func (g lockedGetter) get(key []byte) ([]byte, error) {
	if err := g.r.enter(); err != nil {
		return nil, err
	}
	defer g.r.leave()
	return g.r.snap.Get(key)
}

// Txs returns every occurrence of the transaction with hash h, oldest
// first; ErrNotFound if there is none. The included one, if any, has
// Fate.Kind TxIncluded.
func (r *Reader) Txs(h common.Hash) ([]*TxRecord, error) {
	keys, err := r.txKeys(h)
	if err != nil {
		return nil, fmt.Errorf("indexer: txs %s: %w", h, err)
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("%w: tx %s", ErrNotFound, h)
	}
	return loadSorted[TxRecord](r, keys, "tx")
}

// txKeys are the keys of the occurrences of transaction h, in key order
// (oldest first), from its hash index.
func (r *Reader) txKeys(h common.Hash) ([][]byte, error) {
	if err := r.enter(); err != nil {
		return nil, err
	}
	defer r.leave()
	p := newKey(pIndex, ixTxByHash).hash(h)
	it, err := r.snap.NewIter(p, prefixEnd(p))
	if err != nil {
		return nil, err
	}
	var keys [][]byte
	for ok := it.First(); ok; ok = it.Next() {
		k := it.Key()
		if len(k) != len(p)+txSuffixLen-common.HashLength {
			return nil, errors.Join(corrupt(k, "tx hash index key of %d bytes", len(k)), it.Close())
		}
		keys = append(keys, append(append([]byte{pTx}, k[len(p):]...), h[:]...))
	}
	return keys, errors.Join(it.Error(), it.Close())
}

// loadSorted reads the records stored at keys, each of which an index
// entry names, through one iterator walked in key order: records that sit
// together on disk, as a domain block's transactions do (doc.go), come
// from the same blocks without a point lookup each. out[i] is the record
// at keys[i]; a key with no record is corruption.
func loadSorted[T any, P interface {
	*T
	record
}](r *Reader, keys [][]byte, what string) ([]*T, error) {
	out := make([]*T, len(keys))
	if len(keys) == 0 {
		return out, nil
	}
	order := make([]int, len(keys))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return bytes.Compare(keys[a], keys[b]) })
	if err := r.enter(); err != nil {
		return nil, err
	}
	defer r.leave()
	last := keys[order[len(order)-1]]
	it, err := r.snap.NewIter(keys[order[0]], append(slices.Clip(last), 0))
	if err != nil {
		return nil, fmt.Errorf("indexer: read %ss: %w", what, err)
	}
	g := r.inner().g
	for _, i := range order {
		k := keys[i]
		if !it.SeekGE(k) || !bytes.Equal(it.Key(), k) {
			if err := errors.Join(it.Error(), it.Close()); err != nil {
				return nil, fmt.Errorf("indexer: read %s: %w", what, err)
			}
			return nil, corrupt(k, "%s is indexed but not stored", what)
		}
		if out[i], err = decodeCached[T, P](g, k, bytes.Clone(it.Value())); err != nil {
			return nil, errors.Join(err, it.Close())
		}
	}
	if err := errors.Join(it.Error(), it.Close()); err != nil {
		return nil, fmt.Errorf("indexer: read %ss: %w", what, err)
	}
	return out, nil
}

// Tx returns the occurrence of transaction h that explorers show: the
// included one, else the newest.
func (r *Reader) Tx(h common.Hash) (*TxRecord, error) {
	all, err := r.Txs(h)
	if err != nil {
		return nil, err
	}
	for _, tx := range all {
		if tx.Fate.Kind == TxIncluded {
			return tx, nil
		}
	}
	return all[len(all)-1], nil
}
