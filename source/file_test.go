package source

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/ethereum/go-ethereum/rlp"

	"github.com/receiptd/receiptd/devnet"
	"github.com/receiptd/receiptd/protocol"
)

// A File serves every block of the chain file, in any order, as the
// file's own reader decodes it, and nothing above the head.
func TestFileBlockByNumber(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	cfg := devnet.Config{Seed: 5, TxPerBlock: 3, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if _, err := devnet.Export(ctx, cfg, 12, dir); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, devnet.ChainFileName)
	want := readAll(t, path)

	fl, err := OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fl.Close()
	if head, _ := fl.HeadNumber(ctx); head != uint64(len(want)) {
		t.Fatalf("head %d, the file holds %d blocks", head, len(want))
	}
	orders := []struct {
		name string
		seq  []uint64
	}{
		{"forward", seq(1, len(want), 1)},
		{"backward", seq(len(want), 1, -1)},
		{"forward again", seq(1, len(want), 1)},
	}
	// The window's bounds, by count and by bytes: the default holds the
	// whole file; smaller ones make reads go back to the file.
	small := int64(len(mustEncode(t, want[len(want)-1]))) + 1
	for _, w := range []struct {
		name      string
		maxBlocks int
		maxBytes  int64
	}{{"default window", recentBlocks, recentBytes}, {"3 blocks", 3, recentBytes}, {"a block's bytes", recentBlocks, small}} {
		fl := fl
		if w.maxBlocks != recentBlocks || w.maxBytes != recentBytes {
			if fl, err = openFile(path, w.maxBlocks, w.maxBytes); err != nil {
				t.Fatal(err)
			}
			defer fl.Close()
		}
		for _, o := range orders {
			t.Run(w.name+"/"+o.name, func(t *testing.T) {
				for _, n := range o.seq {
					b, err := fl.BlockByNumber(ctx, n)
					if err != nil {
						t.Fatalf("block %d: %v", n, err)
					}
					if b.Hash() != want[n-1].Hash() {
						t.Fatalf("block %d is %s, the file has %s", n, b.Hash(), want[n-1].Hash())
					}
					fl.mu.Lock()
					held, bytes := len(fl.mu.recent), fl.mu.bytes
					if _, ok := fl.mu.recent[n]; !ok {
						fl.mu.Unlock()
						t.Fatalf("block %d was read but is not in the window", n)
					}
					fl.mu.Unlock()
					if held > w.maxBlocks || held > 1 && bytes > w.maxBytes {
						t.Fatalf("after block %d the window holds %d blocks, %d bytes; bounds %d, %d", n, held, bytes, w.maxBlocks, w.maxBytes)
					}
				}
			})
		}
	}
	for _, n := range []uint64{0, uint64(len(want)) + 1} {
		if _, err := fl.BlockByNumber(ctx, n); !errors.Is(err, ErrNotFound) {
			t.Errorf("block %d: got %v, want ErrNotFound", n, err)
		}
	}
}

func readAll(t *testing.T, path string) []*protocol.Block {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := devnet.NewChainReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var out []*protocol.Block
	for {
		b, err := r.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
}

func seq(from, to, step int) []uint64 {
	var out []uint64
	for i := from; ; i += step {
		out = append(out, uint64(i))
		if i == to {
			return out
		}
	}
}

// A read that fails partway (the file cut short under it) leaves nothing
// behind: once the file is whole again, the same block reads.
func TestFileRecoversFromAFailedRead(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	cfg := devnet.Config{Seed: 5, TxPerBlock: 1, Domains: 1, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	const blocks = recentBlocks + 88 // past the blocks OpenFile keeps
	if _, err := devnet.Export(ctx, cfg, blocks, dir); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, devnet.ChainFileName)
	whole, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := readAll(t, path)
	fl, err := OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fl.Close()
	replace := func(data []byte) {
		tmp := path + ".tmp"
		if err := os.WriteFile(tmp, data, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, path); err != nil {
			t.Fatal(err)
		}
	}
	replace(whole[:len(whole)*3/4])
	if _, err := fl.BlockByNumber(ctx, blocks); err == nil {
		t.Fatal("read the last block of a file cut short")
	}
	replace(whole)
	b, err := fl.BlockByNumber(ctx, blocks)
	if err != nil {
		t.Fatalf("after the file is whole again: %v", err)
	}
	if b.Hash() != want[blocks-1].Hash() {
		t.Fatalf("block %d is %s, the file has %s", blocks, b.Hash(), want[blocks-1].Hash())
	}
}

func mustEncode(t *testing.T, b *protocol.Block) []byte {
	t.Helper()
	enc, err := rlp.EncodeToBytes(b)
	if err != nil {
		t.Fatal(err)
	}
	return enc
}
