package indexer

import (
	"context"
	"errors"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/receiptd/receiptd/protocol"
)

const testRetention = 8

// referenceDigests commits branch main 0..top into a fresh index and
// returns the digest after each block.
func referenceDigests(t *testing.T, b backend, top uint64) [][32]byte {
	ix := b.open(t, Options{UndoRetention: testRetention})
	var out [][32]byte
	for n := uint64(0); n <= top; n++ {
		commitChain(t, ix, "main", n, n)
		out = append(out, digest(t, ix))
	}
	return out
}

// Rolling back k blocks gives the index of a run that only committed the
// kept blocks, for every k in the window, checkpoints of the kept blocks
// included; one block more than the window is refused and changes nothing.
func TestRollbackEqualsFreshIndex(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		const top = 30
		ref := referenceDigests(t, b, top)
		ix := b.open(t, Options{UndoRetention: testRetention})
		commitChain(t, ix, "main", 0, top)
		if digest(t, ix) != ref[top] {
			t.Fatal("same commits, different digests")
		}
		to := uint64(top)
		for _, k := range []uint64{1, 3, 4} { // 8 blocks in all: the window
			to -= k
			if err := ix.Rollback(context.Background(), to); err != nil {
				t.Fatalf("rollback to %d: %v", to, err)
			}
			want := header("main", to, mustHash(t, ix, to-1))
			if p := mustProgress(t, ix); p.Number != to || p.Hash != want.Hash() {
				t.Fatalf("progress after rollback to %d: %+v", to, p)
			}
			if digest(t, ix) != ref[to] {
				t.Fatalf("rollback to %d: digest differs from a run that stopped there", to)
			}
		}
		if _, err := reader(t, ix).Checkpoint(to); err != nil {
			t.Fatalf("checkpoint of the block rolled back to: %v", err)
		}
		before := digest(t, ix)
		if err := ix.Rollback(context.Background(), to-1); !errors.Is(err, ErrRollbackTooDeep) {
			t.Fatalf("rollback past the window: %v", err)
		}
		if digest(t, ix) != before {
			t.Fatal("refused rollback changed the index")
		}
		// Committing again after the rollback continues the same chain.
		commitChain(t, ix, "main", to+1, top)
		if digest(t, ix) != ref[top] {
			t.Fatal("recommitted chain differs")
		}
	})
}

func mustHash(t *testing.T, ix *Index, n uint64) common.Hash {
	t.Helper()
	h, err := reader(t, ix).CanonicalHash(n)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// After a reorg of any depth in the window, the index equals that of a run
// that only saw the winning branch.
func TestReorgEqualsWinningRun(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		const top = 20
		for depth := uint64(1); depth <= testRetention; depth++ {
			fork := uint64(top) - depth
			ix := b.open(t, Options{UndoRetention: testRetention})
			commitChain(t, ix, "main", 0, top)
			if err := ix.Rollback(context.Background(), fork); err != nil {
				t.Fatalf("depth %d: %v", depth, err)
			}
			commitChain(t, ix, "fork", fork+1, top+2)

			want := b.open(t, Options{UndoRetention: testRetention})
			commitChain(t, want, "main", 0, fork)
			commitChain(t, want, "fork", fork+1, top+2)
			if digest(t, ix) != digest(t, want) {
				t.Fatalf("depth %d: reorged index differs from the winning run", depth)
			}
			// The losing branch left nothing behind.
			if _, err := reader(t, ix).Bundle(seed("main", top, "bundle", uint32(0))); !errors.Is(err, ErrNotFound) {
				t.Fatalf("depth %d: bundle of the lost block: %v", depth, err)
			}
		}
	})
}

func TestCommitOutOfOrder(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		ix := b.open(t, Options{})
		nop := func(*Writer) error { return nil }
		ctx := context.Background()
		if err := ix.Commit(ctx, 1, common.Hash{1}, nop); !errors.Is(err, ErrOutOfOrder) {
			t.Fatalf("first commit of block 1: %v", err)
		}
		commitChain(t, ix, "main", 0, 2)
		for _, n := range []uint64{2, 4, 0} {
			if err := ix.Commit(ctx, n, common.Hash{1}, nop); !errors.Is(err, ErrOutOfOrder) {
				t.Errorf("commit %d after 2: %v", n, err)
			}
		}
		if err := ix.Rollback(ctx, 3); !errors.Is(err, ErrOutOfOrder) {
			t.Errorf("rollback above progress: %v", err)
		}
		// A block whose parent is not the committed block 2.
		h := header("main", 3, common.Hash{9})
		err := ix.Commit(ctx, 3, h.Hash(), func(w *Writer) error { return writeBlock(w, "main", h) })
		if !errors.Is(err, ErrOutOfOrder) {
			t.Errorf("block 3 on a foreign parent: %v", err)
		}
		if p := mustProgress(t, ix); p.Number != 2 {
			t.Errorf("progress %d after refused commits", p.Number)
		}
	})
}

// A commit whose function fails, or whose context ends, writes nothing:
// there is never half a block.
func TestFailedCommitWritesNothing(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		ix := b.open(t, Options{})
		commitChain(t, ix, "main", 0, 3)
		before := digest(t, ix)
		h := header("main", 4, mustProgress(t, ix).Hash)
		boom := errors.New("boom")
		err := ix.Commit(context.Background(), 4, h.Hash(), func(w *Writer) error {
			if err := writeBlock(w, "main", h); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("commit: %v", err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		err = ix.Commit(ctx, 4, h.Hash(), func(w *Writer) error {
			cancel()
			return writeBlock(w, "main", h)
		})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled commit: %v", err)
		}
		if digest(t, ix) != before {
			t.Fatal("a failed commit changed the index")
		}
		var kept *Writer
		commitChainWith(t, ix, 4, func(w *Writer) { kept = w })
		if _, err := kept.Receipt(common.Hash{}); !errors.Is(err, ErrClosed) {
			t.Fatalf("writer used after its commit: %v", err)
		}
	})
}

func commitChainWith(t *testing.T, ix *Index, n uint64, peek func(*Writer)) {
	h := header("main", n, mustProgress(t, ix).Hash)
	if err := ix.Commit(context.Background(), n, h.Hash(), func(w *Writer) error {
		peek(w)
		return writeBlock(w, "main", h)
	}); err != nil {
		t.Fatal(err)
	}
}

// Reads inside a commit see the block's own writes, and a key written
// several times in one block is undone to its value before the block.
func TestWriterReadsOwnWritesAndUndoesRepeats(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		ix := b.open(t, Options{})
		commitChain(t, ix, "main", 0, 5)
		before := digest(t, ix)
		p := mustProgress(t, ix)
		err := ix.Commit(context.Background(), 6, common.Hash{6}, func(w *Writer) error {
			for i := range 3 {
				if err := w.UpdateOperator(1, func(o *OperatorRecord) error { o.Faults++; return nil }); err != nil {
					return err
				}
				op, err := w.Operator(1)
				if err != nil || op.Faults != uint64(i+1) {
					t.Errorf("read-your-writes: faults %v, %v", op, err)
				}
			}
			err := w.UpdateOperator(1, func(o *OperatorRecord) error {
				o.Operator.Status = protocol.OperatorSlashed
				o.Slashes++
				return nil
			})
			return errors.Join(err, w.PutOperator(&OperatorRecord{Operator: protocol.Operator{ID: 1, Status: protocol.OperatorActive}}))
		})
		if !errors.Is(err, ErrExists) {
			t.Fatalf("PutOperator of an existing operator: %v", err)
		}
		err = ix.Commit(context.Background(), 6, common.Hash{6}, func(w *Writer) error {
			for range 3 {
				if err := w.UpdateOperator(1, func(o *OperatorRecord) error { o.Faults++; return nil }); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if op, _ := reader(t, ix).Operator(1); op.Faults != 3 {
			t.Fatalf("faults %d after commit", op.Faults)
		}
		if err := ix.Rollback(context.Background(), p.Number); err != nil {
			t.Fatal(err)
		}
		if digest(t, ix) != before {
			t.Fatal("rollback of repeated writes differs from the state before them")
		}
	})
}
