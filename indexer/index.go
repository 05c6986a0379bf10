package indexer

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"github.com/receiptd/receiptd/indexer/internal/kv"
)

// SchemaVersion is the key layout and record encoding this package writes.
// An index of another version is refused with ErrSchemaVersion. Version 2
// stores transaction occurrences in chain order (doc.go).
const SchemaVersion = 2

// Index is receiptd's index of the followed chain.
//
// Concurrency: Commit and Rollback may be called from any goroutine and are
// serialised (one writer at a time); Reader, Digest and Dump may run
// concurrently with them and with each other, each reading one snapshot.
// Close waits for calls in flight.
type Index struct {
	opts Options
	// commitMu serialises Commit and Rollback, and guards lastSync and
	// unsynced (a commit since lastSync is not durable yet).
	commitMu sync.Mutex
	lastSync time.Time
	unsynced bool
	// syncer makes unsynced commits durable when SyncInterval passes with
	// no commit to do it (syncLoop); nil without a sync interval.
	syncer *syncer
	mu     struct {
		// RWMutex: every call holds it shared while it uses the store; Close
		// holds it exclusively.
		sync.RWMutex
		store  kv.Store
		closed bool
	}
	// readersMu guards readers, the Readers not yet closed. Lock order:
	// mu, then readersMu, then a Reader's own mutex.
	readersMu sync.Mutex
	readers   map[*Reader]struct{}
	// records caches decoded records for SharedReaders.
	records *recordCache
	// gen counts the batches Commit and Rollback applied, as a seqlock:
	// odd while one is being applied (see apply), even otherwise. A Reader
	// whose snapshot was taken with gen even and unchanged around it knows
	// exactly which state it reads (Reader.Generation).
	gen atomic.Uint64
}

// Open opens, creating if needed, the index in dir.
func Open(dir string, opts Options) (*Index, error) {
	opts = opts.EnsureDefaults()
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	store, err := kv.OpenPebble(dir, kv.PebbleOptions{CacheBytes: opts.CacheBytes, FS: opts.FS})
	if err != nil {
		return nil, fmt.Errorf("indexer: %w", err)
	}
	return open(store, opts)
}

// OpenMemory returns an empty index held in memory, for tests and tools.
func OpenMemory(opts Options) (*Index, error) {
	opts = opts.EnsureDefaults()
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	return open(kv.NewMemory(), opts)
}

func open(store kv.Store, opts Options) (*Index, error) {
	if err := checkSchema(store); err != nil {
		return nil, errors.Join(err, store.Close())
	}
	ix := &Index{opts: opts, records: newRecordCache()}
	ix.mu.store = store
	ix.readers = map[*Reader]struct{}{}
	if opts.SyncInterval > 0 {
		ix.syncer = &syncer{done: make(chan struct{})}
		ix.syncer.wg.Add(1)
		go ix.syncLoop()
	}
	return ix, nil
}

type syncer struct {
	done chan struct{}
	once sync.Once
	wg   sync.WaitGroup
	err  error // the last failed sync, reported by Close
}

// syncLoop syncs the log every SyncInterval if a commit since the last
// sync is not durable, so that the interval bounds what a crash loses
// even when the chain goes quiet. It stops with Close.
func (ix *Index) syncLoop() {
	defer ix.syncer.wg.Done()
	t := time.NewTicker(ix.opts.SyncInterval)
	defer t.Stop()
	for {
		select {
		case <-ix.syncer.done:
			return
		case <-t.C:
		}
		ix.commitMu.Lock()
		if ix.unsynced { // a commit since the last tick, at most an interval ago, did not sync

			if store, err := ix.acquire(); err == nil {
				ix.syncer.err = store.Sync()
				ix.release()
				ix.lastSync, ix.unsynced = time.Now(), ix.syncer.err != nil
			}
		}
		ix.commitMu.Unlock()
	}
}

// checkSchema writes the version into an empty store and checks it in any
// other.
func checkSchema(store kv.Store) error {
	b, err := store.Get(keySchema)
	if errors.Is(err, kv.ErrNotFound) {
		it, err := store.NewIter(nil, nil)
		if err != nil {
			return fmt.Errorf("indexer: %w", err)
		}
		nonEmpty := it.First()
		if err := errors.Join(it.Error(), it.Close()); err != nil {
			return fmt.Errorf("indexer: %w", err)
		}
		if nonEmpty {
			return fmt.Errorf("%w: the store holds keys but no schema version, want %d", ErrSchemaVersion, SchemaVersion)
		}
		batch := store.NewBatch()
		if err := batch.Set(keySchema, binary.BigEndian.AppendUint32(nil, SchemaVersion)); err != nil {
			return fmt.Errorf("indexer: %w", err)
		}
		if err := batch.Commit(true); err != nil {
			return fmt.Errorf("indexer: write schema version: %w", err)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("indexer: read schema version: %w", err)
	}
	if len(b) != 4 {
		return fmt.Errorf("%w: found a %d-byte version %x, want %d", ErrSchemaVersion, len(b), b, SchemaVersion)
	}
	if v := binary.BigEndian.Uint32(b); v != SchemaVersion {
		return fmt.Errorf("%w: found %d, want %d (the index is derived from the chain: rebuild it by following the chain from an empty data directory)", ErrSchemaVersion, v, SchemaVersion)
	}
	return nil
}

// PebbleMetrics returns the statistics of the pebble database under the
// index, for metrics.NewPebbleCollector: nil for an index in memory or one
// already closed. Any goroutine may call it.
func (ix *Index) PebbleMetrics() *pebble.Metrics {
	store, err := ix.acquire()
	if err != nil {
		return nil
	}
	defer ix.release()
	if p, ok := store.(interface{ Metrics() *pebble.Metrics }); ok {
		return p.Metrics()
	}
	return nil
}

// Options are the options the index runs with, defaults filled.
func (ix *Index) Options() Options { return ix.opts }

// acquire returns the store, held shared until release is called.
func (ix *Index) acquire() (kv.Store, error) {
	ix.mu.RLock()
	if ix.mu.closed {
		ix.mu.RUnlock()
		return nil, ErrClosed
	}
	return ix.mu.store, nil
}

func (ix *Index) release() { ix.mu.RUnlock() }

// Progress is the newest committed consensus block; ok is false when
// nothing is committed.
func (ix *Index) Progress() (p Progress, ok bool, err error) {
	r, err := ix.Reader()
	if err != nil {
		return Progress{}, false, err
	}
	defer r.Close()
	return r.Progress()
}

// Close closes the index. Readers still open are closed with it and Close
// reports how many there were, as pebble reports leaked snapshots. It is
// safe to call twice; the second call returns nil.
func (ix *Index) Close() error {
	if ix.syncer != nil {
		ix.syncer.once.Do(func() { close(ix.syncer.done) })
		ix.syncer.wg.Wait()
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if ix.mu.closed {
		return nil
	}
	ix.mu.closed = true
	var errs []error
	ix.readersMu.Lock()
	if n := len(ix.readers); n > 0 {
		errs = append(errs, fmt.Errorf("indexer: %d readers still open at Close", n))
		for r := range ix.readers {
			errs = append(errs, r.closeSnapshot())
		}
		clear(ix.readers)
	}
	ix.readersMu.Unlock()
	// With a sync interval the last commits may not be durable yet.
	if ix.syncer != nil && ix.syncer.err != nil {
		errs = append(errs, fmt.Errorf("indexer: background sync: %w", ix.syncer.err))
	}
	errs = append(errs, ix.mu.store.Sync(), ix.mu.store.Close())
	return errors.Join(errs...)
}
