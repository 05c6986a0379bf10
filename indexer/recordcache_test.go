package indexer

import (
	"context"
	"reflect"
	"testing"

	"github.com/receiptd/receiptd/protocol"
)

// A SharedReader serves records decoded before only while their stored
// bytes are the same: a receipt confirmed by a later commit, and then
// rolled back, reads as its snapshot has it each time, from point lookups
// and listings alike, while a snapshot taken before keeps the old record.
func TestSharedReaderFollowsCommitsAndRollbacks(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		ix := b.open(t, Options{UndoRetention: testRetention})
		commitChain(t, ix, "main", 0, 6)
		dom := testDomain
		q := ReceiptQuery{Domain: &dom, NumberFrom: 3, NumberTo: ptr(uint64(3))}
		read := func(r *Reader) (point, listed *ReceiptRecord) {
			t.Helper()
			listed = firstOf(t, r, q)
			point, err := r.Receipt(listed.Hash)
			if err != nil {
				t.Fatal(err)
			}
			return point, listed
		}
		shared := func() *Reader {
			t.Helper()
			r, err := ix.SharedReader()
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { r.Close() })
			return r
		}
		old := shared()
		before, _ := read(old)
		if p, l := read(shared()); p != before || l != before {
			t.Fatal("the same stored receipt was decoded again, not shared")
		}
		if before.Status != protocol.ReceiptPending {
			t.Fatalf("receipt 3 is %s before block 7", before.Status)
		}
		commitChain(t, ix, "main", 7, 7) // confirms ER 3
		for _, r := range []*Reader{shared(), reader(t, ix)} {
			p, l := read(r)
			if p.Status != protocol.ReceiptConfirmed || l.Status != protocol.ReceiptConfirmed {
				t.Fatalf("after block 7: %s / %s, want confirmed", p.Status, l.Status)
			}
		}
		if p, l := read(old); p.Status != protocol.ReceiptPending || l.Status != protocol.ReceiptPending {
			t.Fatalf("the snapshot before block 7 reads %s / %s", p.Status, l.Status)
		}
		if err := ix.Rollback(context.Background(), 6); err != nil {
			t.Fatal(err)
		}
		p, l := read(shared())
		if !reflect.DeepEqual(p, before) || !reflect.DeepEqual(l, before) {
			t.Fatalf("after rolling back block 7: %+v, want %+v", p, before)
		}
	})
}
