package domain

import (
	"bytes"
	"context"
	"errors"
	"maps"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/stateless"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/rlp"
)

// TestStepWitnessReproducesTrace re-executes every step of every fixture
// block from its witness alone, after an RLP round trip as in a fraud proof.
func TestStepWitnessReproducesTrace(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	parentRoot := f.gblock.Root()
	for b, res := range f.results {
		header := res.Block.Header()
		var gasBefore uint64
		for i := range res.Trace {
			sw, err := f.exec.BuildStepWitness(ctx, f.store, f.chain, header, f.txs[b], i)
			if err != nil {
				t.Fatalf("block %d step %d: %v", b+1, i, err)
			}
			wantPre := parentRoot
			if i > 0 {
				wantPre = res.Trace[i-1]
			}
			if sw.PreRoot != wantPre || sw.PostRoot != res.Trace[i] || sw.GasUsedBefore != gasBefore {
				t.Fatalf("block %d step %d: pre %x post %x gas %d, want %x %x %d", b+1, i, sw.PreRoot, sw.PostRoot, sw.GasUsedBefore, wantPre, res.Trace[i], gasBefore)
			}
			if sw.Witness.Headers[0].Hash() != header.ParentHash {
				t.Fatalf("block %d step %d: witness Headers[0] is not the parent", b+1, i)
			}
			got, err := f.exec.ExecuteStep(ctx, header, roundTrip(t, sw.Witness), sw.Step)
			if err != nil {
				t.Fatalf("block %d step %d: stateless: %v", b+1, i, err)
			}
			if got != res.Trace[i] {
				t.Fatalf("block %d step %d: stateless root %x, trace %x", b+1, i, got, res.Trace[i])
			}
			if i >= 1 && i <= len(res.Receipts) {
				gasBefore += res.Receipts[i-1].GasUsed
			}
		}
		parentRoot = res.Block.Root()
	}
	// BuildStepWitness released the intermediate states it committed; the
	// block roots the fixture committed stay.
	for b, res := range f.results {
		n := len(res.Trace)
		if f.store.HasState(res.Trace[0]) || f.store.HasState(res.Trace[n-3]) || !f.store.HasState(res.Trace[n-1]) {
			t.Errorf("block %d: intermediate state kept or final state lost", b+1)
		}
	}
}

func roundTrip(t *testing.T, w *stateless.Witness) *stateless.Witness {
	t.Helper()
	enc, err := rlp.EncodeToBytes(w)
	if err != nil {
		t.Fatal(err)
	}
	var out stateless.Witness
	if err := rlp.DecodeBytes(enc, &out); err != nil {
		t.Fatal(err)
	}
	return &out
}

// TestStepWitnessIncomplete takes away, one at a time, every trie node and
// code of every step's witness in a block, and the deepest header of the
// BLOCKHASH call (step 2): each must fail with ErrWitnessIncomplete, never
// panic or return a root. So the witnesses hold nothing the step does not
// read.
func TestStepWitnessIncomplete(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	b := fixtureBlocks - 1 // the last block: its BLOCKHASH call reads 3 back
	header := f.blocks[b].Header()
	for step := range len(f.txs[b]) + 2 {
		sw, err := f.exec.BuildStepWitness(ctx, f.store, f.chain, header, f.txs[b], step)
		if err != nil {
			t.Fatal(err)
		}
		if len(sw.Witness.State) == 0 {
			t.Fatalf("step %d: witness holds no trie node", step)
		}
		if step != 2 && len(sw.Witness.Headers) != 1 {
			t.Fatalf("step %d reads no BLOCKHASH but its witness has %d headers", step, len(sw.Witness.Headers))
		}
		for node := range sw.Witness.State {
			w := sw.Witness.Copy()
			delete(w.State, node)
			expectIncomplete(t, f, header, w, sw.Step, "missing trie node")
		}
		for code := range sw.Witness.Codes {
			w := sw.Witness.Copy()
			delete(w.Codes, code)
			expectIncomplete(t, f, header, w, sw.Step, "code is not found")
		}
		if step == 2 {
			// BLOCKHASH(NUMBER−3) reads the parent's and grandparent's
			// ParentHash.
			if len(sw.Witness.Headers) != 2 {
				t.Fatalf("BLOCKHASH(NUMBER−3) witness has %d headers, want 2", len(sw.Witness.Headers))
			}
			w := sw.Witness.Copy()
			w.Headers = w.Headers[:1]
			expectIncomplete(t, f, header, w, sw.Step, "unknown ancestor")
		}
	}
}

func expectIncomplete(t *testing.T, f *fixture, header *types.Header, w *stateless.Witness, s Step, msg string) {
	t.Helper()
	root, err := f.exec.ExecuteStep(context.Background(), header, w, s)
	if !errors.Is(err, ErrWitnessIncomplete) || !strings.Contains(err.Error(), msg) {
		t.Fatalf("step %d: root %x, error %v; want ErrWitnessIncomplete mentioning %q", s.Index, root, err, msg)
	}
}

func TestExecuteStepRejects(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	b := 2
	header := f.blocks[b].Header()
	sw, err := f.exec.BuildStepWitness(ctx, f.store, f.chain, header, f.txs[b], 1)
	if err != nil {
		t.Fatal(err)
	}
	n := len(f.txs[b])
	tests := []struct {
		name    string
		step    func(*Step)
		witness func(*stateless.Witness)
		wantErr error
	}{
		{name: "negative index", step: func(s *Step) { s.Index = -1 }, wantErr: ErrInvalidStep},
		{name: "index past finalise", step: func(s *Step) { s.Index = n + 2 }, wantErr: ErrInvalidStep},
		{name: "tx step without tx", step: func(s *Step) { s.Tx = nil }, wantErr: ErrInvalidStep},
		{name: "init step with tx", step: func(s *Step) { s.Index = 0 }, wantErr: ErrInvalidStep},
		{name: "gas before over limit", step: func(s *Step) { s.GasUsedBefore = header.GasLimit + 1 }, wantErr: ErrInvalidStep},
		{name: "unknown pre-root", step: func(s *Step) { s.PreRoot = common.Hash{1} }, wantErr: ErrWitnessIncomplete},
		{name: "no headers", witness: func(w *stateless.Witness) { w.Headers = nil }, wantErr: ErrWitnessAnchor},
		{name: "wrong parent", witness: func(w *stateless.Witness) { w.Headers = []*types.Header{f.blocks[0].Header()} }, wantErr: ErrWitnessAnchor},
		{name: "tx not the one witnessed", step: func(s *Step) { s.Tx = f.txs[b][2] }, wantErr: ErrWitnessIncomplete},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, w := sw.Step, sw.Witness.Copy()
			w.Codes, w.State = maps.Clone(w.Codes), maps.Clone(w.State)
			if tt.step != nil {
				tt.step(&s)
			}
			if tt.witness != nil {
				tt.witness(w)
			}
			if _, err := f.exec.ExecuteStep(ctx, header, w, s); !errors.Is(err, tt.wantErr) {
				t.Fatalf("error %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestStepPhase(t *testing.T) {
	tests := []struct {
		index, n int
		want     Phase
		wantErr  bool
	}{
		{0, 0, PhaseInit, false},
		{1, 0, PhaseFinalise, false},
		{2, 0, phaseInvalid, true},
		{0, 3, PhaseInit, false},
		{3, 3, PhaseTx, false},
		{4, 3, PhaseFinalise, false},
		{-1, 3, phaseInvalid, true},
	}
	for _, tt := range tests {
		got, err := StepPhase(tt.index, tt.n)
		if got != tt.want || (err != nil) != tt.wantErr || (err != nil && !errors.Is(err, ErrInvalidStep)) {
			t.Errorf("StepPhase(%d, %d) = %v, %v; want %v, error %v", tt.index, tt.n, got, err, tt.want, tt.wantErr)
		}
	}
	if phaseInvalid.String() != "Phase(0)" || PhaseTx.String() != "tx" {
		t.Errorf("phase names %q %q", phaseInvalid, PhaseTx)
	}
}

// TestWitnessFlippedBytes flips random bytes of an encoded step witness:
// every variant that still decodes must be refused, because each node, code
// and header is bound by its hash.
func TestWitnessFlippedBytes(t *testing.T) {
	fx := newFixture(t)
	b := fixtureBlocks - 1
	header := fx.blocks[b].Header()
	sw, err := fx.exec.BuildStepWitness(context.Background(), fx.store, fx.chain, header, fx.txs[b], 2)
	if err != nil {
		t.Fatal(err)
	}
	enc, err := rlp.EncodeToBytes(sw.Witness)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	var decoded int
	for range 1000 {
		data := bytes.Clone(enc)
		for range 1 + rng.IntN(3) {
			data[rng.IntN(len(data))] ^= byte(1 + rng.IntN(255))
		}
		var w stateless.Witness
		if rlp.DecodeBytes(data, &w) != nil {
			continue
		}
		decoded++
		if root, err := fx.exec.ExecuteStep(context.Background(), header, &w, sw.Step); err == nil {
			t.Fatalf("flipped witness accepted, root %x (trace %x)", root, fx.results[b].Trace[2])
		}
	}
	if decoded < 500 {
		t.Fatalf("only %d of 1000 variants decoded; the test exercises too little", decoded)
	}
}

// FuzzExecuteStep mutates the encoded witness of a BLOCKHASH-reading
// contract call: whatever decodes must either fail cleanly or give the true
// trace entry, since every node, code and header is bound by its hash.
func FuzzExecuteStep(f *testing.F) {
	fx := newFixture(f)
	b := fixtureBlocks - 1
	header := fx.blocks[b].Header()
	sw, err := fx.exec.BuildStepWitness(context.Background(), fx.store, fx.chain, header, fx.txs[b], 2)
	if err != nil {
		f.Fatal(err)
	}
	enc, err := rlp.EncodeToBytes(sw.Witness)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(enc)
	want := fx.results[b].Trace[2]
	f.Fuzz(func(t *testing.T, data []byte) {
		var w stateless.Witness
		if rlp.DecodeBytes(data, &w) != nil {
			return
		}
		root, err := fx.exec.ExecuteStep(context.Background(), header, &w, sw.Step)
		if err == nil && root != want {
			t.Fatalf("forged witness gave root %x, trace says %x", root, want)
		}
	})
}
