package indexer

import (
	"errors"
	"fmt"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// Options configure Open. The zero value is usable: EnsureDefaults fills
// every unset field.
type Options struct {
	// UndoRetention is how many of the newest blocks keep an undo record,
	// that is the deepest Rollback possible. It must cover the deepest reorg
	// the followed chain can make. Default 256.
	UndoRetention uint64
	// CacheBytes is pebble's block cache. Default 64 MiB.
	CacheBytes int64
	// SyncInterval bounds how long a committed block may wait for its
	// write-ahead log to reach the disk. 0 (the default) syncs every commit.
	// Otherwise a commit syncs when the last sync is older than the
	// interval, and a background sync catches the commits a quiet chain
	// leaves unsynced. Either way every commit is atomic; a crash (kill -9
	// too: pebble keeps a partly filled log block in the process) or a
	// power cut loses at most the commits of the last interval, and a
	// restart resumes after the last durable one, so the index is always a
	// committed prefix. receiptd run uses 1s, which spares an fsync per
	// block while catching up.
	SyncInterval time.Duration
	// FS is the filesystem pebble uses. Default (nil): the operating
	// system's. Crash tests pass vfs.NewCrashableMem().
	FS vfs.FS
}

// Defaults of Options.
const (
	DefaultUndoRetention = 256
	DefaultCacheBytes    = 64 << 20
)

// EnsureDefaults returns o with every unset field set to its default.
func (o Options) EnsureDefaults() Options {
	if o.UndoRetention == 0 {
		o.UndoRetention = DefaultUndoRetention
	}
	if o.CacheBytes == 0 {
		o.CacheBytes = DefaultCacheBytes
	}
	return o
}

// Validate reports every problem of o at once.
func (o Options) Validate() error {
	var errs []error
	if o.UndoRetention == 0 {
		errs = append(errs, errors.New("undo retention must be at least 1 block"))
	}
	if o.CacheBytes < 0 {
		errs = append(errs, fmt.Errorf("cache bytes %d is negative", o.CacheBytes))
	}
	if len(errs) > 0 {
		return fmt.Errorf("indexer: invalid options: %w", errors.Join(errs...))
	}
	return nil
}
