package graphql

import (
	"fmt"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/receiptd/receiptd/indexer"
)

// Every bad receipt is listed with its verdict, and each field matches the
// index record; its inboxed bundles link to bundles with the same
// extrinsics root.
func TestBadReceiptsWithVerdictsAndLinks(t *testing.T) {
	s, fx := newServer(t, nil)
	d := mustQuery(t, s, `{ receipts(where: {verdict: BAD}, first: 100) { totalCount nodes {
		id hash number status confirmedBad firstSeen domain { domainId } domainBlockHash extrinsicsRoot
		parentReceiptHash parent { hash } consensusNumber consensusHash consensusBlock { hash }
		gasUsed receiptsRoot logsBloom finalStateRoot trace traceRoot fees { operators burned }
		verdict { valid field expected claimed descendsFromBad }
		backers { operatorId } backerIds timeline { status consensusNumber consensusBlock { number } }
		inboxedBundles { index extrinsicsRoot validity { valid invalidKind txIndex digest } bundle { hash extrinsicsRoot domain { domainId } } }
		challenge { proofHash kind status }
		domainBlock { number hash } } } }`, nil)
	nodes := getList(d, "receipts", "nodes")
	if len(nodes) != len(fx.bad) {
		t.Fatalf("%d bad receipts listed, the index holds %d", len(nodes), len(fx.bad))
	}
	if get(d, "receipts", "totalCount") != hexU(uint64(len(fx.bad))) {
		t.Errorf("totalCount %v, want %d", get(d, "receipts", "totalCount"), len(fx.bad))
	}
	r, err := fx.idx.Reader()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	challenged := 0
	for _, n := range nodes {
		rec, err := r.Receipt(common.HexToHash(get(n, "hash").(string)))
		if err != nil {
			t.Fatal(err)
		}
		er := &rec.Receipt
		checks := map[string][2]any{
			"number":          {get(n, "number"), hexU(rec.Number)},
			"valid":           {get(n, "verdict", "valid"), false},
			"field":           {get(n, "verdict", "field"), rec.Verdict.Field},
			"domainBlockHash": {get(n, "domainBlockHash"), er.DomainHash.Hex()},
			"finalStateRoot":  {get(n, "finalStateRoot"), er.FinalStateRoot.Hex()},
			"traceLen":        {len(getList(n, "trace")), len(er.Trace)},
			"backers":         {len(getList(n, "backers")), len(rec.Backers)},
			"timeline":        {len(getList(n, "timeline")), len(rec.Timeline)},
			"inboxed":         {len(getList(n, "inboxedBundles")), len(er.InboxedBundles)},
			"consensusBlock":  {get(n, "consensusBlock", "hash"), er.ConsensusHash.Hex()},
			"parent":          {get(n, "parent", "hash"), er.ParentReceiptHash.Hex()},
			"status":          {get(n, "status"), strings.ToUpper(rec.Status.String())},
		}
		for name, c := range checks {
			if fmt.Sprint(c[0]) != fmt.Sprint(c[1]) {
				t.Errorf("receipt %s: %s is %v, want %v", rec.Hash, name, c[0], c[1])
			}
		}
		if !rec.Verdict.DescendsFromBad && (get(n, "verdict", "expected") == nil || get(n, "verdict", "claimed") == nil) {
			t.Errorf("receipt %s: bad verdict without expected and claimed values", rec.Hash)
		}
		for _, ib := range getList(n, "inboxedBundles") {
			if get(ib, "bundle") == nil {
				t.Errorf("receipt %s: inboxed bundle %v links to no bundle", rec.Hash, get(ib, "index"))
				continue
			}
			if get(ib, "bundle", "extrinsicsRoot") != get(ib, "extrinsicsRoot") {
				t.Errorf("receipt %s: inboxed bundle %v links to a bundle with another extrinsics root", rec.Hash, get(ib, "index"))
			}
		}
		if get(n, "challenge") != nil {
			challenged++
			if get(n, "challenge", "kind") != "INVALID_EXTRINSICS_ROOT" {
				t.Errorf("challenge kind %v", get(n, "challenge", "kind"))
			}
		}
	}
	if challenged != 2 {
		t.Errorf("%d bad receipts link to a challenge, want 2", challenged)
	}
}

// Paging forward and backward through all receipts, in both orders,
// visits every receipt exactly once, in the index's order.
func TestReceiptPagination(t *testing.T) {
	s, fx := newServer(t, nil)
	total := get(mustQuery(t, s, `{ receipts { totalCount } }`, nil), "receipts", "totalCount").(string)
	walk := func(order, dir string) []string {
		var hashes []string
		var cursor any
		for range 1000 {
			args := map[string]any{"n": 7, "c": cursor, "o": order}
			q := `query($n: Int, $c: String, $o: BlockOrder) { receipts(orderBy: $o, first: $n, after: $c) {
				edges { cursor node { hash } } pageInfo { hasNextPage hasPreviousPage endCursor startCursor } } }`
			if dir == "back" {
				q = `query($n: Int, $c: String, $o: BlockOrder) { receipts(orderBy: $o, last: $n, before: $c) {
				edges { cursor node { hash } } pageInfo { hasNextPage hasPreviousPage endCursor startCursor } } }`
			}
			d := mustQuery(t, s, q, args)
			edges := getList(d, "receipts", "edges")
			var page []string
			for _, e := range edges {
				page = append(page, get(e, "node", "hash").(string))
			}
			if dir == "back" {
				hashes = append(page, hashes...)
				if get(d, "receipts", "pageInfo", "hasPreviousPage") != true {
					return hashes
				}
				cursor = get(d, "receipts", "pageInfo", "startCursor")
			} else {
				hashes = append(hashes, page...)
				if get(d, "receipts", "pageInfo", "hasNextPage") != true {
					return hashes
				}
				cursor = get(d, "receipts", "pageInfo", "endCursor")
			}
		}
		t.Fatal("pagination does not end")
		return nil
	}
	fwd := walk("NUMBER_ASC", "fwd")
	if hexU(uint64(len(fwd))) != total {
		t.Fatalf("forward walk saw %d receipts, totalCount %s", len(fwd), total)
	}
	seen := map[string]bool{}
	for _, h := range fwd {
		if seen[h] {
			t.Fatalf("receipt %s listed twice", h)
		}
		seen[h] = true
	}
	if back := walk("NUMBER_ASC", "back"); strings.Join(back, ",") != strings.Join(fwd, ",") {
		t.Error("backward walk differs from the forward walk")
	}
	desc := walk("NUMBER_DESC", "fwd")
	for i := range desc {
		if desc[i] != fwd[len(fwd)-1-i] {
			t.Fatalf("NUMBER_DESC is not the reverse of NUMBER_ASC at %d", i)
		}
	}
	_ = fx
}

// Each kind of object comes back from node(id) as itself.
func TestNodeRoundTrip(t *testing.T) {
	s, fx := newServer(t, nil)
	d := mustQuery(t, s, `{
		domains { id }
		consensusBlocks(last: 3) { nodes { id } }
		bundles(first: 2) { nodes { id transactions { id } } }
		receipts(last: 2) { nodes { id } }
		domainBlocks(domain: 1, last: 2) { nodes { id } }
		operators(first: 2) { nodes { id } }
		challenges { nodes { id } }
	}`, nil)
	var ids []string
	var collect func(v any)
	collect = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				if k == "id" {
					ids = append(ids, e.(string))
				} else {
					collect(e)
				}
			}
		case []any:
			for _, e := range x {
				collect(e)
			}
		}
	}
	collect(d)
	if len(ids) < 14 {
		t.Fatalf("only %d ids", len(ids))
	}
	for _, id := range ids {
		got := mustQuery(t, s, `query($id: ID!) { node(id: $id) { id __typename } }`, map[string]any{"id": id})
		if get(got, "node", "id") != id {
			t.Errorf("node(%s) = %v", id, get(got, "node"))
		}
	}
	for _, bad := range []string{"nope", "UmVjZWlwdDowegg", ""} {
		r := post(t, s, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": bad})
		if len(r.Errors) == 0 {
			t.Errorf("node(%q) gave no error", bad)
		}
	}
	_ = fx
}

func TestChallenges(t *testing.T) {
	s, fx := newServer(t, nil)
	d := mustQuery(t, s, `{
		all: challenges { totalCount nodes { proofHash kind status opened proofSize proof badReceiptHash
			badReceipt { hash challenge { proofHash } } operators { operatorId } timeline { status consensusNumber } } }
		accepted: challenges(where: {status: ACCEPTED}) { totalCount nodes { proofHash } }
		byKind: challenges(where: {kind: INVALID_EXTRINSICS_ROOT}, last: 1) { totalCount nodes { proofHash } pageInfo { hasPreviousPage } }
		otherKind: challenges(where: {kind: BUNDLE_VALIDITY}) { nodes { proofHash } }
	}`, nil)
	all := getList(d, "all", "nodes")
	if len(all) != 2 || get(d, "all", "totalCount") != "0x2" {
		t.Fatalf("challenges %v", get(d, "all"))
	}
	// Both were opened in block tip+1, so the listing orders them by hash.
	want := []common.Hash{fx.challenges[0], fx.challenges[1]}
	if want[0].Cmp(want[1]) > 0 {
		want[0], want[1] = want[1], want[0]
	}
	var accepted any
	for i, c := range all {
		if get(c, "proofHash") != want[i].Hex() || get(c, "badReceipt", "challenge", "proofHash") != get(c, "proofHash") {
			t.Errorf("challenge %d: %v", i, c)
		}
		if p := get(c, "proof").(string); hexU(uint64(len(p)/2-1)) != get(c, "proofSize") {
			t.Errorf("proof of %d hex chars, proofSize %v", len(p), get(c, "proofSize"))
		}
		if get(c, "proofHash") == fx.challenges[1].Hex() {
			accepted = c
		}
	}
	if tl := getList(accepted, "timeline"); len(tl) != 2 || get(tl[1], "status") != "ACCEPTED" ||
		get(tl[1], "consensusNumber") != hexU(fx.tip+2) {
		t.Errorf("accepted challenge's timeline %v", tl)
	}
	if n := getList(d, "accepted", "nodes"); len(n) != 1 || get(n[0], "proofHash") != fx.challenges[1].Hex() {
		t.Errorf("status filter: %v", n)
	}
	if n := getList(d, "byKind", "nodes"); len(n) != 1 || get(n[0], "proofHash") != want[1].Hex() ||
		get(d, "byKind", "pageInfo", "hasPreviousPage") != true || get(d, "byKind", "totalCount") != nil {
		t.Errorf("kind filter, last 1: %v", get(d, "byKind"))
	}
	if n := getList(d, "otherKind", "nodes"); len(n) != 0 {
		t.Errorf("kind filter kept %v", n)
	}
	_ = indexer.ChallengeAccepted
}
