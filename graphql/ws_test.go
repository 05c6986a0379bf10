package graphql

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/gorilla/websocket"
)

// wsClient speaks graphql-transport-ws as the graphql-ws npm client does.
type wsClient struct {
	t *testing.T
	c *websocket.Conn
}

func dialWS(t *testing.T, s *Server) *wsClient {
	t.Helper()
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	d := websocket.Dialer{Subprotocols: []string{wsProtocol}}
	c, resp, err := d.Dial("ws"+strings.TrimPrefix(ts.URL, "http")+"/graphql", nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Header.Get("Sec-WebSocket-Protocol") != wsProtocol {
		t.Fatalf("subprotocol %q", resp.Header.Get("Sec-WebSocket-Protocol"))
	}
	t.Cleanup(func() { c.Close() })
	return &wsClient{t: t, c: c}
}

func (w *wsClient) send(m map[string]any) {
	w.t.Helper()
	if err := w.c.WriteJSON(m); err != nil {
		w.t.Fatal(err)
	}
}

func (w *wsClient) read() wsMessage {
	w.t.Helper()
	w.c.SetReadDeadline(time.Now().Add(5 * time.Second))
	var m wsMessage
	if err := w.c.ReadJSON(&m); err != nil {
		w.t.Fatalf("read: %v", err)
	}
	return m
}

func (w *wsClient) init() {
	w.send(map[string]any{"type": "connection_init"})
	if m := w.read(); m.Type != "connection_ack" {
		w.t.Fatalf("got %s, want connection_ack", m.Type)
	}
}

func waitSubs(t *testing.T, s *Server, n int) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); s.hub.count() != n; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d subscriptions, want %d", s.hub.count(), n)
		}
	}
}

// Heads, reorgs, receipt and challenge updates arrive after Publish, with
// the subscription's filter applied and the data read from the index.
func TestSubscriptions(t *testing.T) {
	s, fx := newServer(t, nil)
	w := dialWS(t, s)
	w.init()
	w.send(map[string]any{"id": "h", "type": "subscribe", "payload": map[string]any{
		"query": `subscription { newHeads { type number hash depth block { number hash } } }`}})
	w.send(map[string]any{"id": "r", "type": "subscribe", "payload": map[string]any{
		"query":     `subscription($d: Int) { receiptUpdates(where: {verdict: BAD, domain: $d}) { hash verdict { valid } domain { domainId } } }`,
		"variables": map[string]any{"d": 1}}})
	w.send(map[string]any{"id": "c", "type": "subscribe", "payload": map[string]any{
		"query": `subscription { challengeUpdates(where: {status: ACCEPTED}) { proofHash status } }`}})
	waitSubs(t, s, 3)

	r, _ := fx.idx.Reader()
	blk, _ := r.ConsensusBlock(fx.tip + 2)
	all, _ := r.Receipts(indexerAll())
	r.Close()
	var hashes []common.Hash
	wantBad := 0
	for _, rec := range all.Items {
		hashes = append(hashes, rec.Hash)
		if !rec.Verdict.Valid && rec.Domain == 1 {
			wantBad++
		}
	}
	s.Publish(Event{Kind: EventCommit, Number: blk.Number, Hash: blk.Hash, Receipts: hashes, Challenges: fx.challenges})
	s.Publish(Event{Kind: EventReorg, Number: 40, Hash: common.Hash{1}, Depth: 3})

	got := map[string][]map[string]any{}
	for n := 0; n < 2+wantBad+1; n++ {
		m := w.read()
		if m.Type != "next" {
			t.Fatalf("got %s %s: %s", m.Type, m.ID, m.Payload)
		}
		var p struct {
			Data   map[string]any
			Errors []any
		}
		json.Unmarshal(m.Payload, &p)
		if len(p.Errors) > 0 {
			t.Fatalf("%s: errors %v", m.ID, p.Errors)
		}
		got[m.ID] = append(got[m.ID], p.Data)
	}
	heads := got["h"]
	if len(heads) != 2 || get(heads[0], "newHeads", "type") != "HEAD" || get(heads[0], "newHeads", "block", "hash") != blk.Hash.Hex() ||
		get(heads[1], "newHeads", "type") != "REORG" || get(heads[1], "newHeads", "depth") != "0x3" || get(heads[1], "newHeads", "block") != nil {
		t.Errorf("heads: %v", heads)
	}
	if len(got["r"]) != wantBad || wantBad == 0 {
		t.Errorf("%d receipt updates, want the %d bad receipts of domain 1", len(got["r"]), wantBad)
	}
	for _, r := range got["r"] {
		if get(r, "receiptUpdates", "verdict", "valid") != false || get(r, "receiptUpdates", "domain", "domainId") != 1.0 {
			t.Errorf("filter let through %v", r)
		}
	}
	if c := got["c"]; len(c) != 1 || get(c[0], "challengeUpdates", "proofHash") != fx.challenges[1].Hex() {
		t.Errorf("challenge updates %v", c)
	}

	// complete stops a subscription; closing the connection ends the rest.
	w.send(map[string]any{"id": "h", "type": "complete"})
	waitSubs(t, s, 2)
	w.c.Close()
	waitSubs(t, s, 0)
}

func TestWebSocketProtocol(t *testing.T) {
	s, _ := newServer(t, nil)
	// subscribe before connection_init: 4401.
	w := dialWS(t, s)
	w.send(map[string]any{"id": "1", "type": "subscribe", "payload": map[string]any{"query": "{ status { syncing } }"}})
	expectClose(t, w, 4401)
	// a second init: 4429.
	w = dialWS(t, s)
	w.init()
	w.send(map[string]any{"type": "connection_init"})
	expectClose(t, w, 4429)
	// garbage: 4400.
	w = dialWS(t, s)
	w.c.WriteMessage(websocket.TextMessage, []byte("{nope"))
	expectClose(t, w, 4400)
	// a query over the socket answers next then complete; ping gets pong;
	// a bad subscription gets an error message and the connection lives.
	w = dialWS(t, s)
	w.init()
	w.send(map[string]any{"type": "ping"})
	if m := w.read(); m.Type != "pong" {
		t.Fatalf("ping answered %s", m.Type)
	}
	w.send(map[string]any{"id": "q", "type": "subscribe", "payload": map[string]any{"query": "{ status { syncing } }"}})
	if m := w.read(); m.Type != "next" || !strings.Contains(string(m.Payload), `"syncing":false`) {
		t.Fatalf("query: %s %s", m.Type, m.Payload)
	}
	if m := w.read(); m.Type != "complete" || m.ID != "q" {
		t.Fatalf("query not completed: %s", m.Type)
	}
	w.send(map[string]any{"id": "b", "type": "subscribe", "payload": map[string]any{"query": "subscription { nope }"}})
	if m := w.read(); m.Type != "error" || m.ID != "b" {
		t.Fatalf("bad subscription: %s %s", m.Type, m.Payload)
	}
	w.send(map[string]any{"id": "d", "type": "subscribe", "payload": map[string]any{"query": "subscription { newHeads { number } }"}})
	waitSubs(t, s, 1)
	w.send(map[string]any{"id": "d", "type": "subscribe", "payload": map[string]any{"query": "subscription { newHeads { number } }"}})
	expectClose(t, w, 4409)
	waitSubs(t, s, 0)
}

func expectClose(t *testing.T, w *wsClient, code int) {
	t.Helper()
	w.c.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		_, _, err := w.c.ReadMessage()
		if err == nil {
			continue
		}
		if ce, ok := err.(*websocket.CloseError); !ok || ce.Code != code {
			t.Fatalf("connection ended with %v, want close %d", err, code)
		}
		return
	}
}

// A subscriber that stops reading is dropped, and Publish never blocks.
func TestSlowSubscriberIsDropped(t *testing.T) {
	s, _ := newServer(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var reason error
	ctx = context.WithValue(ctx, reporterKey{}, func(err error) { reason = err })
	ch, err := (&resolver{srv: s}).NewHeads(ctx)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for i := range subscriberQueue + 10 {
		s.Publish(Event{Kind: EventCommit, Number: uint64(i)})
	}
	if time.Since(start) > time.Second {
		t.Error("Publish blocked on a slow subscriber")
	}
	for range ch { // drain: the stream ends once the queue is gone
	}
	if reason != errFellBehind {
		t.Errorf("ended with %v, want %v", reason, errFellBehind)
	}
}

// A subscription whose event fails as a whole ends with an error and
// releases its stream; an id the client completed can be used again at
// once, and completing the new operation stops it, however the old one's
// goroutine and the new one interleave.
func TestSubscriptionEndsAndIDsAreReused(t *testing.T) {
	s, fx := newServer(t, nil)
	w := dialWS(t, s)
	w.init()
	w.send(map[string]any{"id": "x", "type": "subscribe", "payload": map[string]any{
		"query": `subscription { receiptUpdates { domain { receipts(first: -1) { totalCount } } } }`}})
	waitSubs(t, s, 1)
	r, _ := fx.idx.Reader()
	all, _ := r.Receipts(indexerAll())
	r.Close()
	s.Publish(Event{Kind: EventCommit, Number: fx.tip + 1, Receipts: []common.Hash{all.Items[0].Hash}})
	if m := w.read(); m.Type != "error" || m.ID != "x" {
		t.Fatalf("failed event: %s %s %s", m.Type, m.ID, m.Payload)
	}
	waitSubs(t, s, 0)

	heads := map[string]any{"query": `subscription { newHeads { number } }`}
	for i := range 20 {
		w.send(map[string]any{"id": "y", "type": "subscribe", "payload": heads})
		waitSubs(t, s, 1)
		w.send(map[string]any{"id": "y", "type": "complete"})
		w.send(map[string]any{"id": "y", "type": "subscribe", "payload": heads})
		time.Sleep(time.Millisecond) // the first one's goroutine ends meanwhile
		w.send(map[string]any{"id": "y", "type": "complete"})
		for deadline := time.Now().Add(5 * time.Second); s.hub.count() != 0; time.Sleep(5 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("round %d: %d subscriptions left after completing both", i, s.hub.count())
			}
		}
	}
}

// Close closes the WebSocket connections http.Server's shutdown leaves
// alone (going away, 1001), waits for them, and refuses new ones.
func TestCloseEndsWebSocketConnections(t *testing.T) {
	s, _ := newServer(t, nil)
	w := dialWS(t, s)
	w.init()
	w.send(map[string]any{"id": "h", "type": "subscribe", "payload": map[string]any{"query": `subscription { newHeads { number } }`}})
	waitSubs(t, s, 1)
	closed := make(chan struct{})
	go func() { s.Close(); close(closed) }()
	expectClose(t, w, websocket.CloseGoingAway)
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("Close does not return")
	}
	ts := httptest.NewServer(s)
	defer ts.Close()
	d := websocket.Dialer{Subprotocols: []string{wsProtocol}}
	if _, resp, err := d.Dial("ws"+strings.TrimPrefix(ts.URL, "http")+"/graphql", nil); err == nil || resp == nil || resp.StatusCode != 503 {
		t.Fatalf("a connection after Close: %v, %v", err, resp)
	}
}

// One address may hold Config.MaxWSConnsPerClient connections; the next is
// refused (429) until one of them closes.
func TestWebSocketConnectionsPerClient(t *testing.T) {
	s, _ := newServer(t, nil)
	ts := httptest.NewServer(s)
	defer ts.Close()
	url := "ws" + strings.TrimPrefix(ts.URL, "http") + "/graphql"
	d := websocket.Dialer{Subprotocols: []string{wsProtocol}}
	var conns []*websocket.Conn
	for range DefaultMaxWSConnsPerClient {
		c, _, err := d.Dial(url, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		conns = append(conns, c)
	}
	if _, resp, err := d.Dial(url, nil); err == nil || resp == nil || resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("connection %d: %v, %v", DefaultMaxWSConnsPerClient+1, err, resp)
	}
	conns[0].Close()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		c, _, err := d.Dial(url, nil)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no connection after one closed: %v", err)
		}
	}
}
