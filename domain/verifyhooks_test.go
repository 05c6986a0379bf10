package domain

import (
	"context"
	"errors"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/state"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/triedb"
)

// ExecuteStepOn on a state opened from a step's witness gives the trace
// entry, as ExecuteStep does, and refuses a parent that is not the header's.
func TestExecuteStepOn(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	b := fixtureBlocks - 1
	header := f.blocks[b].Header()
	for i, want := range f.results[b].Trace {
		sw, err := f.exec.BuildStepWitness(ctx, f.store, f.chain, header, f.txs[b], i)
		if err != nil {
			t.Fatal(err)
		}
		open := func() *state.StateDB {
			db := sw.Witness.MakeHashDB()
			sdb, err := state.New(sw.PreRoot, state.NewMPTDatabase(triedb.NewDatabase(db, triedb.HashDefaults), state.NewCodeDB(db)))
			if err != nil {
				t.Fatal(err)
			}
			return sdb
		}
		root, err := f.exec.ExecuteStepOn(ctx, f.chain, header, sw.Witness.Headers[0], open(), sw.Step)
		if err != nil || root != want {
			t.Fatalf("step %d: root %x, error %v; want %x", i, root, err, want)
		}
		if _, err := f.exec.ExecuteStepOn(ctx, f.chain, header, f.blocks[0].Header(), open(), sw.Step); !errors.Is(err, ErrWitnessAnchor) {
			t.Fatalf("step %d with another parent: %v, want ErrWitnessAnchor", i, err)
		}
	}
}

// A WitnessSource serves the nodes and codes of committed state by hash,
// and nothing for hashes it does not hold.
func TestWitnessSource(t *testing.T) {
	f := newFixture(t)
	root := f.results[0].Block.Root()
	src, err := f.store.WitnessSource(root)
	if err != nil {
		t.Fatal(err)
	}
	if node := src.Node(root); node == nil || crypto.Keccak256Hash(node) != root {
		t.Fatalf("root node %x", node)
	}
	code := storageCode()
	if got := src.Code(crypto.Keccak256Hash(code)); string(got) != string(code) {
		t.Fatalf("code %x, want the deployed storage code", got)
	}
	if src.Node(common.Hash{1}) != nil || src.Code(common.Hash{1}) != nil {
		t.Fatal("served an unknown hash")
	}
	if _, err := f.store.WitnessSource(common.Hash{1}); !errors.Is(err, ErrMissingState) {
		t.Fatalf("source of an unknown root: %v", err)
	}
}
