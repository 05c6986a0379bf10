package indexer

import (
	"context"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/receiptd/receiptd/protocol"
)

func openBenchPebble(b *testing.B) *Index {
	ix, err := Open(b.TempDir(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { ix.Close() })
	return ix
}

// BenchmarkCommit commits realistic consensus blocks to pebble on disk
// (synced): 5 bundles of 20 txs, 5 new ERs, 5 ER updates, 5 operator
// updates, a domain block, progress and a checkpoint.
func BenchmarkCommit(b *testing.B) {
	ix := openBenchPebble(b)
	commitChain(b, ix, "main", 0, 0)
	prevER := make([]common.Hash, 0, 5)
	b.ReportAllocs()
	n := uint64(0)
	for b.Loop() {
		n++
		p := mustProgress(b, ix)
		h := header("bench", n, p.Hash)
		err := ix.Commit(context.Background(), n, h.Hash(), func(w *Writer) error {
			if err := w.PutConsensusBlock(&ConsensusBlockRecord{Number: n, Hash: h.Hash(), Header: h, Raw: make([]byte, 20_000)}); err != nil {
				return err
			}
			dblock := &DomainBlockRecord{Domain: testDomain, Number: n, Hash: seed(n, "d"), ConsensusNumber: n, ConsensusHash: h.Hash()}
			for i := range uint32(5) {
				op := protocol.OperatorID(i%operatorCount + 1)
				bundle := &BundleRecord{Hash: seed(n, "b", i), ConsensusNumber: n, Index: i, Domain: testDomain, Operator: op, Admitted: true}
				for j := range uint32(20) {
					tx := &TxRecord{Hash: seed(n, "t", i, j), Domain: testDomain, Raw: make([]byte, 120), ConsensusNumber: n,
						BundleIndex: i, ExtrinsicIndex: j, Status: 1, GasUsed: 50_000,
						Fate: TxFate{Kind: TxIncluded, DomainNumber: n, Position: uint32(len(dblock.TxHashes)), BundleHash: bundle.Hash},
						Logs: []LogRecord{{Topics: []common.Hash{{1}, {2}}, Data: make([]byte, 64)}}}
					bundle.TxHashes = append(bundle.TxHashes, tx.Hash)
					dblock.TxHashes = append(dblock.TxHashes, tx.Hash)
					if err := w.PutTx(tx); err != nil {
						return err
					}
				}
				if err := w.PutBundle(bundle); err != nil {
					return err
				}
				if err := w.UpdateOperator(op, func(o *OperatorRecord) error { o.Bundles++; return nil }); err != nil {
					return err
				}
				er := protocol.ExecutionReceipt{DomainNumber: n*5 + uint64(i), InboxedBundles: []protocol.InboxedBundle{}, Trace: make([]common.Hash, 102)}
				if err := w.PutReceipt(&ReceiptRecord{Hash: er.Hash(), Domain: testDomain, Number: er.DomainNumber, Receipt: er,
					Verdict: Verdict{Valid: true}, Status: protocol.ReceiptPending, Backers: []protocol.OperatorID{op}}); err != nil {
					return err
				}
				if len(prevER) == 5 {
					if err := w.UpdateReceipt(prevER[i], func(r *ReceiptRecord) error { r.Status = protocol.ReceiptConfirmed; return nil }); err != nil {
						return err
					}
					prevER[i] = er.Hash()
				} else {
					prevER = append(prevER, er.Hash())
				}
			}
			if err := w.PutDomainBlock(dblock); err != nil {
				return err
			}
			return w.PutCheckpoint(make([]byte, 2048))
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "blocks/s")
}

// BenchmarkPageDeep reads a 50-item page at the start of a 12,000-receipt
// listing and at offset 10,000: the cursor is a key, so both cost a seek
// and 50 reads.
func BenchmarkPageDeep(b *testing.B) {
	ix := openBenchPebble(b)
	fillReceipts(b, ix, 12_000, 1000)
	r, err := ix.Reader()
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	dom := pageDomain
	// The cursor of item 9,999 is its index key.
	deep := firstPageItem(b, r, ReceiptQuery{Domain: &dom, NumberFrom: 9_999})
	for _, c := range []struct {
		name  string
		after Cursor
	}{{"offset0", nil}, {"offset10000", deep}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				page, err := r.Receipts(ReceiptQuery{Domain: &dom, PageArgs: PageArgs{First: 50, After: c.after}})
				if err != nil || len(page.Items) != 50 {
					b.Fatalf("page: %d items, %v", len(page.Items), err)
				}
			}
		})
	}
}

func firstPageItem(b *testing.B, r *Reader, q ReceiptQuery) Cursor {
	q.First = 1
	page, err := r.Receipts(q)
	if err != nil || len(page.Items) != 1 {
		b.Fatal(err)
	}
	return page.StartCursor()
}
