package indexer

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/receiptd/receiptd/protocol"
)

// The conformance suite: every test here runs against pebble and memory.

func TestRecordsReadBack(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		ix := b.open(t, Options{})
		commitChain(t, ix, "main", 0, 0)
		h := header("x", 1, mustProgress(t, ix).Hash)
		er := protocol.ExecutionReceipt{DomainNumber: 7, GasUsed: 5, InboxedBundles: []protocol.InboxedBundle{}, Trace: []common.Hash{{1}}}
		recs := struct {
			block *ConsensusBlockRecord
			bnd   *BundleRecord
			rcpt  *ReceiptRecord
			dblk  *DomainBlockRecord
			tx    *TxRecord
			op    *OperatorRecord
			ch    *ChallengeRecord
			prog  *DomainProgress
		}{
			&ConsensusBlockRecord{Number: 1, Hash: h.Hash(), Header: h, Raw: []byte{0xc0}, BundleHashes: []common.Hash{{2}}, ProofHashes: []common.Hash{{3}}, Submissions: 1, Extrinsics: 2, DomainBlocks: 1},
			&BundleRecord{Hash: common.Hash{2}, ConsensusNumber: 1, Domain: 9, Operator: 8, Slot: 1, DeclaredGas: 21000, Validity: protocol.Invalid(protocol.InvalidUndecodable, 1), Admitted: true, TxHashes: []common.Hash{{4}}},
			&ReceiptRecord{Hash: er.Hash(), Domain: 9, Number: 7, Receipt: er, Verdict: Verdict{Field: "stateRoot", Expected: "a", Claimed: "b", DescendsFromBad: true}, Status: protocol.ReceiptPending, Backers: []protocol.OperatorID{3, 8}},
			&DomainBlockRecord{Domain: 9, Number: 7, Hash: common.Hash{5}, Header: []byte{0xc1, 0x80}, ConsensusNumber: 1, ConsensusHash: h.Hash(), TxHashes: []common.Hash{{4}}, GasUsed: 21000, ReceiptHash: er.Hash()},
			&TxRecord{Hash: common.Hash{4}, Domain: 9, Sender: common.Address{6}, Raw: []byte{1}, ConsensusNumber: 1, Fate: TxFate{Kind: TxIncluded, DomainNumber: 7, BundleHash: common.Hash{2}}, Status: 1, GasUsed: 21000, CumulativeGasUsed: 21000, Logs: []LogRecord{{Address: common.Address{7}, Topics: []common.Hash{{8}}, Data: []byte{9}}}},
			&OperatorRecord{Operator: protocol.Operator{ID: 8, Domain: 9, Stake: 5, Status: protocol.OperatorSlashed}, ElectionsWon: 2, Bundles: 1, ReceiptsBacked: 1, Faults: 1, Slashes: 1},
			&ChallengeRecord{ID: common.Hash{10}, Kind: protocol.ProofBundleValidity, Domain: 9, BadReceipt: er.Hash(), Operators: []protocol.OperatorID{8}, Status: ChallengeDetected, ProofSize: 2, Proof: []byte{1, 2}},
			&DomainProgress{Domain: 9, VerifiedHeight: 7, HeadHash: common.Hash{11}, StateRoot: common.Hash{12}, FlushedRoot: common.Hash{13}, FlushedNumber: 6},
		}
		recs.op.Fees.SetUint64(77)
		err := ix.Commit(context.Background(), 1, h.Hash(), func(w *Writer) error {
			return errors.Join(w.PutConsensusBlock(recs.block), w.PutBundle(recs.bnd), w.PutReceipt(recs.rcpt),
				w.PutDomainBlock(recs.dblk), w.PutTx(recs.tx), w.PutOperator(recs.op), w.PutChallenge(recs.ch),
				w.SetDomainProgress(recs.prog), w.PutCheckpoint([]byte("ckpt")))
		})
		if err != nil {
			t.Fatal(err)
		}
		// What the Writer fills in.
		recs.rcpt.FirstSeen, recs.rcpt.Timeline = 1, []StatusChange{{protocol.ReceiptPending, 1}}
		recs.ch.Opened, recs.ch.Timeline = 1, []ChallengeChange{{Status: ChallengeDetected, ConsensusNumber: 1}}
		r := reader(t, ix)
		checks := []struct {
			name string
			got  func() (any, error)
			want any
		}{
			{"block", func() (any, error) { return r.ConsensusBlock(1) }, recs.block},
			{"block by hash", func() (any, error) { return r.ConsensusBlockByHash(h.Hash()) }, recs.block},
			{"canonical hash", func() (any, error) { return r.CanonicalHash(1) }, h.Hash()},
			{"bundle", func() (any, error) { return r.Bundle(common.Hash{2}) }, recs.bnd},
			{"receipt", func() (any, error) { return r.Receipt(er.Hash()) }, recs.rcpt},
			{"domain block", func() (any, error) { return r.DomainBlock(9, 7) }, recs.dblk},
			{"domain block by hash", func() (any, error) { return r.DomainBlockByHash(common.Hash{5}) }, recs.dblk},
			{"tx", func() (any, error) { return r.Tx(common.Hash{4}) }, recs.tx},
			{"operator", func() (any, error) { return r.Operator(8) }, recs.op},
			{"challenge", func() (any, error) { return r.Challenge(common.Hash{10}) }, recs.ch},
			{"domain progress", func() (any, error) { return r.DomainProgress(9) }, recs.prog},
			{"checkpoint", func() (any, error) { return r.Checkpoint(1) }, []byte("ckpt")},
			{"progress", func() (any, error) { p, _, err := r.Progress(); return p, err }, Progress{1, h.Hash()}},
		}
		for _, c := range checks {
			got, err := c.got()
			if err != nil {
				t.Errorf("%s: %v", c.name, err)
			} else if !reflect.DeepEqual(got, c.want) {
				t.Errorf("%s:\n got %+v\nwant %+v", c.name, got, c.want)
			}
		}
		for name, err := range map[string]error{
			"receipt": second(r.Receipt(common.Hash{99})), "block": second(r.ConsensusBlock(2)),
			"tx": second(r.Tx(common.Hash{99})), "operator": second(r.Operator(99)),
		} {
			if !errors.Is(err, ErrNotFound) {
				t.Errorf("absent %s: %v, want ErrNotFound", name, err)
			}
		}
	})
}

func second[T any](_ T, err error) error { return err }

func mustProgress(t testing.TB, ix *Index) Progress {
	t.Helper()
	p, ok, err := ix.Progress()
	if err != nil || !ok {
		t.Fatalf("progress: %v %v", ok, err)
	}
	return p
}

// A receipt moving pending → confirmed leaves the pending listing and
// counter and enters the confirmed ones, in the same commit.
func TestStatusIndexFollowsUpdates(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		ix := b.open(t, Options{})
		commitChain(t, ix, "main", 0, 6)
		dom := testDomain
		list := func(s protocol.ReceiptStatus) map[uint64]bool {
			page, err := reader(t, ix).Receipts(ReceiptQuery{Domain: &dom, Status: s})
			if err != nil {
				t.Fatal(err)
			}
			out := map[uint64]bool{}
			for _, r := range page.Items {
				if r.Status != s {
					t.Fatalf("%s listing holds a %s receipt", s, r.Status)
				}
				out[r.Number] = true
			}
			if n, ok, err := reader(t, ix).CountReceipts(ReceiptQuery{Domain: &dom, Status: s}); err != nil || !ok || n != uint64(len(out)) {
				t.Fatalf("count %s = %d %v %v, listing has %d", s, n, ok, err, len(out))
			}
			return out
		}
		// Six blocks: ERs 0..5; with D = 3 the head 5 confirmed ER 2.
		if p := list(protocol.ReceiptPending); !reflect.DeepEqual(p, map[uint64]bool{3: true, 4: true, 5: true}) {
			t.Fatalf("pending %v", p)
		}
		commitChain(t, ix, "main", 7, 7) // ER 6 confirms ER 3
		if p, c := list(protocol.ReceiptPending), list(protocol.ReceiptConfirmed); p[3] || !c[3] || len(c) != 4 {
			t.Fatalf("after confirming 3: pending %v confirmed %v", p, c)
		}
		r3 := firstOf(t, reader(t, ix), ReceiptQuery{Domain: &dom, NumberFrom: 3, NumberTo: ptr(uint64(3))})
		want := []StatusChange{{protocol.ReceiptPending, 4}, {protocol.ReceiptConfirmed, 7}}
		if !reflect.DeepEqual(r3.Timeline, want) || !reflect.DeepEqual(r3.Backers, []protocol.OperatorID{1, 3}) {
			t.Fatalf("receipt 3 timeline %v backers %v", r3.Timeline, r3.Backers)
		}
		// The backer index follows the added backer.
		op := protocol.OperatorID(3)
		page, err := reader(t, ix).Receipts(ReceiptQuery{Operator: &op, NumberFrom: 3, NumberTo: ptr(uint64(3))})
		if err != nil || len(page.Items) != 1 || page.Items[0].Hash != r3.Hash {
			t.Fatalf("receipts backed by 3 at #3: %v %v", page, err)
		}
	})
}

func firstOf(t *testing.T, r *Reader, q ReceiptQuery) *ReceiptRecord {
	t.Helper()
	page, err := r.Receipts(q)
	if err != nil || len(page.Items) == 0 {
		t.Fatalf("receipts %+v: %v %v", q, page, err)
	}
	return page.Items[0]
}

func ptr[T any](v T) *T { return &v }
