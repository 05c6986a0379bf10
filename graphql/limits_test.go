package graphql

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// Hostile queries are refused quickly with an error that names the
// problem, and the server answers a normal query right after.
func TestHostileQueriesAreRefused(t *testing.T) {
	s, _ := newServer(t, func(c *Config) { c.MaxBodyBytes = 256 << 10 })
	deep := "{ receipts { nodes { " + strings.Repeat("parent { ", 20) + "hash" + strings.Repeat(" }", 20) + " } } }"
	aliases := "{ " + strings.Repeat("a: status { syncing } ", 5000) + "}"
	var b strings.Builder
	b.WriteString("{ ")
	for i := range 3000 {
		b.WriteString("a")
		b.WriteString(strings.Repeat("b", i%7))
		b.WriteString(string(rune('a' + i%26)))
		b.WriteString(": status { syncing } ")
	}
	b.WriteString("}")
	laughs := `query { receipts { nodes { ...A } } }
		fragment A on Receipt { ...B ...B ...B ...B ...B ...B ...B ...B }
		fragment B on Receipt { ...C ...C ...C ...C ...C ...C ...C ...C }
		fragment C on Receipt { ...D ...D ...D ...D ...D ...D ...D ...D }
		fragment D on Receipt { ...E ...E ...E ...E ...E ...E ...E ...E }
		fragment E on Receipt { hash number trace }`
	// A long chain of fragments, spread many times: cheap by cost (a
	// spread is not a field), but walked once per spread.
	var chain strings.Builder
	chain.WriteString("{ " + strings.Repeat("...F0 ", 200) + "}\n")
	for i := range 2000 {
		fmt.Fprintf(&chain, "fragment F%d on Query { ...F%d }\n", i, i+1)
	}
	chain.WriteString("fragment F2000 on Query { __typename }")
	cases := []struct {
		name, query, want string
	}{
		{"too deep", deep, "nested"},
		{"too costly", `{ receipts(first: 100) { nodes { backers { receipts(first: 100) { nodes { hash } } } } } }`, "cost exceeds"},
		{"too costly by a variable's default", `query($n: Int = 100) { receipts(first: $n) { nodes { backers { receipts(first: $n) { nodes { hash } } } } } }`, "cost exceeds"},
		{"huge first as a variable's default", `query($n: Int = 1000000) { receipts(first: $n) { nodes { hash } } }`, "over the maximum page size"},
		{"huge first", `{ receipts(first: 1000000) { nodes { hash } } }`, "over the maximum page size"},
		{"negative last", `{ receipts(last: -1) { nodes { hash } } }`, "negative"},
		{"first and last", `{ receipts(first: 1, last: 1) { nodes { hash } } }`, "not both"},
		{"malformed", `{ receipts( { nodes`, "syntax error"},
		{"unterminated string", `{ receipt(hash: "0x12`, "syntax error"},
		{"nested lists", `{ receipts(where: ` + strings.Repeat("[", 5000) + `) { totalCount } }`, "nested more than"},
		{"thousands of aliases", aliases, "aliases"},
		{"many distinct aliases", b.String(), "aliases"},
		{"fragment bomb", laughs, "cost exceeds"},
		{"fragment cycle", `{ receipts { nodes { ...A } } } fragment A on Receipt { ...B } fragment B on Receipt { ...A }`, "spreads itself"},
		{"a fragment chain spread many times", chain.String(), "more than 50000 selections"},
		{"bad cursor", `{ receipts(after: "!!!") { nodes { hash } } }`, "not a cursor"},
		{"cursor of another listing", `{ receipts(after: "eAAAAA") { nodes { hash } } }`, "does not belong"},
		{"bad hash", `{ receipt(hash: "0x1234") { hash } }`, "hex string"},
		{"bad long", `{ consensusBlock(number: "ten") { hash } }`, "Long"},
		{"unknown field", `{ receipts { nodes { nope } } }`, "Cannot query field"},
		{"two lookups", `{ consensusBlock(number: 1, hash: "0x0000000000000000000000000000000000000000000000000000000000000000") { hash } }`, "exactly one"},
		{"subscription over POST", `subscription { newHeads { number } }`, "WebSocket"},
		{"no operation named", `query A { status { syncing } } query B { status { syncing } }`, "operationName"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			start := time.Now()
			r := post(t, s, c.query, nil)
			if took := time.Since(start); took > 2*time.Second {
				t.Errorf("took %s", took)
			}
			if len(r.Errors) == 0 {
				t.Fatalf("accepted; data %.200v", r.Data)
			}
			if !strings.Contains(r.errText(), c.want) {
				t.Errorf("error %q does not say %q", r.errText(), c.want)
			}
			for _, leak := range []string{"goroutine", ".go:", "panic"} {
				if strings.Contains(r.errText(), leak) {
					t.Errorf("error leaks internals: %q", r.errText())
				}
			}
		})
	}
	if d := mustQuery(t, s, `{ status { syncing } }`, nil); get(d, "status", "syncing") != false {
		t.Errorf("server does not answer after hostile queries: %v", d)
	}
}

func TestHTTPLimits(t *testing.T) {
	s, _ := newServer(t, func(c *Config) { c.MaxBodyBytes = 1 << 10 })
	big := `{"query": "{ status { syncing } }", "variables": {"x": "` + strings.Repeat("a", 4<<10) + `"}}`
	if r := postRaw(t, s, big); r.status != http.StatusRequestEntityTooLarge || !strings.Contains(r.errText(), "over the limit") {
		t.Errorf("oversized body: %d %s", r.status, r.errText())
	}
	for _, body := range []string{"not json", `[{"query": "{ status { syncing } }"}]`, `{"query": ""}`} {
		r := postRaw(t, s, body)
		if len(r.Errors) == 0 {
			t.Errorf("body %q accepted", body)
		}
	}
	req := httptest.NewRequest(http.MethodPut, "/graphql", nil)
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("PUT answered %d", rec.Code)
	}
	req = httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader("query=x"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec = httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if rec.Code != http.StatusUnsupportedMediaType {
		t.Errorf("form post answered %d", rec.Code)
	}
}

// The console is one page with no external resources.
func TestConsole(t *testing.T) {
	s, _ := newServer(t, nil)
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/graphql", nil))
	body := rec.Body.String()
	if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
		t.Fatalf("GET: %d %s", rec.Code, rec.Header().Get("Content-Type"))
	}
	for _, want := range []string{"<textarea", "Run", "graphql-transport-ws", "fetch(location.pathname", "receipts(where: {verdict: BAD}"} {
		if !strings.Contains(body, want) {
			t.Errorf("console lacks %q", want)
		}
	}
	for _, ext := range []string{"http://", "https://", "//cdn", "src=\""} {
		if strings.Contains(body, ext) {
			t.Errorf("console loads something from outside: %q", ext)
		}
	}
	// Every example query the console offers runs.
	for _, q := range consoleExamples(t, body) {
		if strings.HasPrefix(strings.TrimSpace(q), "subscription") || strings.Contains(q, "$hash") {
			continue
		}
		mustQuery(t, s, q, nil)
	}
}

// consoleExamples pulls the example queries out of the page's script.
func consoleExamples(t *testing.T, page string) []string {
	var out []string
	for _, part := range strings.Split(page, ": `")[1:] {
		end := strings.Index(part, "`")
		if end < 0 {
			t.Fatal("unterminated example")
		}
		out = append(out, part[:end])
	}
	if len(out) < 5 {
		t.Fatalf("only %d examples", len(out))
	}
	return out
}

// A query that finds every query slot taken for its whole time limit is
// answered 503 with Retry-After, not 200: the server is overloaded, and
// load balancers and retrying clients must see it.
func TestBusyServerAnswers503(t *testing.T) {
	s, _ := newServer(t, func(c *Config) { c.Timeout = 50 * time.Millisecond })
	s.slots = make(chan struct{}, 1)
	s.slots <- struct{}{} // a long query holds the only slot
	body := `{"query": "{ status { syncing } }"}`
	req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" || !strings.Contains(rec.Body.String(), "server busy") {
		t.Fatalf("busy: %d, Retry-After %q, %s", rec.Code, rec.Header().Get("Retry-After"), rec.Body)
	}
	<-s.slots
	if r := postRaw(t, s, body); r.status != http.StatusOK || len(r.Errors) > 0 {
		t.Fatalf("with a free slot: %d %s", r.status, r.errText())
	}
}
