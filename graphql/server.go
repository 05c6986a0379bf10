package graphql

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common/lru"
	gql "github.com/graph-gophers/graphql-go"
	gqlerrors "github.com/graph-gophers/graphql-go/errors"

	"github.com/receiptd/receiptd/schema"
)

// Server serves the GraphQL API: POST JSON queries and mutations, GET the
// query console, and WebSocket subscriptions (graphql-transport-ws) on the
// same path. Publish feeds subscriptions after each commit.
type Server struct {
	cfg    Config
	schema *gql.Schema
	limits *limits
	hub    *hub
	submit *rateLimiter
	// slots bounds the queries running at once to the cores Go uses:
	// queries are CPU-bound (the index is in the page cache), so more at
	// once only time-slices them and stretches every one, and a burst
	// cannot starve the follower. More wait for a slot, first come first
	// served, until their deadline. Measured with 32 clients on 2 cores
	// (graphql/bench): p99 of a receipt by hash 21–24 ms with 2 slots
	// against 38–57 ms with 8 or 32, at the same throughput.
	slots chan struct{}
	// responses caches answers to queries (respcache.go); nil when
	// Config.ResponseCacheBytes is negative.
	responses *responseCache
	// bufs holds the buffers of request and response bodies; buffers
	// grown over maxPooledBuf (a rare huge response) are left to the
	// collector.
	bufs sync.Pool
	// ws tracks WebSocket connections: http.Server's Shutdown neither
	// waits for nor closes hijacked connections, so Close does.
	ws struct {
		sync.Mutex
		closed    bool
		done      chan struct{} // closed by Close
		wg        sync.WaitGroup
		perClient map[string]int // open connections by client address
	}
}

var _ http.Handler = (*Server)(nil)

// New validates cfg and builds the server.
func New(cfg Config) (*Server, error) {
	cfg.EnsureDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, hub: newHub(cfg.MaxSubscriptions), submit: newRateLimiter(cfg.SubmitBurst, cfg.SubmitEvery),
		slots: make(chan struct{}, runtime.GOMAXPROCS(0))}
	s.ws.done, s.ws.perClient = make(chan struct{}), map[string]int{}
	if cfg.ResponseCacheBytes > 0 {
		s.responses = newResponseCache(cfg.ResponseCacheBytes)
	}
	var err error
	s.schema, err = gql.ParseSchema(schema.String(), &resolver{srv: s},
		gql.UseStringDescriptions(),
		gql.MaxDepth(max(cfg.MaxDepth, 16)), // a backstop: check() applies MaxDepth; introspection may go deeper
		gql.MaxQueryLength(int(cfg.MaxBodyBytes)),
		gql.MaxSelections(cfg.MaxCost),
		gql.OverlapValidationLimit(100_000),
		gql.MaxParallelism(8),
		gql.PanicHandler(panicHandler{s}),
		gql.Logger(panicLogger{s}),
		gql.SubscribeResolverTimeout(cfg.Timeout),
	)
	if err != nil {
		return nil, fmt.Errorf("graphql: schema: %w", err)
	}
	s.limits = &limits{schema: s.schema.AST(), maxDepth: cfg.MaxDepth, maxCost: cfg.MaxCost, defaultPage: cfg.DefaultPage, maxPage: cfg.MaxPage, maxAliases: cfg.MaxAliases,
		docs: lru.NewCache[string, *document](maxCachedDocs)}
	return s, nil
}

// Close ends every subscription, closes every WebSocket connection (code
// 1001, going away) and waits for their operations to end, so that the
// index may close after it; later WebSocket upgrades are refused. Safe
// twice.
func (s *Server) Close() {
	s.ws.Lock()
	if !s.ws.closed {
		s.ws.closed = true
		close(s.ws.done)
	}
	s.ws.Unlock()
	s.hub.close()
	s.ws.wg.Wait()
}

type panicHandler struct{ s *Server }

func (h panicHandler) MakePanicError(_ context.Context, v any) *gqlerrors.QueryError {
	h.s.cfg.Logger.Error("graphql: resolver panic", "panic", v)
	return gqlerrors.Errorf("%s", errInternal)
}

type panicLogger struct{ s *Server }

func (l panicLogger) LogPanic(_ context.Context, v any) {
	l.s.cfg.Logger.Error("graphql: panic", "panic", v)
}

// request is the body of a GraphQL POST.
type request struct {
	Query         string         `json:"query"`
	OperationName string         `json:"operationName"`
	Variables     map[string]any `json:"variables"`
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == http.MethodGet && isWebSocket(r):
		s.serveWS(w, r)
	case r.Method == http.MethodGet || r.Method == http.MethodHead:
		serveConsole(w, r)
	case r.Method == http.MethodPost:
		s.servePost(w, r)
	default:
		w.Header().Set("Allow", "GET, POST")
		writeErrors(w, http.StatusMethodNotAllowed, "use POST for queries, GET for the console or a WebSocket")
	}
}

func (s *Server) servePost(w http.ResponseWriter, r *http.Request) {
	ct := r.Header.Get("Content-Type")
	if ct != "" && !strings.HasPrefix(ct, "application/json") && !strings.HasPrefix(ct, "application/graphql-response+json") {
		writeErrors(w, http.StatusUnsupportedMediaType, "send the request as application/json")
		return
	}
	body := http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes)
	bb, _ := s.bufs.Get().(*bytes.Buffer)
	if bb == nil {
		bb = new(bytes.Buffer)
	}
	bb.Reset()
	defer func() {
		if bb.Cap() <= maxPooledBuf {
			s.bufs.Put(bb)
		}
	}()
	if _, err := bb.ReadFrom(body); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeErrors(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body over the limit of %d bytes", s.cfg.MaxBodyBytes))
			return
		}
		writeErrors(w, http.StatusBadRequest, "could not read the request body")
		return
	}
	start := time.Now()
	var key *requestKey
	if s.responses != nil {
		k := keyOf(bb.Bytes())
		key = &k
	}
	out, field, hit := s.cached(key)
	errored := false // the cache keeps no answer with errors
	status := http.StatusOK
	if !hit {
		var req request
		if err := json.Unmarshal(bb.Bytes(), &req); err != nil {
			writeErrors(w, http.StatusBadRequest, "the body is not a GraphQL request: want a JSON object {\"query\", \"variables\", \"operationName\"}")
			return
		}
		ctx := withClient(r.Context(), clientOf(r))
		bb.Reset() // the request is decoded: its buffer may take the response
		out, field, errored, status = s.answer(ctx, req, key, bb)
	}
	if s.cfg.Observe != nil {
		s.cfg.Observe(field, time.Since(start), errored)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Length", strconv.Itoa(len(out)))
	if status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "1")
	}
	w.WriteHeader(status)
	if _, err := w.Write(out); err != nil {
		s.cfg.Logger.Debug("graphql: write response", "err", err)
	}
}

// encodeResponse writes resp to b as json.Encoder does (one line,
// HTML-safe). graphql-go builds the data from encoding/json's output, so
// it is compact and HTML-safe already: a response with data only is
// copied rather than compacted again; others go through encoding/json.
func encodeResponse(b *bytes.Buffer, resp *gql.Response) {
	if len(resp.Errors) == 0 && resp.Extensions == nil && len(resp.Data) > 0 {
		b.WriteString(`{"data":`)
		b.Write(resp.Data)
		b.WriteString("}\n")
		return
	}
	if err := json.NewEncoder(b).Encode(resp); err != nil {
		b.Reset()
		json.NewEncoder(b).Encode(errorResponse(errInternal.Error()))
	}
}

// maxPooledBuf is the largest body buffer Server.bufs keeps.
const maxPooledBuf = 1 << 20

// cached returns the answer the response cache holds for the request body
// with key (nil: no cache) in the index's state now, without decoding the
// body: the cache keeps only answers to queries that passed the limits and
// ran without errors, and the same bytes make the same request. field is
// what the answered request asked for, as answer gives it.
func (s *Server) cached(key *requestKey) (answer []byte, field string, hit bool) {
	if key == nil {
		return nil, "", false
	}
	gen, ok := s.cfg.Index.Generation()
	if !ok {
		return nil, "", false
	}
	answer, field, hit = s.responses.get(gen, *key)
	if hit && s.cfg.ObserveCache != nil {
		s.cfg.ObserveCache(true)
	}
	return answer, field, hit
}

// answer runs a POSTed request that the response cache did not answer
// (Server.cached) on one snapshot and returns its encoded response, in
// buf; a query's is kept under key (nil: no cache) when it may be (see
// responseCache). field is what the request asks for, for request
// metrics: its operation's root field (limits.check), or fieldRefused;
// errored reports whether the answer carries errors.
//
// status is the HTTP status: 200, or 503 when no query slot came free
// within the time limit (the server is overloaded: retry later), which
// load balancers and retrying clients understand where a 200 with an
// error would look like an answer.
func (s *Server) answer(ctx context.Context, req request, key *requestKey, buf *bytes.Buffer) (answer []byte, field string, errored bool, status int) {
	kind, field, refused := s.checkRequest(req)
	if refused != nil {
		encodeResponse(buf, refused)
		return buf.Bytes(), field, true, http.StatusOK
	}
	cacheable := kind == "query" && key != nil
	if cacheable && s.cfg.ObserveCache != nil {
		s.cfg.ObserveCache(false)
	}
	sess := s.newSession()
	defer sess.close()
	resp, busy := s.run(ctx, sess, req)
	encodeResponse(buf, resp)
	if cacheable && len(resp.Errors) == 0 && !sess.volatile.Load() {
		if gen, ok := sess.generation(); ok {
			s.responses.put(gen, *key, bytes.Clone(buf.Bytes()), field)
		}
	}
	status = http.StatusOK
	if busy {
		status = http.StatusServiceUnavailable
	}
	return buf.Bytes(), field, len(resp.Errors) > 0, status
}

// fieldRefused is the request-metrics field of a request refused before
// it ran: malformed, over a limit, or a subscription sent over HTTP.
const fieldRefused = "refused"

// checkRequest checks a query or mutation against the limits and returns
// its operation's kind and root field (limits.check), or the error
// response that refuses it.
func (s *Server) checkRequest(req request) (kind, field string, refused *gql.Response) {
	if strings.TrimSpace(req.Query) == "" {
		return "", fieldRefused, errorResponse("the request has no query")
	}
	kind, field, err := s.limits.check(req.Query, req.OperationName, req.Variables)
	if err != nil {
		return "", fieldRefused, errorResponse(err.Error())
	}
	if kind == "subscription" {
		return "", fieldRefused, errorResponse("subscriptions run over WebSocket (graphql-transport-ws) on this path")
	}
	return kind, field, nil
}

// run executes a checked request on sess, within the time limit and a
// query slot; busy reports that no slot came free within the limit.
func (s *Server) run(ctx context.Context, sess *session, req request) (resp *gql.Response, busy bool) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	hold := &slotHold{slots: s.slots}
	if hold.acquire(ctx) != nil {
		return errorResponse("server busy: no query slot within the time limit"), true
	}
	defer hold.release()
	ctx = context.WithValue(ctx, slotKey{}, hold)
	resp = s.schema.Exec(withSession(ctx, sess), req.Query, req.OperationName, req.Variables)
	if ctx.Err() != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return errorResponse(fmt.Sprintf("the query ran over the time limit of %s", s.cfg.Timeout)), false
	}
	return resp, false
}

// slotHold is a request's query slot (Server.slots).
type slotHold struct {
	slots chan struct{}
	held  bool
}

type slotKey struct{}

func (h *slotHold) acquire(ctx context.Context) error {
	select {
	case h.slots <- struct{}{}:
		h.held = true
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (h *slotHold) release() {
	if h.held {
		<-h.slots
		h.held = false
	}
}

// withoutSlot runs fn, which waits on something other than the CPU (the
// network), with the request's query slot given back meanwhile, and takes
// a slot again after it; when none comes free before the deadline, the
// little that is left (encoding the result) runs without one. Only
// mutation resolvers may call it: graphql-go runs a mutation's fields one
// at a time, a query's concurrently.
func withoutSlot(ctx context.Context, fn func()) {
	h, _ := ctx.Value(slotKey{}).(*slotHold)
	if h == nil {
		fn()
		return
	}
	h.release()
	fn()
	_ = h.acquire(ctx)
}

func errorResponse(msg string) *gql.Response {
	return &gql.Response{Errors: []*gqlerrors.QueryError{{Message: msg}}}
}

func writeErrors(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(errorResponse(msg))
}

// selected reports whether a connection's nodes select path (under
// edges.node or nodes).
func selected(ctx context.Context, path string) bool {
	return gql.HasSelectedField(ctx, "edges.node."+path) || gql.HasSelectedField(ctx, "nodes."+path)
}
