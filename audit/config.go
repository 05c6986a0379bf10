package audit

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"time"
)

// Defaults of Config, filled by EnsureDefaults.
const (
	// DefaultProgressInterval is the least time between two progress lines.
	DefaultProgressInterval = 5 * time.Second
	// DefaultCheckpointInterval is how many verified blocks pass between two
	// commits of the head state. Larger means fewer, larger commits, for
	// about the same total work (see Throughput in the package doc), and a
	// longer replay when a block fails.
	DefaultCheckpointInterval = 128
	// DefaultRetain is how many heights of standing headers stay below the
	// head; a block whose parent is older is "unknown-parent". It must cover
	// the 256 ancestors BLOCKHASH reads.
	DefaultRetain = 8192
	// DefaultMaxBlockBytes bounds one RLP item of the export file, so that a
	// corrupt length prefix cannot make the reader allocate gigabytes.
	DefaultMaxBlockBytes = 64 << 20
)

// Config tunes an Auditor. The zero value, after EnsureDefaults, is usable.
type Config struct {
	// Workers is the size of the sender-recovery pool. Default: one fewer
	// than GOMAXPROCS, at least one. The executor is the critical path and
	// keeps a core of its own; it helps with recovery whenever its next
	// block's senders are not ready, so no core idles. (With as many
	// workers as cores, the Go scheduler time-slices the executor with
	// them: 5-18% longer in three paired runs of 20,042 txs.)
	Workers int
	// Progress receives a progress line (height, blocks/s, Mgas/s) at most
	// every ProgressInterval. Nil disables progress output.
	Progress io.Writer
	// ProgressInterval is the least time between progress lines. Default 5s.
	ProgressInterval time.Duration
	// CheckpointInterval is the number of verified blocks between state
	// commits. Default 128.
	CheckpointInterval int
	// Retain is the number of heights of standing headers kept below the
	// head. Default 8192; at least 4 checkpoint intervals and 256.
	Retain uint64
	// MaxBlockBytes is the largest RLP item the reader accepts. Default 64 MiB.
	MaxBlockBytes uint64
	// Logger receives debug logs. Default: a logger that discards.
	Logger *slog.Logger
	// Now is the clock for elapsed time and progress. Default: time.Now.
	Now func() time.Time
}

// EnsureDefaults fills every unset field with its documented default.
func (c *Config) EnsureDefaults() {
	if c.Workers == 0 {
		c.Workers = max(1, runtime.GOMAXPROCS(0)-1)
	}
	if c.ProgressInterval == 0 {
		c.ProgressInterval = DefaultProgressInterval
	}
	if c.CheckpointInterval == 0 {
		c.CheckpointInterval = DefaultCheckpointInterval
	}
	if c.Retain == 0 {
		c.Retain = DefaultRetain
	}
	if c.MaxBlockBytes == 0 {
		c.MaxBlockBytes = DefaultMaxBlockBytes
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

// Validate reports every problem of c at once.
func (c *Config) Validate() error {
	var errs []error
	if c.Workers < 1 {
		errs = append(errs, fmt.Errorf("workers must be at least 1, have %d", c.Workers))
	}
	if c.ProgressInterval < 0 {
		errs = append(errs, fmt.Errorf("progress interval must not be negative, have %v", c.ProgressInterval))
	}
	if c.CheckpointInterval < 1 {
		errs = append(errs, fmt.Errorf("checkpoint interval must be at least 1, have %d", c.CheckpointInterval))
	}
	if c.Retain < 256 {
		errs = append(errs, fmt.Errorf("retain must be at least 256 heights, have %d", c.Retain))
	}
	// A rebuild walks back from a fork's parent to a checkpoint, which may
	// lie maxCheckpoints intervals below the head, through standing headers.
	if c.CheckpointInterval >= 1 && c.Retain < uint64(maxCheckpoints*c.CheckpointInterval+256) {
		errs = append(errs, fmt.Errorf("retain must cover the kept checkpoints and BLOCKHASH's 256 ancestors: at least %d heights for a checkpoint interval of %d, have %d",
			maxCheckpoints*c.CheckpointInterval+256, c.CheckpointInterval, c.Retain))
	}
	if c.MaxBlockBytes < 1024 {
		errs = append(errs, fmt.Errorf("max block bytes must be at least 1024, have %d", c.MaxBlockBytes))
	}
	if c.Logger == nil {
		errs = append(errs, errors.New("logger is nil"))
	}
	if c.Now == nil {
		errs = append(errs, errors.New("clock is nil"))
	}
	return errors.Join(errs...)
}
