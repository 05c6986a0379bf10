package indexer

import (
	"context"
	"testing"
)

// TestGenerationNamesOneState checks what the GraphQL response cache
// relies on: Readers with the same generation read the same state, and
// every Commit and Rollback moves the generation on.
func TestGenerationNamesOneState(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		ix := b.open(t, Options{})
		gen := func() uint64 {
			t.Helper()
			r, err := ix.Reader()
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			g, ok := r.Generation()
			if !ok {
				t.Fatal("no commit in flight, yet the generation is not ok")
			}
			if now, ok := ix.Generation(); !ok || now != g {
				t.Fatalf("the index is at generation %d (ok %v), its reader at %d", now, ok, g)
			}
			return g
		}
		seen := map[uint64]string{}
		step := func(what string) {
			t.Helper()
			g := gen()
			if g != gen() {
				t.Fatalf("after %s: two readers of one state have generations %d and %d", what, g, gen())
			}
			if prev, ok := seen[g]; ok {
				t.Fatalf("after %s: generation %d already named the state after %s", what, g, prev)
			}
			seen[g] = what
		}
		step("open")
		commitChain(t, ix, "a", 0, 3)
		step("commits 0-3")
		if err := ix.Rollback(context.Background(), 2); err != nil {
			t.Fatal(err)
		}
		step("rollback to 2")
		commitChain(t, ix, "a", 3, 3) // the same block 3 again: the same data, a new generation
		step("block 3 again")
		before := gen()
		if err := ix.Commit(context.Background(), 5, [32]byte{5}, nil); err == nil {
			t.Fatal("a commit that skips a block succeeded")
		}
		if g := gen(); g != before {
			t.Fatalf("a refused commit changed nothing, yet moved the generation from %d to %d", before, g)
		}
	})
}
