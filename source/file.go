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
// of up to recentBlocks blocks is decoded only once; later blocks are
// read again in order as the follower asks, keeping a window of recent
// ones so memory stays bounded whatever the file's size.
type File struct {
	path  string
	net   devnet.Network
	count uint64

	mu struct {
		sync.Mutex
		f      *os.File
		r      *devnet.ChainReader
		next   uint64 // number of the block r returns next
		recent map[uint64]*protocol.Block
	}
}

var _ Source = (*File)(nil)

// recentBlocks is the window kept for the follower's look-backs.
const recentBlocks = 512

// OpenFile opens and checks a chain file.
func OpenFile(path string) (*File, error) {
	fl := &File{path: path}
	r, f, err := fl.open()
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fl.net = r.Network()
	fl.mu.recent = map[uint64]*protocol.Block{}
	for {
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
		if fl.count <= recentBlocks {
			fl.mu.recent[fl.count] = b
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
		return b, nil
	}
	if fl.mu.r == nil || n < fl.mu.next {
		fl.closeReader()
		r, f, err := fl.open()
		if err != nil {
			return nil, err
		}
		fl.mu.r, fl.mu.f, fl.mu.next = r, f, 1
		clear(fl.mu.recent)
	}
	for fl.mu.next <= n {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		b, err := fl.mu.r.Next()
		if err != nil {
			// The stream stands mid-item: the next call opens the file
			// again rather than read on from here.
			next := fl.mu.next
			fl.closeReader()
			return nil, fmt.Errorf("source: %s: block %d: %w", fl.path, next, err)
		}
		fl.mu.recent[fl.mu.next] = b
		delete(fl.mu.recent, fl.mu.next-min(fl.mu.next, recentBlocks))
		fl.mu.next++
	}
	return fl.mu.recent[n], nil
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
