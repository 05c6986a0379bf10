package indexer

import (
	"context"
	"fmt"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rlp"

	"github.com/receiptd/receiptd/protocol"
)

// The fixture chain: one domain, four operators, two bundles of three txs
// per consensus block, an ER per domain block, confirmation after
// challengePeriod, a challenge for each bad ER. Every block's content is a
// function of (branch, number) and the index state, so replaying a branch
// gives the same bytes.
const testDomain protocol.DomainID = 1

const (
	challengePeriod = 3
	operatorCount   = 4
)

func seed(parts ...any) common.Hash { return crypto.Keccak256Hash([]byte(fmt.Sprint(parts...))) }

func header(branch string, n uint64, parent common.Hash) protocol.Header {
	return protocol.Header{Number: n, ParentHash: parent, Slot: n, Timestamp: 1000 + n, Randomness: seed(branch, n, "rand")}
}

// backend opens indexes of one kind; reopen is nil for memory.
type backend struct {
	name   string
	open   func(t testing.TB, opts Options) *Index
	reopen func(t testing.TB, ix *Index) *Index
}

func backends() []backend {
	return []backend{
		{name: "memory", open: func(t testing.TB, opts Options) *Index {
			ix, err := OpenMemory(opts)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { ix.Close() })
			return ix
		}},
		{name: "pebble", open: func(t testing.TB, opts Options) *Index {
			opts.FS = vfs.NewMem()
			ix, err := Open("idx", opts)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { ix.Close() })
			return ix
		}, reopen: func(t testing.TB, ix *Index) *Index {
			if err := ix.Close(); err != nil {
				t.Fatal(err)
			}
			again, err := Open("idx", ix.Options())
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { again.Close() })
			return again
		}},
	}
}

// eachBackend runs the conformance suite's test body on both stores.
func eachBackend(t *testing.T, test func(t *testing.T, b backend)) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) { test(t, b) })
	}
}

// commitChain commits blocks from..to of branch on top of ix's progress.
func commitChain(t testing.TB, ix *Index, branch string, from, to uint64) {
	t.Helper()
	for n := from; n <= to; n++ {
		var parent common.Hash
		if n > 0 {
			p, ok, err := ix.Progress()
			if err != nil || !ok {
				t.Fatalf("progress before %d: %v %v", n, ok, err)
			}
			parent = p.Hash
		}
		h := header(branch, n, parent)
		err := ix.Commit(context.Background(), n, h.Hash(), func(w *Writer) error { return writeBlock(w, branch, h) })
		if err != nil {
			t.Fatalf("commit %s %d: %v", branch, n, err)
		}
	}
}

func writeBlock(w *Writer, branch string, h protocol.Header) error {
	n := h.Number
	raw, err := rlp.EncodeToBytes(&h)
	if err != nil {
		return err
	}
	if n == 0 {
		return writeGenesis(w, h, raw)
	}
	prog, err := w.DomainProgress(testDomain)
	if err != nil {
		return err
	}
	block := &ConsensusBlockRecord{Number: n, Hash: h.Hash(), Header: h, Raw: raw, DomainBlocks: 1}
	dblock := &DomainBlockRecord{Domain: testDomain, Number: n, Hash: seed(branch, n, "dblock"),
		ConsensusNumber: n, ConsensusHash: h.Hash(), GasUsed: 21000 * n}
	var ops []protocol.OperatorID
	seen := map[common.Hash]bool{}
	for i := range uint32(2) {
		op := protocol.OperatorID(1 + (n+uint64(i))%operatorCount)
		ops = append(ops, op)
		b := &BundleRecord{Hash: seed(branch, n, "bundle", i), ConsensusNumber: n, Index: i, Domain: testDomain,
			Operator: op, Slot: n, DeclaredGas: 63000, Admitted: true, Validity: protocol.Valid(seed(branch, n, i))}
		if i == 1 && n%5 == 0 {
			b.Validity = protocol.Invalid(protocol.InvalidIllegalTx, 2)
		}
		for j := range uint32(3) {
			tx := &TxRecord{Hash: seed(branch, n, "tx", i, j), Domain: testDomain, Raw: []byte{byte(i), byte(j)},
				ConsensusNumber: n, BundleIndex: i, ExtrinsicIndex: j,
				Fate: TxFate{Kind: TxIncluded, DomainNumber: n, BundleHash: b.Hash}}
			if i == 1 && j == 0 && n%4 == 0 {
				tx.Hash = seed(branch, n, "tx", 0, 0) // a duplicate of bundle 0's first tx
			}
			switch {
			case !b.Validity.IsValid():
				tx.Fate.Kind = TxInInvalidBundle
			case seen[tx.Hash]:
				tx.Fate.Kind = TxDuplicate
			default:
				tx.Fate.Position = uint32(len(dblock.TxHashes))
				tx.Status, tx.GasUsed = 1, 21000
				tx.Logs = []LogRecord{{Address: common.Address{byte(j)}, Topics: []common.Hash{tx.Hash}, Data: []byte{1}}}
				dblock.TxHashes = append(dblock.TxHashes, tx.Hash)
			}
			seen[tx.Hash] = true
			b.TxHashes = append(b.TxHashes, tx.Hash)
			block.Extrinsics++
			if err := w.PutTx(tx); err != nil {
				return err
			}
		}
		block.BundleHashes = append(block.BundleHashes, b.Hash)
		if err := w.PutBundle(b); err != nil {
			return err
		}
		if err := w.UpdateOperator(op, func(o *OperatorRecord) error {
			o.Bundles++
			o.ElectionsWon++
			o.Fees.AddUint64(&o.Fees, n)
			return nil
		}); err != nil {
			return err
		}
	}
	if err := w.PutConsensusBlock(block); err != nil {
		return err
	}
	if err := w.PutDomainBlock(dblock); err != nil {
		return err
	}
	head, err := w.Receipt(prog.HeadHash)
	if err != nil {
		return err
	}
	if head.Status == protocol.ReceiptPending {
		if err := w.UpdateReceipt(head.Hash, func(r *ReceiptRecord) error {
			r.Backers = append(r.Backers, ops[1])
			return nil
		}); err != nil {
			return err
		}
	}
	if head.ChallengeID != (common.Hash{}) {
		if err := w.UpdateChallenge(head.ChallengeID, func(c *ChallengeRecord) error {
			c.Status = ChallengeSubmitted
			c.Timeline = append(c.Timeline, ChallengeChange{Status: ChallengeSubmitted, ConsensusNumber: n, Reason: "sent"})
			return nil
		}); err != nil {
			return err
		}
	}
	if n == 1 { // domain block 0 is genesis: its ER is fixed
		return w.PutCheckpoint(seed(branch, n, "checkpoint").Bytes())
	}
	prev, err := w.DomainBlock(testDomain, n-1)
	if err != nil {
		return err
	}
	er := protocol.ExecutionReceipt{DomainNumber: n - 1, DomainHash: prev.Hash, ParentReceiptHash: head.Hash,
		ConsensusNumber: n - 1, ConsensusHash: prev.ConsensusHash, GasUsed: prev.GasUsed,
		InboxedBundles: []protocol.InboxedBundle{}, Trace: []common.Hash{seed(branch, n), seed(branch, n)}}
	rec := &ReceiptRecord{Hash: er.Hash(), Domain: testDomain, Number: n - 1, Receipt: er,
		Verdict: Verdict{Valid: true}, Status: protocol.ReceiptPending, Backers: ops[:1]}
	if branch != "main" && n%3 == 0 {
		rec.Verdict = Verdict{Field: "gasUsed", Expected: "1", Claimed: "2"}
		rec.ChallengeID = seed(branch, n, "proof")
		if err := w.PutChallenge(&ChallengeRecord{ID: rec.ChallengeID, Kind: protocol.ProofExecutionResult,
			Domain: testDomain, BadReceipt: rec.Hash, Operators: ops[:1], Status: ChallengeDetected,
			ProofSize: 3, Proof: []byte{1, 2, 3}}); err != nil {
			return err
		}
	}
	if err := w.PutReceipt(rec); err != nil {
		return err
	}
	if err := confirm(w, rec.Hash, challengePeriod); err != nil {
		return err
	}
	if err := w.SetDomainProgress(&DomainProgress{Domain: testDomain, VerifiedHeight: n, HeadHash: rec.Hash,
		StateRoot: seed(branch, n, "root"), FlushedRoot: seed(branch, n-n%4, "root"), FlushedNumber: n - n%4}); err != nil {
		return err
	}
	return w.PutCheckpoint(seed(branch, n, "checkpoint").Bytes())
}

// confirm confirms the ER depth parents below the new head, if pending.
func confirm(w *Writer, head common.Hash, depth int) error {
	h := head
	for range depth {
		r, err := w.Receipt(h)
		if err != nil || r.Number == 0 {
			return err
		}
		h = r.Receipt.ParentReceiptHash
	}
	r, err := w.Receipt(h)
	if err != nil || r.Status != protocol.ReceiptPending {
		return err
	}
	return w.UpdateReceipt(h, func(r *ReceiptRecord) error {
		r.Status = protocol.ReceiptConfirmed
		r.ConfirmedBad = !r.Verdict.Valid
		return nil
	})
}

func writeGenesis(w *Writer, h protocol.Header, raw []byte) error {
	if err := w.PutConsensusBlock(&ConsensusBlockRecord{Number: 0, Hash: h.Hash(), Header: h, Raw: raw}); err != nil {
		return err
	}
	for i := range protocol.OperatorID(operatorCount) {
		op := &OperatorRecord{Operator: protocol.Operator{ID: i + 1, Domain: testDomain, Stake: 100, Status: protocol.OperatorActive}}
		if err := w.PutOperator(op); err != nil {
			return err
		}
	}
	er := protocol.GenesisReceipt(seed("domain genesis"), seed("genesis root"), h.Hash())
	if err := w.PutDomainBlock(&DomainBlockRecord{Domain: testDomain, Hash: er.DomainHash, ConsensusHash: h.Hash()}); err != nil {
		return err
	}
	if err := w.PutReceipt(&ReceiptRecord{Hash: er.Hash(), Domain: testDomain, Receipt: *er,
		Verdict: Verdict{Valid: true}, Status: protocol.ReceiptConfirmed}); err != nil {
		return err
	}
	return w.SetDomainProgress(&DomainProgress{Domain: testDomain, HeadHash: er.Hash(), StateRoot: er.FinalStateRoot})
}

func digest(t testing.TB, ix *Index) [32]byte {
	t.Helper()
	d, err := ix.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func reader(t testing.TB, ix *Index) *Reader {
	t.Helper()
	r, err := ix.Reader()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}
