package verifier

import (
	"errors"

	"fmt"
	"github.com/ethereum/go-ethereum/common"
	"log/slog"
	"runtime"
	"time"
)

// Config tunes the follower. Zero fields take the documented defaults.
type Config struct {
	// Workers bounds the goroutines that recover senders and check BLS
	// signatures. Default GOMAXPROCS.
	Workers int
	// Lookahead is how many consensus blocks are fetched and prepared
	// (decoded, senders recovered, signatures checked) ahead of the one
	// executing. Default 8: enough to hide a WebSocket round trip and the
	// signature checks behind execution on two cores, small enough that a
	// reorg wastes little.
	Lookahead int
	// FlushEvery writes the domain state to disk every this many domain
	// blocks, bounding what a restart after a crash re-executes. Default 32.
	FlushEvery uint64
	// PruneEvery deletes from disk, every this many flushes of a domain's
	// state, the domain state no restart or reorg can open any more (what
	// is kept: verifier/prune.go; how: domain.StateStore.Prune). It runs
	// on the follower's goroutine after the block and holds up the next one
	// for as long as it takes, a walk of the kept states and of the keys on
	// disk: 0.25-1.5 s per domain on the bench's 2-domain chain (53,000 to
	// 161,000 live trie nodes). Default 32: every 1,024 domain blocks at
	// the default FlushEvery, a few percent of a catching-up follower's
	// time; disk between prunes grows by 32 flushed states' changes.
	PruneEvery uint64
	// CheckpointEvery stores the follower's in-memory state in the index
	// every this many consensus blocks; a restart replays the blocks after
	// the newest checkpoint from the index. Default 16.
	CheckpointEvery uint64
	// ReorgWindow is the number of recent consensus blocks kept in memory
	// for rollback; deeper reorgs restore from a checkpoint. Default 128.
	ReorgWindow int
	// PollInterval is how often the head is polled when the source sends no
	// notification. Default 500ms.
	PollInterval time.Duration
	// RetryBackoff is the first wait after a source error; it doubles up to
	// MaxBackoff. Defaults 200ms and 10s.
	RetryBackoff, MaxBackoff time.Duration
	// Logger receives the follower's logs. Default slog.Default().
	Logger *slog.Logger
	// Challenge says whether bad receipts are proved (and submitted).
	// Default ChallengeOff.
	Challenge ChallengeMode
	// OnCommit, when set, is called after each block's records are
	// committed, in block order, on the goroutine that writes the index
	// (live subscriptions, benchmarks). It must not block for long and must
	// not modify the update.
	OnCommit func(u *BlockUpdate)
	// OnProofSubmitted, when set, is called on the challenger's goroutine
	// after a proof against receipt bad was handed to the chain.
	OnProofSubmitted func(bad common.Hash)
	// OnRollback, when set, is called after a rollback to block ancestor.
	OnRollback func(ancestor uint64, depth int)
}

// EnsureDefaults fills in zero fields.
func (c *Config) EnsureDefaults() {
	if c.Workers <= 0 {
		c.Workers = runtime.GOMAXPROCS(0)
	}
	if c.Lookahead <= 0 {
		c.Lookahead = 8
	}
	if c.FlushEvery == 0 {
		c.FlushEvery = 32
	}
	if c.CheckpointEvery == 0 {
		c.CheckpointEvery = 16
	}
	if c.PruneEvery == 0 {
		c.PruneEvery = 32
	}
	if c.ReorgWindow <= 0 {
		c.ReorgWindow = 128
	}
	if c.PollInterval <= 0 {
		c.PollInterval = 500 * time.Millisecond
	}
	if c.RetryBackoff <= 0 {
		c.RetryBackoff = 200 * time.Millisecond
	}
	if c.MaxBackoff <= 0 {
		c.MaxBackoff = 10 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// Validate reports every problem at once.
func (c *Config) Validate() error {
	var errs []error
	if c.Workers > 1024 {
		errs = append(errs, fmt.Errorf("workers %d: at most 1024", c.Workers))
	}
	if c.Lookahead > 1024 {
		errs = append(errs, fmt.Errorf("lookahead %d: at most 1024", c.Lookahead))
	}
	if uint64(c.ReorgWindow) < c.CheckpointEvery {
		errs = append(errs, fmt.Errorf("reorg window %d is shorter than the checkpoint interval %d", c.ReorgWindow, c.CheckpointEvery))
	}
	if c.MaxBackoff < c.RetryBackoff {
		errs = append(errs, fmt.Errorf("max backoff %v below retry backoff %v", c.MaxBackoff, c.RetryBackoff))
	}
	if len(errs) > 0 {
		return fmt.Errorf("verifier: invalid config: %w", errors.Join(errs...))
	}
	return nil
}
