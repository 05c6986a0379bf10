package graphql

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	gql "github.com/graph-gophers/graphql-go"
)

// The graphql-transport-ws protocol (github.com/enisdenjo/graphql-ws,
// PROTOCOL.md), which the graphql-ws npm client speaks.
const (
	wsProtocol        = "graphql-transport-ws"
	wsInitTimeout     = 10 * time.Second
	wsPingEvery       = 30 * time.Second
	wsWriteTimeout    = 10 * time.Second
	wsMaxSubsPerConn  = 100
	wsCloseBadMessage = 4400
	wsCloseUnauth     = 4401
	wsCloseInitTime   = 4408
	wsCloseDupID      = 4409
	wsCloseTooManyIni = 4429
)

type wsMessage struct {
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

func isWebSocket(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
}

// wsConn is one client connection: a reader loop (this goroutine), one
// goroutine per operation, and writes serialised by mu.
type wsConn struct {
	srv    *Server
	c      *websocket.Conn
	client string
	mu     sync.Mutex // serialises writes
	ops    struct {
		sync.Mutex
		m map[string]*wsOp // running operations by the client's id
	}
	wg sync.WaitGroup
}

func (s *Server) serveWS(w http.ResponseWriter, r *http.Request) {
	if !subprotocols(websocket.Subprotocols(r)).contains(wsProtocol) {
		writeErrors(w, http.StatusBadRequest, "WebSocket clients must speak the "+wsProtocol+" subprotocol")
		return
	}
	client := clientOf(r)
	s.ws.Lock()
	if s.ws.closed {
		s.ws.Unlock()
		writeErrors(w, http.StatusServiceUnavailable, "the server is shutting down")
		return
	}
	if s.ws.perClient[client] >= s.cfg.MaxWSConnsPerClient {
		s.ws.Unlock()
		writeErrors(w, http.StatusTooManyRequests, fmt.Sprintf("at most %d WebSocket connections per client", s.cfg.MaxWSConnsPerClient))
		return
	}
	s.ws.perClient[client]++
	s.ws.wg.Add(1)
	s.ws.Unlock()
	defer func() {
		s.ws.Lock()
		if s.ws.perClient[client]--; s.ws.perClient[client] == 0 {
			delete(s.ws.perClient, client)
		}
		s.ws.Unlock()
		s.ws.wg.Done()
	}()
	up := websocket.Upgrader{
		Subprotocols: []string{wsProtocol},
		// The API is public and read-only but for proof relay, which
		// needs no credentials: any origin may connect.
		CheckOrigin: func(*http.Request) bool { return true },
	}
	c, err := up.Upgrade(w, r, nil)
	if err != nil {
		return // Upgrade has answered the client
	}
	c.SetReadLimit(s.cfg.MaxBodyBytes)
	conn := &wsConn{srv: s, c: c, client: client}
	conn.ops.m = map[string]*wsOp{}
	conn.run(r.Context())
}

type subprotocols []string

func (p subprotocols) contains(want string) bool {
	for _, s := range p {
		if s == want {
			return true
		}
	}
	return false
}

// write sends m; a client that does not take it within wsWriteTimeout
// loses its connection (the read loop then ends it all).
func (c *wsConn) write(m wsMessage) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.c.SetWriteDeadline(time.Now().Add(wsWriteTimeout))
	err := c.c.WriteJSON(m)
	if err != nil {
		c.c.Close()
	}
	return err
}

func (c *wsConn) closeWith(code int, reason string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), time.Now().Add(time.Second))
}

func (c *wsConn) run(parent context.Context) {
	ctx, cancel := context.WithCancel(withClient(context.Background(), c.client))
	defer func() {
		cancel()
		c.wg.Wait()
		c.c.Close()
	}()
	go func() {
		select {
		case <-parent.Done(): // the request's context
			cancel()
			c.c.Close()
		case <-c.srv.ws.done: // Server.Close
			c.closeWith(websocket.CloseGoingAway, "server shutting down")
			cancel()
			c.c.Close()
		case <-ctx.Done():
		}
	}()
	go c.pinger(ctx)
	acked := false
	c.c.SetReadDeadline(time.Now().Add(wsInitTimeout))
	for {
		_, data, err := c.c.ReadMessage()
		if err != nil {
			var ne interface{ Timeout() bool }
			if !acked && errors.As(err, &ne) && ne.Timeout() {
				c.closeWith(wsCloseInitTime, "Connection initialisation timeout")
			}
			return
		}
		var m wsMessage
		if err := json.Unmarshal(data, &m); err != nil || m.Type == "" {
			c.closeWith(wsCloseBadMessage, "Invalid message received")
			return
		}
		switch m.Type {
		case "connection_init":
			if acked {
				c.closeWith(wsCloseTooManyIni, "Too many initialisation requests")
				return
			}
			acked = true
			c.c.SetReadDeadline(time.Now().Add(2 * wsPingEvery))
			c.c.SetPongHandler(func(string) error { return c.c.SetReadDeadline(time.Now().Add(2 * wsPingEvery)) })
			if c.write(wsMessage{Type: "connection_ack"}) != nil {
				return
			}
		case "ping":
			if c.write(wsMessage{Type: "pong"}) != nil {
				return
			}
		case "pong":
		case "subscribe":
			if !acked {
				c.closeWith(wsCloseUnauth, "Unauthorized")
				return
			}
			if code, reason := c.start(ctx, m); code != 0 {
				c.closeWith(code, reason)
				return
			}
		case "complete":
			c.ops.Lock()
			if op, ok := c.ops.m[m.ID]; ok {
				op.stop()
				delete(c.ops.m, m.ID)
			}
			c.ops.Unlock()
		default:
			c.closeWith(wsCloseBadMessage, "Invalid message received")
			return
		}
		if acked {
			c.c.SetReadDeadline(time.Now().Add(2 * wsPingEvery))
		}
	}
}

func (c *wsConn) pinger(ctx context.Context) {
	t := time.NewTicker(wsPingEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			c.mu.Lock()
			err := c.c.WriteControl(websocket.PingMessage, nil, time.Now().Add(wsWriteTimeout))
			c.mu.Unlock()
			if err != nil {
				return
			}
		}
	}
}

// start begins operation m; a non-zero code closes the connection.
func (c *wsConn) start(parent context.Context, m wsMessage) (int, string) {
	var req request
	if m.ID == "" || json.Unmarshal(m.Payload, &req) != nil {
		return wsCloseBadMessage, "Invalid message received"
	}
	if req.Variables == nil {
		req.Variables = map[string]any{}
	}
	c.ops.Lock()
	if _, dup := c.ops.m[m.ID]; dup {
		c.ops.Unlock()
		return wsCloseDupID, fmt.Sprintf("Subscriber for %s already exists", truncate(m.ID, 40))
	}
	if len(c.ops.m) >= wsMaxSubsPerConn {
		c.ops.Unlock()
		c.sendError(m.ID, fmt.Sprintf("at most %d operations per connection", wsMaxSubsPerConn))
		return 0, ""
	}
	ctx, stop := context.WithCancel(parent)
	op := &wsOp{stop: stop}
	c.ops.m[m.ID] = op
	c.ops.Unlock()
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		c.operate(ctx, m.ID, req)
		c.ops.Lock()
		if c.ops.m[m.ID] == op { // not a later operation the client gave the same id
			delete(c.ops.m, m.ID)
		}
		c.ops.Unlock()
		stop()
	}()
	return 0, ""
}

// wsOp is a running operation; its pointer tells it from a later one
// under the same id.
type wsOp struct{ stop context.CancelFunc }

func (c *wsConn) sendError(id, msg string) {
	payload, _ := json.Marshal([]map[string]string{{"message": msg}})
	c.write(wsMessage{ID: id, Type: "error", Payload: payload})
}

// operate runs one operation: a query or mutation answers once, a
// subscription streams until it ends or the client completes it.
func (c *wsConn) operate(ctx context.Context, id string, req request) {
	kind, _, err := c.srv.limits.check(req.Query, req.OperationName, req.Variables)
	if err != nil {
		c.sendError(id, err.Error())
		return
	}
	if kind != "subscription" {
		sess := c.srv.newSession()
		resp, _ := c.srv.run(ctx, sess, req)
		sess.close()
		if ctx.Err() != nil {
			// The client completed it (and may have given its id to a new
			// operation already), or the connection ended: nothing more
			// goes out under this id.
			return
		}
		if c.next(id, resp) == nil {
			c.write(wsMessage{ID: id, Type: "complete"})
		}
		return
	}
	var ended atomic.Pointer[error]
	ctx = context.WithValue(ctx, reporterKey{}, func(err error) { ended.Store(&err) })
	ch, err := c.srv.schema.Subscribe(ctx, req.Query, req.OperationName, req.Variables)
	if err != nil {
		c.sendError(id, err.Error())
		return
	}
	first := true
	for v := range ch {
		if ctx.Err() != nil {
			return // completed by the client: no more under this id
		}
		if r, ok := v.(*gql.Response); ok && first && len(r.Errors) > 0 && r.Data == nil {
			// Refused before it started (validation, a bad argument), or
			// its first event failed as a whole: either way it is over
			// for the client, and returning cancels the stream (start).
			c.sendError(id, r.Errors[0].Message)
			return
		}
		first = false
		if c.next(id, v) != nil {
			return
		}
	}
	if e := ended.Load(); e != nil {
		c.sendError(id, (*e).Error())
		return
	}
	if ctx.Err() != nil {
		return // the client completed it, or the connection ended
	}
	c.write(wsMessage{ID: id, Type: "complete"})
}

func (c *wsConn) next(id string, v any) error {
	payload, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return c.write(wsMessage{ID: id, Type: "next", Payload: payload})
}
