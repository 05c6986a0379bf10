package indexer

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/receiptd/receiptd/protocol"
)

// Any bytes under any record key decode or fail with ErrCorrupt; never a
// panic.
func FuzzDecodeRecord(f *testing.F) {
	er := protocol.ExecutionReceipt{DomainNumber: 3, InboxedBundles: []protocol.InboxedBundle{}}
	for _, r := range []record{
		&ReceiptRecord{Hash: er.Hash(), Number: 3, Receipt: er, Status: protocol.ReceiptPending, Backers: []protocol.OperatorID{1, 2}},
		&ChallengeRecord{Kind: protocol.ProofExtrinsicsRoot, Status: ChallengeStale},
		&TxRecord{Fate: TxFate{Kind: TxSkipped}},
		&OperatorRecord{Operator: protocol.Operator{Status: protocol.OperatorActive}},
	} {
		b, err := encodeRecord(r)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, r := range []record{new(ReceiptRecord), new(ChallengeRecord), new(TxRecord), new(OperatorRecord),
			new(BundleRecord), new(ConsensusBlockRecord), new(DomainBlockRecord), new(undoRecord)} {
			if err := decodeRecord([]byte("k"), b, r); err != nil && !errors.Is(err, ErrCorrupt) {
				t.Fatalf("%T: %v is not ErrCorrupt", r, err)
			}
		}
	})
}

// Zero enums and broken identities are refused at the Writer, so the index
// never holds a record it could not read back.
func TestWriterRefusesInvalidRecords(t *testing.T) {
	ix := backends()[0].open(t, Options{})
	commitChain(t, ix, "main", 0, 4)
	head, err := reader(t, ix).DomainProgress(testDomain)
	if err != nil {
		t.Fatal(err)
	}
	er := protocol.ExecutionReceipt{DomainNumber: 9, InboxedBundles: []protocol.InboxedBundle{}}
	cases := []struct {
		name string
		fn   func(w *Writer) error
		want error
	}{
		{"zero receipt status", func(w *Writer) error {
			return w.PutReceipt(&ReceiptRecord{Hash: er.Hash(), Number: 9, Receipt: er})
		}, ErrInvalidRecord},
		{"receipt hash of another ER", func(w *Writer) error {
			return w.PutReceipt(&ReceiptRecord{Hash: common.Hash{1}, Number: 9, Receipt: er, Status: protocol.ReceiptPending})
		}, ErrInvalidRecord},
		{"zero tx fate", func(w *Writer) error { return w.PutTx(&TxRecord{}) }, ErrInvalidRecord},
		{"receipt changes number", func(w *Writer) error {
			return w.UpdateReceipt(head.HeadHash, func(r *ReceiptRecord) error { r.Number++; return nil })
		}, ErrInvalidRecord},
		{"operator changes domain", func(w *Writer) error {
			return w.UpdateOperator(1, func(o *OperatorRecord) error { o.Operator.Domain = 7; return nil })
		}, ErrInvalidRecord},
		{"unknown operator", func(w *Writer) error {
			return w.UpdateOperator(99, func(*OperatorRecord) error { return nil })
		}, ErrNotFound},
		{"receipt twice", func(w *Writer) error {
			r, err := w.Receipt(head.HeadHash)
			if err != nil {
				return err
			}
			return w.PutReceipt(r)
		}, ErrExists},
		{"block of another number", func(w *Writer) error {
			return w.PutConsensusBlock(&ConsensusBlockRecord{Number: 9, Hash: w.Hash()})
		}, ErrInvalidRecord},
	}
	before := digest(t, ix)
	p := mustProgress(t, ix)
	for _, c := range cases {
		err := ix.Commit(context.Background(), p.Number+1, common.Hash{5}, c.fn)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
	if digest(t, ix) != before {
		t.Fatal("refused records changed the index")
	}
}

func TestChallengeTransitions(t *testing.T) {
	ix := backends()[0].open(t, Options{})
	commitChain(t, ix, "main", 0, 2)
	commitChain(t, ix, "side", 3, 3) // a bad ER and its challenge, detected
	id := seed("side", 3, "proof")
	p := mustProgress(t, ix)
	set := func(n uint64, s ChallengeStatus) error {
		return ix.Commit(context.Background(), n, common.Hash{byte(n)}, func(w *Writer) error {
			return w.UpdateChallenge(id, func(c *ChallengeRecord) error { c.Status = s; return nil })
		})
	}
	if err := set(p.Number+1, ChallengeRejected); !errors.Is(err, ErrBadTransition) {
		t.Fatalf("detected → rejected: %v", err)
	}
	for i, s := range []ChallengeStatus{ChallengeSubmitted, ChallengeRejected, ChallengeSubmitted, ChallengeAccepted} {
		if err := set(p.Number+1+uint64(i), s); err != nil {
			t.Fatalf("→ %s: %v", s, err)
		}
	}
	if err := set(p.Number+5, ChallengeSubmitted); !errors.Is(err, ErrBadTransition) {
		t.Fatalf("accepted → submitted: %v", err)
	}
	c, err := reader(t, ix).Challenge(id)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range c.Timeline {
		got = append(got, e.Status.String())
	}
	if got, want := strings.Join(got, " "), "detected submitted rejected submitted accepted"; got != want {
		t.Fatalf("timeline %q, want %q", got, want)
	}
	if n, ok, _ := reader(t, ix).CountChallenges(ChallengeQuery{Status: ChallengeAccepted}); !ok || n != 1 {
		t.Fatalf("accepted count %d", n)
	}
}
