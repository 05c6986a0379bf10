package indexer

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"testing"

	"github.com/receiptd/receiptd/protocol"
)

const pageDomain protocol.DomainID = 2

// fillReceipts commits count ERs of pageDomain, perBlock per consensus
// block; ER i is backed by operator i%3+1, confirmed when i%4 == 0 and bad
// when i%10 == 0.
func fillReceipts(t testing.TB, ix *Index, count, perBlock int) {
	t.Helper()
	commitChain(t, ix, "main", 0, 0)
	for start := 0; start < count; start += perBlock {
		p := mustProgress(t, ix)
		h := header("page", p.Number+1, p.Hash)
		err := ix.Commit(context.Background(), h.Number, h.Hash(), func(w *Writer) error {
			for i := start; i < min(start+perBlock, count); i++ {
				er := protocol.ExecutionReceipt{DomainNumber: uint64(i), GasUsed: 1, InboxedBundles: []protocol.InboxedBundle{}}
				r := &ReceiptRecord{Hash: er.Hash(), Domain: pageDomain, Number: uint64(i), Receipt: er,
					Verdict: Verdict{Valid: i%10 != 0}, Status: protocol.ReceiptPending,
					Backers: []protocol.OperatorID{protocol.OperatorID(i%3 + 1)}}
				if i%4 == 0 {
					r.Status = protocol.ReceiptConfirmed
				}
				if err := w.PutReceipt(r); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// walk pages through a listing and returns the domain numbers in the order
// met, checking HasNext/HasPrev on the way.
func walk(t *testing.T, r *Reader, q ReceiptQuery, backward bool) []uint64 {
	t.Helper()
	var out []uint64
	for pages := 0; ; pages++ {
		page, err := r.Receipts(q)
		if err != nil {
			t.Fatal(err)
		}
		var nums []uint64
		for _, rec := range page.Items {
			nums = append(nums, rec.Number)
		}
		more, back := page.HasNext, page.HasPrev
		if backward {
			more, back = page.HasPrev, page.HasNext
			out = append(nums, out...)
			q.Before = page.StartCursor()
		} else {
			out = append(out, nums...)
			q.After = page.EndCursor()
		}
		if back != (pages > 0) {
			t.Fatalf("page %d: the side already walked reports more=%v", pages, back)
		}
		if !more {
			return out
		}
		if len(page.Items) != 50 {
			t.Fatalf("page %d has %d items but more follow", pages, len(page.Items))
		}
	}
}

func TestPaginationVisitsEachOnce(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		ix := b.open(t, Options{})
		fillReceipts(t, ix, 2000, 250)
		r := reader(t, ix)
		dom := pageDomain
		all := make([]uint64, 2000)
		for i := range all {
			all[i] = uint64(i)
		}
		desc := slices.Clone(all)
		slices.Reverse(desc)
		confirmed := []uint64{0} // the fixture's genesis ER, domain 1
		var byOp2, badFrom500 []uint64
		for _, n := range all {
			if n%4 == 0 {
				confirmed = append(confirmed, n)
			}
			if n%3 == 1 {
				byOp2 = append(byOp2, n)
			}
			if n%10 == 0 && n >= 500 && n <= 1500 {
				badFrom500 = append(badFrom500, n)
			}
		}
		op2 := protocol.OperatorID(2)
		cases := []struct {
			name string
			q    ReceiptQuery
			want []uint64
		}{
			{"domain", ReceiptQuery{Domain: &dom, PageArgs: PageArgs{First: 50}}, all},
			{"domain desc", ReceiptQuery{Domain: &dom, PageArgs: PageArgs{First: 50, Desc: true}}, desc},
			{"status", ReceiptQuery{Status: protocol.ReceiptConfirmed, PageArgs: PageArgs{First: 50}}, confirmed},
			{"operator", ReceiptQuery{Operator: &op2, PageArgs: PageArgs{First: 50}}, byOp2},
			{"bad in range", ReceiptQuery{Domain: &dom, Verdict: VerdictBad, NumberFrom: 500, NumberTo: ptr(uint64(1500)), PageArgs: PageArgs{First: 50}}, badFrom500},
		}
		for _, c := range cases {
			if got := walk(t, r, c.q, false); !slices.Equal(got, c.want) {
				t.Errorf("%s forwards: %d items, want %d (first %v)", c.name, len(got), len(c.want), got[:min(5, len(got))])
			}
			c.q.First, c.q.Last = 0, 50
			if got := walk(t, r, c.q, true); !slices.Equal(got, c.want) {
				t.Errorf("%s backwards: %d items, want %d", c.name, len(got), len(c.want))
			}
		}
		counts := []struct {
			q    ReceiptQuery
			want uint64
		}{
			{ReceiptQuery{}, 2001}, // with the fixture's genesis ER
			{ReceiptQuery{Domain: &dom}, 2000},
			{ReceiptQuery{Domain: &dom, Status: protocol.ReceiptPending}, 1500},
			{ReceiptQuery{Status: protocol.ReceiptConfirmed}, 501},
			{ReceiptQuery{Operator: &op2}, 667},
			{ReceiptQuery{Domain: &dom, Verdict: VerdictBad}, 200},
		}
		for _, c := range counts {
			if n, ok, err := r.CountReceipts(c.q); err != nil || !ok || n != c.want {
				t.Errorf("count %+v = %d %v %v, want %d", c.q, n, ok, err, c.want)
			}
		}
		if _, ok, _ := r.CountReceipts(ReceiptQuery{NumberFrom: 3}); ok {
			t.Error("a ranged count claims to be cheap")
		}
	})
}

func TestCursorsBelongToTheirListing(t *testing.T) {
	ix := backends()[0].open(t, Options{})
	fillReceipts(t, ix, 100, 100)
	r := reader(t, ix)
	dom := pageDomain
	page, err := r.Receipts(ReceiptQuery{Domain: &dom, PageArgs: PageArgs{First: 10}})
	if err != nil {
		t.Fatal(err)
	}
	cases := []ReceiptQuery{
		{Status: protocol.ReceiptPending, PageArgs: PageArgs{After: page.EndCursor()}},
		{Domain: &dom, PageArgs: PageArgs{After: Cursor("junk")}},
		{Domain: &dom, NumberFrom: 50, PageArgs: PageArgs{After: page.EndCursor()}},
	}
	for i, q := range cases {
		if _, err := r.Receipts(q); !errors.Is(err, ErrBadCursor) {
			t.Errorf("case %d: %v, want ErrBadCursor", i, err)
		}
	}
	for i, args := range []PageArgs{{First: 1, Last: 1}, {First: -1}, {Last: MaxPageSize + 1}} {
		if _, err := r.Receipts(ReceiptQuery{Domain: &dom, PageArgs: args}); !errors.Is(err, ErrBadQuery) {
			t.Errorf("args %d: %v, want ErrBadQuery", i, err)
		}
	}
	// Both cursors: the items strictly between them.
	between, err := r.Receipts(ReceiptQuery{Domain: &dom, PageArgs: PageArgs{After: page.Cursors[2], Before: page.Cursors[6]}})
	if err != nil || len(between.Items) != 3 || between.Items[0].Number != 3 || !between.HasPrev || between.HasNext {
		t.Fatalf("between cursors: %+v %v", between, err)
	}
}

// Bundles, challenges, domain blocks, txs and operators page the same way.
func TestOtherListings(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		ix := b.open(t, Options{})
		commitChain(t, ix, "main", 0, 2)
		commitChain(t, ix, "fork", 3, 12) // bad ERs at 3, 6, 9, 12
		r := reader(t, ix)
		dom, op := testDomain, protocol.OperatorID(2)
		bundles, err := r.Bundles(BundleQuery{Operator: &op})
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range bundles.Items {
			if x.Operator != op {
				t.Fatalf("bundle of operator %d in operator %d's listing", x.Operator, op)
			}
		}
		if n, ok, _ := r.CountBundles(BundleQuery{Operator: &op}); !ok || n != uint64(len(bundles.Items)) || n == 0 {
			t.Fatalf("bundle count %d, listing %d", n, len(bundles.Items))
		}
		inBlock, err := r.Bundles(BundleQuery{ConsensusNumber: ptr(uint64(5))})
		if err != nil || len(inBlock.Items) != 2 || inBlock.Items[1].Index != 1 || inBlock.Items[1].Validity.IsValid() {
			t.Fatalf("bundles of block 5: %+v %v", inBlock, err)
		}
		ch, err := r.Challenges(ChallengeQuery{Status: ChallengeSubmitted})
		if err != nil || len(ch.Items) != 3 { // the newest is still detected
			t.Fatalf("submitted challenges: %d %v", len(ch.Items), err)
		}
		if n, ok, _ := r.CountChallenges(ChallengeQuery{Status: ChallengeDetected}); !ok || n != 1 {
			t.Fatalf("detected challenges: %d", n)
		}
		blocks, err := r.DomainBlocks(dom, 4, ptr(uint64(8)), PageArgs{Desc: true})
		if err != nil || len(blocks.Items) != 5 || blocks.Items[0].Number != 8 {
			t.Fatalf("domain blocks 8..4: %+v %v", blocks, err)
		}
		txs, err := r.DomainTxs(dom, 8, PageArgs{})
		if err != nil || len(txs.Items) != 5 { // six txs, one duplicate
			t.Fatalf("txs of domain block 8: %d %v", len(txs.Items), err)
		}
		for i, tx := range txs.Items {
			if tx.Fate.Position != uint32(i) || tx.Fate.Kind != TxIncluded {
				t.Fatalf("tx %d: fate %+v", i, tx.Fate)
			}
		}
		refs, err := r.DomainTxRefs(dom, 8, PageArgs{})
		if err != nil || !reflect.DeepEqual(refs.Cursors, txs.Cursors) || refs.HasNext != txs.HasNext || refs.HasPrev != txs.HasPrev {
			t.Fatalf("tx refs of domain block 8: %+v %v", refs, err)
		}
		for i, ref := range refs.Items {
			tx := txs.Items[i]
			if want := (TxRef{tx.Hash, tx.ConsensusNumber, tx.BundleIndex, tx.ExtrinsicIndex, tx.Fate.Position}); ref != want {
				t.Fatalf("tx ref %d: %+v, want %+v", i, ref, want)
			}
		}
		dup, err := r.Txs(seed("fork", 8, "tx", 0, 0))
		if err != nil || len(dup) != 2 || dup[0].Fate.Kind != TxIncluded || dup[1].Fate.Kind != TxDuplicate {
			t.Fatalf("duplicated tx: %+v %v", dup, err)
		}
		ops, err := r.Operators(OperatorQuery{Domain: &dom, PageArgs: PageArgs{First: 2}})
		if err != nil || len(ops.Items) != 2 || ops.Items[1].Operator.ID != 2 || !ops.HasNext {
			t.Fatalf("operators: %+v %v", ops, err)
		}
		cbs, err := r.ConsensusBlocks(0, nil, PageArgs{Last: 3})
		if err != nil || len(cbs.Items) != 3 || cbs.Items[2].Number != 12 || !cbs.HasPrev {
			t.Fatalf("newest consensus blocks: %+v %v", cbs, err)
		}
	})
}

// TestDomainTxsInPositionOrder: a domain block's transactions are listed in
// execution order, which the shuffle makes differ from the order of their
// bundles and extrinsics, in which they are stored.
func TestDomainTxsInPositionOrder(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		ix := b.open(t, Options{})
		h := protocol.Header{Number: 0}
		positions := []uint32{2, 0, 3, 1} // of extrinsics 0..3 of bundle 0
		err := ix.Commit(context.Background(), 0, h.Hash(), func(w *Writer) error {
			if err := w.PutConsensusBlock(&ConsensusBlockRecord{Number: 0, Hash: h.Hash(), Header: h}); err != nil {
				return err
			}
			for ext, pos := range positions {
				err := w.PutTx(&TxRecord{Hash: seed("pos", ext), Domain: testDomain, Raw: []byte{byte(ext)},
					ExtrinsicIndex: uint32(ext), Fate: TxFate{Kind: TxIncluded, Position: pos}})
				if err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		r := reader(t, ix)
		var got []uint32
		for after := Cursor(nil); ; {
			page, err := r.DomainTxs(testDomain, 0, PageArgs{First: 3, After: after})
			if err != nil {
				t.Fatal(err)
			}
			for i, tx := range page.Items {
				if tx.Fate.Position != uint32(len(got)) || tx.Hash != seed("pos", tx.ExtrinsicIndex) {
					t.Fatalf("item %d of a page: position %d, extrinsic %d, hash %s", i, tx.Fate.Position, tx.ExtrinsicIndex, tx.Hash)
				}
				got = append(got, tx.ExtrinsicIndex)
			}
			if !page.HasNext {
				break
			}
			after = page.EndCursor()
		}
		if want := []uint32{1, 3, 0, 2}; !slices.Equal(got, want) {
			t.Fatalf("extrinsics in execution order %v, want %v", got, want)
		}
	})
}

// A filter the key range cannot express (a number range without a domain)
// reads at most MaxSkipped rejected entries per page: a page may then end
// short, even empty, with HasNext and a cursor where the walk stopped, and
// paging on from it still visits every match once, in both directions.
func TestFilteredPagesAreBounded(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		ix := b.open(t, Options{})
		fillReceipts(t, ix, 3*MaxSkipped, 500)
		r := reader(t, ix)
		all := func(q ReceiptQuery, backward bool) (nums []uint64, pages, cut int) {
			for ; ; pages++ {
				page, err := r.Receipts(q)
				if err != nil {
					t.Fatal(err)
				}
				if page.Resume != nil {
					cut++
				}
				var got []uint64
				for _, rec := range page.Items {
					got = append(got, rec.Number)
				}
				more := page.HasNext
				if backward {
					nums, more, q.Before = append(got, nums...), page.HasPrev, page.StartCursor()
				} else {
					nums, q.After = append(nums, got...), page.EndCursor()
				}
				if !more {
					return nums, pages + 1, cut
				}
				if q.After == nil && q.Before == nil {
					t.Fatal("more follow but the page has no cursor to go on from")
				}
			}
		}
		from := uint64(3*MaxSkipped - 100)
		for _, c := range []struct {
			name     string
			q        ReceiptQuery
			backward bool
			want     int
		}{
			{"last hundred", ReceiptQuery{NumberFrom: from, PageArgs: PageArgs{First: 50}}, false, 100},
			{"last hundred backwards", ReceiptQuery{NumberFrom: from, PageArgs: PageArgs{Last: 50}}, true, 100},
			{"none", ReceiptQuery{NumberFrom: 1 << 40, PageArgs: PageArgs{First: 50}}, false, 0},
			{"none backwards", ReceiptQuery{NumberFrom: 1 << 40, PageArgs: PageArgs{Last: 50}}, true, 0},
		} {
			nums, pages, cut := all(c.q, c.backward)
			seen := map[uint64]bool{}
			for _, n := range nums {
				if n < from || seen[n] {
					t.Errorf("%s: %d is out of range or met twice", c.name, n)
				}
				seen[n] = true
			}
			if len(nums) != c.want {
				t.Errorf("%s: %d items, want %d", c.name, len(nums), c.want)
			}
			if cut == 0 {
				t.Errorf("%s: no page was cut short over %d rejected entries", c.name, 3*MaxSkipped-c.want)
			}
			t.Logf("%s: %d pages, %d cut short", c.name, pages, cut)
		}
	})
}
