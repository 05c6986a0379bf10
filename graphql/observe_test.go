package graphql

import (
	"slices"
	"sync"
	"testing"
	"time"
)

// TestObserve checks what receiptd run's request metrics receive: one
// observation per request, under the root field it asks for (never the
// client's operation name), with errors flagged, whether the answer was
// executed or came from the cache.
func TestObserve(t *testing.T) {
	type obs struct {
		field   string
		errored bool
	}
	var (
		mu      sync.Mutex
		got     []obs
		lookups []bool
	)
	s, _ := newServer(t, func(c *Config) {
		c.Observe = func(field string, d time.Duration, errored bool) {
			if d < 0 {
				t.Errorf("%s: negative duration %v", field, d)
			}
			mu.Lock()
			got = append(got, obs{field, errored})
			mu.Unlock()
		}
		c.ObserveCache = func(hit bool) {
			mu.Lock()
			lookups = append(lookups, hit)
			mu.Unlock()
		}
	})
	for _, tc := range []struct {
		name    string
		query   string
		want    obs
		lookups []bool // cache lookups, hit or not
	}{
		{"named", `query Heads { consensusBlocks(last: 1) { nodes { number } } }`, obs{"consensusBlocks", false}, []bool{false}},
		{"named, from the cache", `query Heads { consensusBlocks(last: 1) { nodes { number } } }`, obs{"consensusBlocks", false}, []bool{true}},
		{"anonymous", `{ domains { domainId } }`, obs{"domains", false}, []bool{false}},
		{"aliased twice", `{ a: domains { domainId } b: domains { domainId } }`, obs{"domains", false}, []bool{false}},
		{"two root fields", `{ domains { domainId } status { syncing } }`, obs{"multiple", false}, []bool{false}},
		{"through fragments", `query Q { ...F } fragment F on Query { ... on Query { domains { domainId } } __typename }`, obs{"domains", false}, []bool{false}},
		{"only __typename", `{ __typename }`, obs{"none", false}, []bool{false}},
		{"introspection", `{ __schema { queryType { name } } }`, obs{"__schema", false}, []bool{false}},
		{"unknown field", `{ nosuchfield }`, obs{"none", true}, []bool{false}},
		{"refused by the limits", `{ receipts(first: 100000) { nodes { hash } } }`, obs{"refused", true}, nil},
		{"named, refused by the limits", `query Big { receipts(first: 100000) { nodes { hash } } }`, obs{"refused", true}, nil},
		{"not parsed", `{ receipts(`, obs{"refused", true}, nil},
		{"resolver error", `query Bad { consensusBlocks(first: 1, after: "bm90IGEgY3Vyc29y") { nodes { number } } }`, obs{"consensusBlocks", true}, []bool{false}},
		{"mutation", `mutation { submitFraudProof(proof: "0x00") { accepted } }`, obs{"submitFraudProof", false}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mu.Lock()
			got, lookups = nil, nil
			mu.Unlock()
			post(t, s, tc.query, nil)
			mu.Lock()
			defer mu.Unlock()
			if len(got) != 1 || got[0] != tc.want {
				t.Fatalf("observed %v, want [%v]", got, tc.want)
			}
			if !slices.Equal(lookups, tc.lookups) {
				t.Fatalf("cache lookups %v, want %v", lookups, tc.lookups)
			}
		})
	}
}
