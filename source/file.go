package source

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/receiptd/receiptd/devnet"
	"github.com/receiptd/receiptd/protocol"
)

// File replays a recorded consensus chain (`receiptd devnet export`). The
// whole file is read and checked once at open, so a truncated or corrupt
// file fails at once rather than halfway through. The first blocks that
// check decodes are kept for the follower, which starts there, so a file
// of up to recentBlocks blocks (and recentBytes) is decoded only once;
// later blocks are read again in order as the follower asks, keeping a
// window of recent ones so memory stays bounded whatever the file's size
// and its blocks' sizes.
type File struct {
	path  string
	net   devnet.Network
	count uint64
	// The window's bounds: recentBlocks and recentBytes (tests set less).
	maxBlocks int
	maxBytes  int64

	mu struct {
		sync.Mutex
		f      *os.File
		r      *devnet.ChainReader
		next   uint64 // number of the block r returns next
		recent map[uint64]sized
		oldest uint64 // the lowest number recent may hold
		bytes  int64  // the sizes of what recent holds
	}
}

var _ Source = (*File)(nil)

// The window kept for the follower's look-backs: at most recentBlocks
// blocks and recentBytes of them, by encoded size (a decoded block holds
// about as much: its transactions', proofs' and submissions' bytes), the
// newest always.
const (
	recentBlocks = 512
	recentBytes  = 256 << 20
)

// sized is a decoded block and its encoded size.
type sized struct {
	b    *protocol.Block
	size int64
}

// keep adds block n, the newest, to the window and drops the oldest ones
// past its bounds; fl.mu is held.
func (fl *File) keep(n uint64, b sized) {
	fl.mu.recent[n] = b
	fl.mu.bytes += b.size
	for fl.mu.oldest < n && (len(fl.mu.recent) > fl.maxBlocks || fl.mu.bytes > fl.maxBytes) {
		if old, ok := fl.mu.recent[fl.mu.oldest]; ok {
			fl.mu.bytes -= old.size
			delete(fl.mu.recent, fl.mu.oldest)
		}
		fl.mu.oldest++
	}
}

// OpenFile opens and checks a chain file.
func OpenFile(path string) (*File, error) { return openFile(path, recentBlocks, recentBytes) }

func openFile(path string, maxBlocks int, maxBytes int64) (*File, error) {
	fl := &File{path: path, maxBlocks: maxBlocks, maxBytes: maxBytes}
	r, f, err := fl.open()
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fl.net = r.Network()
	fl.mu.recent, fl.mu.oldest = map[uint64]sized{}, 1
	for {
		at := r.Offset()
		b, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("source: %s: %w", path, err)
		}
		if b.Header.Number != fl.count+1 {
			return nil, fmt.Errorf("source: %s: block %d follows block %d", path, b.Header.Number, fl.count)
		}
		fl.count++
		// The first blocks, as long as the window takes them all.
		if size := r.Offset() - at; fl.count == uint64(len(fl.mu.recent))+1 && len(fl.mu.recent) < fl.maxBlocks && fl.mu.bytes+size <= fl.maxBytes {
			fl.mu.recent[fl.count] = sized{b, size}
			fl.mu.bytes += size
		}
	}
	return fl, nil
}

func (fl *File) open() (*devnet.ChainReader, *os.File, error) {
	f, err := os.Open(fl.path)
	if err != nil {
		return nil, nil, fmt.Errorf("source: %w", err)
	}
	r, err := devnet.NewChainReader(f)
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("source: %s: %w", fl.path, err)
	}
	return r, f, nil
}

func (fl *File) Network(context.Context) (*Network, error) { n := fl.net; return &n, nil }

func (fl *File) HeadNumber(context.Context) (uint64, error) { return fl.count, nil }

// BlockByNumber returns block n from the window, reads forward to it, or
// reopens the file to go back further than the window (or, once, to go
// past the blocks OpenFile kept).
func (fl *File) BlockByNumber(ctx context.Context, n uint64) (*protocol.Block, error) {
	if n == 0 || n > fl.count {
		return nil, fmt.Errorf("%w: %d (the file holds 1 to %d)", ErrNotFound, n, fl.count)
	}
	fl.mu.Lock()
	defer fl.mu.Unlock()
	if b, ok := fl.mu.recent[n]; ok {
		return b.b, nil
	}
	if fl.mu.r == nil || n < fl.mu.next {
		fl.closeReader()
		r, f, err := fl.open()
		if err != nil {
			return nil, err
		}
		fl.mu.r, fl.mu.f, fl.mu.next = r, f, 1
		clear(fl.mu.recent)
		fl.mu.oldest, fl.mu.bytes = 1, 0
	}
	for fl.mu.next <= n {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		at := fl.mu.r.Offset()
		b, err := fl.mu.r.Next()
		if err != nil {
			// The stream stands mid-item: the next call opens the file
			// again rather than read on from here.
			next := fl.mu.next
			fl.closeReader()
			return nil, fmt.Errorf("source: %s: block %d: %w", fl.path, next, err)
		}
		fl.keep(fl.mu.next, sized{b, fl.mu.r.Offset() - at})
		fl.mu.next++
	}
	return fl.mu.recent[n].b, nil
}

// Notify returns nil: a file never moves.
func (fl *File) Notify() <-chan struct{} { return nil }

// SubmitFraudProof fails: a recorded chain takes no transactions.
func (fl *File) SubmitFraudProof(context.Context, *protocol.FraudProof) error {
	return errors.New("source: a recorded chain file takes no fraud proofs")
}

func (fl *File) Close() error {
	fl.mu.Lock()
	defer fl.mu.Unlock()
	fl.closeReader()
	return nil
}

// closeReader closes the file being read, if any; fl.mu is held.
func (fl *File) closeReader() {
	if fl.mu.f != nil {
		fl.mu.f.Close()
	}
	fl.mu.f, fl.mu.r = nil, nil
}
