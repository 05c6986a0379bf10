package indexer

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/rlp"

	"github.com/receiptd/receiptd/indexer/internal/kv"
)

// undoRecord restores the keys one block changed: for each, the value it
// had before the block, or its absence.
type undoRecord struct {
	Number  uint64
	Hash    common.Hash
	Entries []undoEntry
}

type undoEntry struct {
	Key     []byte
	Present bool
	Value   []byte
}

func (u *undoRecord) check() error {
	for i := 1; i < len(u.Entries); i++ {
		if string(u.Entries[i].Key) <= string(u.Entries[i-1].Key) {
			return errors.New("undo keys not ascending")
		}
	}
	return nil
}

// Commit indexes consensus block number with the given hash. Everything fn
// writes through w lands in one atomic batch (synced as
// Options.SyncInterval says) together with the progress record, the
// canonical hash of the block and an undo record; if fn fails or ctx ends
// first, nothing is written. number must follow the progress (0 on an
// empty index), else ErrOutOfOrder.
//
// Commit deletes the undo record that falls out of the retention window
// and the checkpoint one block older, so Rollback can go back
// Options.UndoRetention blocks and find the checkpoint it lands on.
func (ix *Index) Commit(ctx context.Context, number uint64, hash common.Hash, fn func(w *Writer) error) error {
	ix.commitMu.Lock()
	defer ix.commitMu.Unlock()
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("indexer: commit %d: %w", number, err)
	}
	store, err := ix.acquire()
	if err != nil {
		return err
	}
	defer ix.release()
	w := newWriter(store, number, hash)
	defer func() { w.done = true }()
	p, ok, err := w.Progress()
	if err != nil {
		return fmt.Errorf("indexer: commit %d: %w", number, err)
	}
	if want := p.Number + 1; (ok && number != want) || (!ok && number != 0) {
		if !ok {
			want = 0
		}
		return fmt.Errorf("%w: commit of block %d, the next is %d", ErrOutOfOrder, number, want)
	}
	if err := fn(w); err != nil {
		return fmt.Errorf("indexer: commit %d: %w", number, err)
	}
	if err := w.set(canonicalKey(number), hash[:]); err != nil {
		return err
	}
	if err := w.putRecord(keyProgress, &Progress{Number: number, Hash: hash}); err != nil {
		return err
	}
	if r := ix.opts.UndoRetention; number > r {
		if err := w.delete(checkpointKey(number - r - 1)); err != nil {
			return err
		}
	}
	keys, after, prior := w.changes()
	undo := undoRecord{Number: number, Hash: hash, Entries: make([]undoEntry, len(keys))}
	batch := store.NewBatch()
	defer batch.Close()
	for i, k := range keys {
		undo.Entries[i] = undoEntry{Key: []byte(k), Present: prior[i].present, Value: prior[i].value}
		if after[i].present {
			err = batch.Set([]byte(k), after[i].value)
		} else {
			err = batch.Delete([]byte(k))
		}
		if err != nil {
			return fmt.Errorf("indexer: commit %d: %w", number, err)
		}
	}
	b, err := rlp.EncodeToBytes(&undo)
	if err != nil {
		return fmt.Errorf("indexer: commit %d: encode undo: %w", number, err)
	}
	if err := batch.Set(undoKey(number), append([]byte{recordVersion}, b...)); err != nil {
		return fmt.Errorf("indexer: commit %d: %w", number, err)
	}
	if r := ix.opts.UndoRetention; number >= r {
		if err := batch.Delete(undoKey(number - r)); err != nil {
			return fmt.Errorf("indexer: commit %d: %w", number, err)
		}
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("indexer: commit %d: %w", number, err)
	}
	if err := ix.apply(batch); err != nil {
		return fmt.Errorf("indexer: commit %d: %w", number, err)
	}
	return nil
}

// Rollback undoes the committed blocks above to, newest first, in one
// atomic batch: afterwards the index is what it was right after block to
// was committed (progress included), except that undo records the window
// has already dropped are not restored. Rolling back more than
// Options.UndoRetention blocks fails with ErrRollbackTooDeep and changes
// nothing. Rollback to the progress itself is a no-op.
func (ix *Index) Rollback(ctx context.Context, to uint64) error {
	ix.commitMu.Lock()
	defer ix.commitMu.Unlock()
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("indexer: rollback to %d: %w", to, err)
	}
	store, err := ix.acquire()
	if err != nil {
		return err
	}
	defer ix.release()
	p, ok, err := (view{g: snapGetter{store}}).Progress()
	switch {
	case err != nil:
		return fmt.Errorf("indexer: rollback to %d: %w", to, err)
	case !ok || to > p.Number:
		return fmt.Errorf("%w: rollback to %d, progress is %d (committed: %v)", ErrOutOfOrder, to, p.Number, ok)
	case to == p.Number:
		return nil
	case p.Number-to > ix.opts.UndoRetention:
		return fmt.Errorf("%w: rollback of %d blocks, the window is %d", ErrRollbackTooDeep, p.Number-to, ix.opts.UndoRetention)
	}
	restore := map[string]undoEntry{}
	batch := store.NewBatch()
	defer batch.Close()
	for n := p.Number; n > to; n-- {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("indexer: rollback to %d: %w", to, err)
		}
		u, err := readUndo(store, n)
		if err != nil {
			return fmt.Errorf("indexer: rollback to %d: %w", to, err)
		}
		for _, e := range u.Entries {
			restore[string(e.Key)] = e // older blocks overwrite newer ones
		}
		if err := batch.Delete(undoKey(n)); err != nil {
			return fmt.Errorf("indexer: rollback to %d: %w", to, err)
		}
	}
	keys := make([]string, 0, len(restore))
	for k := range restore {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if e := restore[k]; e.Present {
			err = batch.Set(e.Key, e.Value)
		} else {
			err = batch.Delete(e.Key)
		}
		if err != nil {
			return fmt.Errorf("indexer: rollback to %d: %w", to, err)
		}
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("indexer: rollback to %d: %w", to, err)
	}
	if err := ix.apply(batch); err != nil {
		return fmt.Errorf("indexer: rollback to %d: %w", to, err)
	}
	return nil
}

// apply commits batch inside a generation: the generation is odd while
// the batch is being applied and even again, one higher, when it is done,
// whether or not it applied. The caller holds commitMu.
func (ix *Index) apply(batch kv.Batch) error {
	ix.gen.Add(1)
	defer ix.gen.Add(1)
	return batch.Commit(ix.syncDue())
}

func readUndo(store kv.Reader, n uint64) (*undoRecord, error) {
	key := undoKey(n)
	b, err := store.Get(key)
	if errors.Is(err, kv.ErrNotFound) {
		return nil, fmt.Errorf("%w: no undo record for block %d", ErrRollbackTooDeep, n)
	}
	if err != nil {
		return nil, err
	}
	u := new(undoRecord)
	if err := decodeRecord(key, b, u); err != nil {
		return nil, err
	}
	if u.Number != n {
		return nil, corrupt(key, "undo record of block %d", u.Number)
	}
	if h, err := (view{g: snapGetter{store}}).CanonicalHash(n); err != nil || h != u.Hash {
		return nil, errors.Join(corrupt(key, "undo record of %s, canonical hash %s", u.Hash, h), err)
	}
	return u, nil
}

// syncDue reports whether this commit should sync the log to disk: every
// commit when Options.SyncInterval is 0, else once the last sync is older
// than the interval. The caller holds commitMu.
func (ix *Index) syncDue() bool {
	if ix.opts.SyncInterval <= 0 {
		return true
	}
	if now := time.Now(); now.Sub(ix.lastSync) >= ix.opts.SyncInterval {
		ix.lastSync, ix.unsynced = now, false
		return true
	}
	ix.unsynced = true
	return false
}
