package main

import (
	"context"
	"io"
	"testing"

	"github.com/receiptd/receiptd/indexer"
	"github.com/receiptd/receiptd/protocol"
)

// The loader writes a small synthetic chain that the benchmark's queries
// read back without errors, and the cursor walk reaches its last page:
// what the load run relies on, without wrk or geth.
func TestSyntheticIndexAnswersTheBenchQueries(t *testing.T) {
	ix, err := indexer.OpenMemory(indexer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	s := shapeFor(2_000, 3)
	if err := load(context.Background(), ix, s, io.Discard); err != nil {
		t.Fatal(err)
	}
	if got := s.receipts(); got < 2_000 {
		t.Fatalf("shape gives %d receipts, want at least 2000", got)
	}
	url, stop, err := serve(ix, true)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	ctx := context.Background()
	var total struct {
		A, B, C struct{ TotalCount string }
	}
	if err := post(ctx, url, body(`{ a: receipts(where: {domain: 1}) { totalCount } b: receipts(where: {domain: 2}) { totalCount }
		c: receipts(where: {domain: 3}) { totalCount } }`), &total); err != nil {
		t.Fatal(err)
	}
	t.Logf("receipts per domain: %s %s %s (want %d in all)", total.A.TotalCount, total.B.TotalCount, total.C.TotalCount, s.receipts())

	n := uint64(50) // a busy block: 40 txs
	er := honestER(protocol.DomainID(2), n, txsAt(n))
	cursor, err := walkTo(ctx, url, s.receipts()/50, 50, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string]map[string]any{
		"receipt": body(qReceipt, "h", er.Hash().Hex()), "page": body(qPage, "d", 1),
		"deep": body(qDeepPage, "c", cursor), "block": body(qDomainBlock, "d", 2, "n", n),
	} {
		if err := check(ctx, url, b); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	var blk struct {
		DomainBlock struct {
			TransactionCount int
			Transactions     struct{ Nodes []struct{ From, To string } }
		}
	}
	if err := post(ctx, url, body(qDomainBlock, "d", 2, "n", n), &blk); err != nil {
		t.Fatal(err)
	}
	if blk.DomainBlock.TransactionCount != 40 || len(blk.DomainBlock.Transactions.Nodes) != 40 || blk.DomainBlock.Transactions.Nodes[0].To == "" {
		t.Errorf("block %d: %+v", n, blk.DomainBlock)
	}
}
