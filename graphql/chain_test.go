package graphql

import (
	"testing"
)

// A consensus block links to its bundles, each bundle to its
// transactions, each transaction to its domain block; lookups by number
// and hash agree.
func TestChainLinks(t *testing.T) {
	s, fx := newServer(t, nil)
	d := mustQuery(t, s, `{ bundles(where: {domain: 1}, last: 3) { totalCount nodes {
		hash index consensusNumber consensusBlock { number hash bundles { hash } } operator { operatorId domain { domainId } }
		operatorId validity { valid invalidKind txIndex digest } admitted receipt { hash } receiptHash transactionHashes
		transactions { hash from fate bundle { hash } domainBlockNumber position domainBlock { number transactionHashes }
			nonce to value gas decodes status gasUsed logs { account topics } }
		domain { domainId } } } }`, nil)
	bs := getList(d, "bundles", "nodes")
	if len(bs) != 3 {
		t.Fatalf("%d bundles", len(bs))
	}
	txs := 0
	for _, b := range bs {
		if get(b, "domain", "domainId") != 1.0 || get(b, "receipt", "hash") != get(b, "receiptHash") {
			t.Errorf("bundle %v", get(b, "hash"))
		}
		found := false
		for _, h := range getList(b, "consensusBlock", "bundles") {
			found = found || get(h, "hash") == get(b, "hash")
		}
		if !found {
			t.Errorf("bundle %v is not among its consensus block's bundles", get(b, "hash"))
		}
		if len(getList(b, "transactions")) != len(getList(b, "transactionHashes")) {
			t.Errorf("bundle %v: %d transactions for %d hashes", get(b, "hash"), len(getList(b, "transactions")), len(getList(b, "transactionHashes")))
		}
		for i, tx := range getList(b, "transactions") {
			txs++
			if get(tx, "hash") != getList(b, "transactionHashes")[i] || get(tx, "bundle", "hash") != get(b, "hash") {
				t.Errorf("tx %d of bundle %v: %v", i, get(b, "hash"), tx)
			}
			if get(tx, "fate") == "INCLUDED" {
				pos := int(get(tx, "position").(float64))
				if hs := getList(tx, "domainBlock", "transactionHashes"); pos >= len(hs) || hs[pos] != get(tx, "hash") {
					t.Errorf("included tx %v is not at position %d of its domain block", get(tx, "hash"), pos)
				}
				if get(tx, "status") == nil || get(tx, "decodes") != true {
					t.Errorf("included tx %v without receipt fields", get(tx, "hash"))
				}
			} else if get(tx, "status") != nil || get(tx, "position") != nil {
				t.Errorf("tx %v with fate %v has receipt fields", get(tx, "hash"), get(tx, "fate"))
			}
		}
	}
	if txs == 0 {
		t.Error("no transactions in the bundles")
	}
	n := get(bs[0], "consensusNumber")
	h := get(bs[0], "consensusBlock", "hash")
	d = mustQuery(t, s, `query($n: Long, $h: Bytes32) { a: consensusBlock(number: $n) { hash number parent { number }
		domainBlocks { domain { domainId } number consensusNumber } }
		b: consensusBlock(hash: $h) { number } none: consensusBlock(number: "0xffffffff") { number } }`,
		map[string]any{"n": n, "h": h})
	if get(d, "a", "hash") != h || get(d, "b", "number") != n || get(d, "none") != nil {
		t.Errorf("lookups disagree: %v", d)
	}
	if dbs := getList(d, "a", "domainBlocks"); len(dbs) == 0 {
		t.Error("a block with domain-1 bundles derives no domain block")
	} else {
		for _, db := range dbs {
			if get(db, "consensusNumber") != n {
				t.Errorf("domain block %v is derived by %v, not %v", db, get(db, "consensusNumber"), n)
			}
		}
	}
	// A transaction by hash, and the domain block by hash and number.
	var txHash any
	for _, b := range bs {
		if hs := getList(b, "transactionHashes"); len(hs) > 0 {
			txHash = hs[0]
		}
	}
	if txHash == nil {
		t.Fatal("no bundle with transactions")
	}
	d = mustQuery(t, s, `query($h: Bytes32!) { transaction(hash: $h) { hash fate domainBlock { hash number domain { domainId } } }
		transactionOccurrences(hash: $h) { fate consensusNumber } }`, map[string]any{"h": txHash})
	if get(d, "transaction", "hash") != txHash || len(getList(d, "transactionOccurrences")) == 0 {
		t.Fatalf("transaction lookup: %v", d)
	}
	if db := get(d, "transaction", "domainBlock"); db != nil {
		d2 := mustQuery(t, s, `query($h: Bytes32, $n: Long) { a: domainBlock(domain: 1, hash: $h) { number }
			b: domainBlock(domain: 1, number: $n) { hash stateRoot transactionsRoot parentHash parent { hash } gasLimit baseFeePerGas
			mixHash parentBeaconBlockRoot consensusBlock { hash randomness } transactions(first: 2) { totalCount nodes { hash } }
			receipts { nodes { hash verdict { valid } } } } }`, map[string]any{"h": get(db, "hash"), "n": get(db, "number")})
		if get(d2, "a", "number") != get(db, "number") || get(d2, "b", "hash") != get(db, "hash") {
			t.Errorf("domain block lookups disagree: %v vs %v", d2, db)
		}
		if get(d2, "b", "mixHash") != get(d2, "b", "consensusBlock", "randomness") ||
			get(d2, "b", "parentBeaconBlockRoot") != get(d2, "b", "consensusBlock", "hash") {
			t.Errorf("domain header does not follow DESIGN §1.5: %v", get(d2, "b"))
		}
	}
	_ = fx
}

func TestOperators(t *testing.T) {
	s, fx := newServer(t, nil)
	d := mustQuery(t, s, `{ operators(first: 100) { nodes { id operatorId domain { domainId } stake status publicKey rewards
		electionsWon bundleCount receiptsBacked faults slashes fees
		bundles(first: 1) { totalCount } receipts(first: 1) { totalCount nodes { backerIds } } } }
		slashed: operators(where: {status: SLASHED}) { nodes { operatorId status } }
		d1: operators(where: {domain: 1}) { nodes { domain { domainId } } } }`, nil)
	ops := getList(d, "operators", "nodes")
	if len(ops) != 6 {
		t.Fatalf("%d operators, want 6 (2 domains × 3)", len(ops))
	}
	faults := 0
	for _, op := range ops {
		if get(op, "bundles", "totalCount") != get(op, "bundleCount") {
			t.Errorf("operator %v: bundles totalCount %v, bundleCount %v", get(op, "operatorId"), get(op, "bundles", "totalCount"), get(op, "bundleCount"))
		}
		if get(op, "receipts", "totalCount") != get(op, "receiptsBacked") && get(op, "operatorId") != "0x0" {
			t.Logf("operator %v: receipts %v, receiptsBacked %v", get(op, "operatorId"), get(op, "receipts", "totalCount"), get(op, "receiptsBacked"))
		}
		if f := get(op, "faults"); f != "0x0" {
			faults++
		}
		if len(get(op, "publicKey").(string)) != 2+96 {
			t.Errorf("public key %v", get(op, "publicKey"))
		}
	}
	if faults == 0 {
		t.Error("no operator has a fault, though two are faulty")
	}
	for _, op := range getList(d, "slashed", "nodes") {
		if get(op, "status") != "SLASHED" {
			t.Errorf("status filter let through %v", op)
		}
	}
	for _, op := range getList(d, "d1", "nodes") {
		if get(op, "domain", "domainId") != 1.0 {
			t.Errorf("domain filter let through %v", op)
		}
	}
	_ = fx
}
