// Package httpserver owns receiptd's HTTP listener (--http): /metrics in
// Prometheus's exposition format, /healthz and /readyz for supervisors and
// load balancers, and whatever handlers are mounted before it starts (the
// GraphQL API at /graphql).
//
// # What it guarantees
//
// /healthz answers 200 for as long as the process serves HTTP. /readyz
// answers 200 when Config.Ready returns nil and 503 with the reason when it
// does not. /metrics serves Config.Gatherer, at most MaxScrapesInFlight
// scrapes at a time. Every connection is bounded by the timeouts in Config.
// Start returns once the address is bound; Close shuts down gracefully,
// waits for the serving goroutine, and is safe to call twice.
//
// # Imports
//
// httpserver may import receiptd's metrics package and no other: it serves
// metrics, it does not know the components that record them.
package httpserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Errors the lifecycle methods return.
var (
	ErrStarted = errors.New("httpserver: already started")
	ErrClosed  = errors.New("httpserver: closed")
)

// Server serves receiptd's HTTP endpoints. Its methods are safe for
// concurrent use.
type Server struct {
	cfg Config
	log *slog.Logger
	mux *http.ServeMux

	mu struct {
		sync.Mutex
		started, closed bool
		srv             *http.Server
		addr            net.Addr
		done            chan struct{} // closed when the serving goroutine returns
		serveErr        error         // why Serve stopped, if not Close
	}
}

// New validates cfg and returns a Server with /metrics, /healthz and /readyz
// registered. It does not bind; see Start.
func New(cfg Config) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	s := &Server{cfg: cfg, log: cfg.Logger, mux: http.NewServeMux()}
	s.mux.Handle("GET /metrics", promhttp.HandlerFor(cfg.Gatherer, promhttp.HandlerOpts{
		ErrorLog:            slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelWarn),
		ErrorHandling:       promhttp.ContinueOnError,
		MaxRequestsInFlight: cfg.MaxScrapesInFlight,
	}))
	s.mux.HandleFunc("GET /healthz", s.healthz)
	s.mux.HandleFunc("GET /readyz", s.readyz)
	return s, nil
}

// Mount serves handler for pattern (http.ServeMux syntax, e.g. "/graphql"
// or "POST /graphql"). It must be called before Start; a pattern that
// conflicts with one already registered is an error.
func (s *Server) Mount(pattern string, handler http.Handler) (err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.mu.closed {
		return ErrClosed
	}
	if s.mu.started {
		return ErrStarted
	}
	if handler == nil {
		return fmt.Errorf("httpserver: mount %q: nil handler", pattern)
	}
	defer func() {
		// ServeMux reports bad and conflicting patterns by panicking.
		if r := recover(); r != nil {
			err = fmt.Errorf("httpserver: mount %q: %v", pattern, r)
		}
	}()
	s.mux.Handle(pattern, handler)
	return nil
}

// Start binds Config.Addr and serves on a goroutine that Close stops. ctx
// bounds the binding only; requests are not tied to it.
func (s *Server) Start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.mu.closed {
		return ErrClosed
	}
	if s.mu.started {
		return ErrStarted
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("httpserver: listen on %s: %w", s.cfg.Addr, err)
	}
	srv := &http.Server{
		Handler:           s.mux,
		ReadHeaderTimeout: s.cfg.ReadHeaderTimeout,
		ReadTimeout:       s.cfg.ReadTimeout,
		WriteTimeout:      s.cfg.WriteTimeout,
		IdleTimeout:       s.cfg.IdleTimeout,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	done := make(chan struct{})
	s.mu.started, s.mu.srv, s.mu.addr, s.mu.done = true, srv, ln.Addr(), done
	go func() {
		defer close(done)
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("http server stopped", "addr", ln.Addr().String(), "err", err)
			s.mu.Lock()
			s.mu.serveErr = err
			s.mu.Unlock()
		}
	}()
	s.log.Info("http server listening", "addr", ln.Addr().String())
	return nil
}

// Addr is the bound address (the real port when Config.Addr asked for :0),
// or nil before Start.
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mu.addr
}

// Close stops accepting connections and waits, until ctx is done, for
// requests in flight to finish; then it closes whatever connections remain
// (their requests' contexts are cancelled) and waits for the serving
// goroutine. It returns ctx's error if it had to force connections closed,
// and the error that stopped serving early, if any. Calling Close again, or
// before Start, returns nil once the server has stopped.
func (s *Server) Close(ctx context.Context) error {
	s.mu.Lock()
	first := !s.mu.closed
	s.mu.closed = true
	srv, done := s.mu.srv, s.mu.done
	s.mu.Unlock()
	if srv == nil {
		return nil
	}
	if !first {
		<-done
		return nil
	}
	var errs []error
	if err := srv.Shutdown(ctx); err != nil {
		errs = append(errs, fmt.Errorf("httpserver: graceful shutdown: %w", err))
		if err := srv.Close(); err != nil {
			errs = append(errs, fmt.Errorf("httpserver: close: %w", err))
		}
	}
	<-done
	s.mu.Lock()
	if s.mu.serveErr != nil {
		errs = append(errs, fmt.Errorf("httpserver: serve: %w", s.mu.serveErr))
	}
	s.mu.Unlock()
	return errors.Join(errs...)
}

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	writeText(w, http.StatusOK, "ok\n")
}

func (s *Server) readyz(w http.ResponseWriter, _ *http.Request) {
	if err := s.cfg.Ready(); err != nil {
		writeText(w, http.StatusServiceUnavailable, "not ready: "+err.Error()+"\n")
		return
	}
	writeText(w, http.StatusOK, "ready\n")
}

func writeText(w http.ResponseWriter, code int, body string) {
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	_, _ = w.Write([]byte(body))
}
