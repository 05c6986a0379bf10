package graphql

import (
	"reflect"
	"testing"
)

// A page of a block's transactions that selects only what the block's
// index entries hold is listed from them without reading each
// transaction, and answers what the page that reads them answers; a field
// that needs the record, even in a fragment, reads them.
func TestBlockTransactionsFromIndexEntries(t *testing.T) {
	s, _ := newServer(t, nil)
	const fields = `id hash domain { domainId } consensusNumber bundleIndex extrinsicIndex domainBlockNumber position fate`
	q := func(extra string) string {
		return `query($n: Long!) { domainBlock(domain: 1, number: $n) { transactionCount
			transactions(first: 3, after: null) { totalCount pageInfo { hasNextPage endCursor }
			edges { cursor node { ` + fields + extra + ` } } nodes { hash ` + extra + ` } } } }`
	}
	blocks := getList(mustQuery(t, s, `{ domainBlocks(domain: 1, last: 100) { nodes { number transactionCount } } }`, nil), "domainBlocks", "nodes")
	checked := 0
	for _, b := range blocks {
		if get(b, "transactionCount") == float64(0) {
			continue
		}
		vars := map[string]any{"n": get(b, "number")}
		refs := mustQuery(t, s, q(""), vars)
		full := mustQuery(t, s, q(" ... on Transaction { from }"), vars)
		for _, path := range [][]any{{"domainBlock", "transactions", "edges"}, {"domainBlock", "transactions", "nodes"}} {
			for _, e := range getList(full, path...) {
				n, _ := e.(map[string]any)
				if node, ok := n["node"].(map[string]any); ok {
					n = node
				}
				if n["from"] == nil {
					t.Fatalf("block %v: a fragment's from was not read: %v", vars["n"], n)
				}
				delete(n, "from")
			}
		}
		if !reflect.DeepEqual(refs, full) {
			t.Fatalf("block %v:\nfrom index entries %v\nfrom records       %v", vars["n"], refs, full)
		}
		checked++
	}
	if checked < 5 {
		t.Fatalf("only %d blocks with transactions checked", checked)
	}
}
