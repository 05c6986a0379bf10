package graphql

import (
	"context"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/receiptd/receiptd/indexer"
	"github.com/receiptd/receiptd/protocol"
)

// TestResponseCache checks that a cached answer is served only while the
// index holds the state it was computed on, and never for answers that
// read more than the index or carry errors.
func TestResponseCache(t *testing.T) {
	ctx := context.Background()
	idx, err := indexer.OpenMemory(indexer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	var parent common.Hash
	commit := func(n uint64) {
		t.Helper()
		h := protocol.Header{Number: n, ParentHash: parent, Slot: n}
		err := idx.Commit(ctx, n, h.Hash(), func(w *indexer.Writer) error {
			return w.PutConsensusBlock(&indexer.ConsensusBlockRecord{Number: n, Hash: h.Hash(), Header: h})
		})
		if err != nil {
			t.Fatal(err)
		}
		parent = h.Hash()
	}
	for n := range uint64(3) {
		commit(n)
	}
	var sourceHead atomic.Uint64
	s, err := New(Config{Index: idx, Logger: quiet(),
		Status: func() Status { return Status{SourceHead: sourceHead.Add(1), Known: true} }})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	raw := func(query string) string {
		t.Helper()
		req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(`{"query": "`+query+`"}`))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		return rec.Body.String()
	}
	const head = `{ consensusBlocks(last: 1) { nodes { number } } }`
	cached := func() int {
		t.Helper()
		s.responses.mu.Lock()
		defer s.responses.mu.Unlock()
		return len(s.responses.m)
	}

	if got, want := raw(head), `{"data":{"consensusBlocks":{"nodes":[{"number":"0x2"}]}}}`+"\n"; got != want {
		t.Fatalf("head: %s, want %s", got, want)
	}
	if cached() != 1 {
		t.Fatalf("%d answers cached, want 1", cached())
	}
	// The second answer comes from the cache: mark the entry and see it.
	s.responses.mu.Lock()
	for k, e := range s.responses.m {
		e.b = []byte("marked\n")
		s.responses.m[k] = e
	}
	s.responses.mu.Unlock()
	if got := raw(head); got != "marked\n" {
		t.Fatalf("the same query on the same state was executed again: %s", got)
	}

	commit(3)
	miss := httptest.NewRecorder()
	hit := httptest.NewRecorder()
	for _, rec := range []*httptest.ResponseRecorder{miss, hit} {
		req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(`{"query": "`+head+`"}`))
		req.Header.Set("Content-Type", "application/json")
		s.ServeHTTP(rec, req)
	}
	if miss.Body.String() != hit.Body.String() || !maps.EqualFunc(miss.Header(), hit.Header(), slices.Equal) {
		t.Fatalf("a hit differs from the miss before it:\n%v %q\n%v %q", miss.Header(), miss.Body, hit.Header(), hit.Body)
	}
	if got := raw(head); !strings.Contains(got, `"0x3"`) {
		t.Fatalf("after a commit: %s, want block 3", got)
	}
	if err := idx.Rollback(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if got := raw(head); !strings.Contains(got, `"0x1"`) {
		t.Fatalf("after a rollback to 1: %s, want block 1", got)
	}

	// The follower's status is not in the index: never cached.
	const status = `{ status { sourceHead } }`
	if a, b := raw(status), raw(status); a == b {
		t.Fatalf("status answered twice from one computation: %s", a)
	}
	before := cached()
	if got := raw(`mutation { submitFraudProof(proof: \"0x00\") { accepted reason } }`); strings.Contains(got, `"errors"`) {
		t.Fatalf("mutation: %s", got)
	}
	if cached() != before {
		t.Fatal("a mutation's answer was cached")
	}
	// Answers with errors are not cached.
	if got := raw(`{ consensusBlocks(first: 1, after: \"bm90IGEgY3Vyc29y\") { nodes { number } } }`); !strings.Contains(got, `"errors"`) {
		t.Fatalf("a bad cursor was accepted: %s", got)
	}
	if cached() != before {
		t.Fatalf("an answer with errors was cached")
	}
	// A query over the limits is refused each time: nothing was kept
	// for its bytes to hit.
	deep := "{ receipts { nodes { " + strings.Repeat("parent { ", 20) + "hash" + strings.Repeat(" }", 20) + " } } }"
	first := raw(deep)
	if !strings.Contains(first, "nested") || raw(deep) != first || cached() != before {
		t.Fatalf("a query over the depth limit: %s, then %d answers cached, want %d", first, cached(), before)
	}
	// The same query in other bytes (head is cached already) is answered
	// alike, under its own key.
	if a, b := raw(head), raw(strings.ReplaceAll(head, " ", "  ")); a != b || cached() != before+1 {
		t.Fatalf("one query in two spellings: %s and %s, %d answers cached, want %d", a, b, cached(), before+1)
	}
}

// TestFollowerStatusIsNotCached: a domain's status, nested, carries the
// follower's view as the top-level status does.
func TestFollowerStatusIsNotCached(t *testing.T) {
	s, _ := newServer(t, nil)
	d := mustQuery(t, s, `{ domains { status { lag } } }`, nil)
	if len(d["domains"].([]any)) == 0 {
		t.Fatal("the fixture has no domains")
	}
	mustQuery(t, s, `{ domains { status { lag } } }`, nil)
	if n := len(s.responses.m); n != 0 {
		t.Fatalf("%d answers with the follower's status cached", n)
	}
	mustQuery(t, s, `{ domains { id } }`, nil)
	if n := len(s.responses.m); n != 1 {
		t.Fatalf("%d answers cached, want the one without status", n)
	}
}

func TestResponseCacheOff(t *testing.T) {
	s, fx := newServer(t, func(c *Config) { c.ResponseCacheBytes = -1 })
	if s.responses != nil {
		t.Fatal("ResponseCacheBytes -1 left a cache")
	}
	d := mustQuery(t, s, `{ consensusBlocks(last: 1) { nodes { number } } }`, nil)
	nodes := d["consensusBlocks"].(map[string]any)["nodes"].([]any)
	if got, want := nodes[0].(map[string]any)["number"], hexU(fx.tip+2); got != want {
		t.Fatalf("head %v, want %v", got, want)
	}
}

func TestResponseCacheBound(t *testing.T) {
	const max = minResponseCache
	c := newResponseCache(max)
	for i := range 1000 { // keys {i, i>>8}: none starts 0xff 0xff
		c.put(1, requestKey{byte(i), byte(i >> 8)}, make([]byte, 100), "")
	}
	if c.bytes > max || len(c.m)*(100+entryOverhead) != c.bytes {
		t.Fatalf("%d bytes charged for %d entries, want at most %d and %d each", c.bytes, len(c.m), max, 100+entryOverhead)
	}
	c.put(1, requestKey{0xff, 0xff, 1}, make([]byte, max/16), "") // over a sixteenth with its overhead: not kept
	if _, _, ok := c.get(1, requestKey{0xff, 0xff, 1}); ok {
		t.Fatal("an answer over a sixteenth of the cache was kept")
	}
	c.put(0, requestKey{0xff, 0xff, 2}, []byte("old"), "")
	if _, _, ok := c.get(0, requestKey{0xff, 0xff, 2}); ok {
		t.Fatal("an answer of an older generation was kept")
	}
	c.put(2, requestKey{0xff, 0xff, 3}, []byte("new"), "Q")
	if len(c.m) != 1 || c.bytes != 3+1+entryOverhead {
		t.Fatalf("a newer generation left %d entries of the older", len(c.m)-1)
	}
	if _, _, ok := c.get(1, requestKey{1}); ok {
		t.Fatal("an entry of generation 1 was served at generation 2")
	}
}
