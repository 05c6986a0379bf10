package devnet

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/rpc"
	"golang.org/x/sync/errgroup"

	"github.com/receiptd/receiptd/protocol"
)

// NodeConfig is a node's shape. Zero values mean the documented defaults.
type NodeConfig struct {
	// Listen is the TCP address to serve on. Default "127.0.0.1:8545";
	// port 0 picks a free port (Node.Addr reports it).
	Listen string
	// Produce makes Start also drive the devnet (Devnet.Run) until the
	// node stops. Without it the caller drives the devnet (Step).
	Produce bool
	// AllowedOrigins are the browser origins WebSocket clients may come
	// from; clients that send no Origin (every non-browser) are always
	// accepted. Default: localhost only.
	AllowedOrigins []string
	// Logger receives the node's logs. Default slog.Default().
	Logger *slog.Logger
}

// DefaultListen is the node's default address.
const DefaultListen = "127.0.0.1:8545"

// maxRequestBytes bounds one request: a fraud proof in hex and then some.
const maxRequestBytes = 2*protocol.MaxProofBytes + 1<<20

// Node serves a devnet over JSON-RPC 2.0: HTTP POST and WebSocket on one
// port (a request with "Upgrade: websocket" goes to the WebSocket handler).
//
// Goroutines: Start launches the HTTP server, a watcher of ctx and, with
// Produce, the devnet's Run, in one errgroup; each newHeads subscription has
// one forwarding goroutine. Close stops all of them and waits.
type Node struct {
	d    *Devnet
	cfg  NodeConfig
	rpc  *rpc.Server
	http *http.Server
	subs *subscribers
	addr net.Addr

	cancel    context.CancelFunc
	g         *errgroup.Group
	closed    bool
	closeOnce sync.Once
	closeErr  error
}

// NewNode returns a node serving d; it does not listen until Start.
func NewNode(d *Devnet, cfg NodeConfig) (*Node, error) {
	if cfg.Listen == "" {
		cfg.Listen = DefaultListen
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	wnet, err := NewWireNetwork(d.Network())
	if err != nil {
		return nil, err
	}
	n := &Node{d: d, cfg: cfg, rpc: rpc.NewServer(), subs: newSubscribers()}
	n.rpc.SetHTTPBodyLimit(maxRequestBytes)
	n.rpc.SetWebsocketReadLimit(maxRequestBytes)
	// A batch of many block requests would buffer every answer: bound the
	// calls per batch and the bytes of a batch's answer.
	n.rpc.SetBatchLimits(1000, 64<<20)
	if err := n.rpc.RegisterName("devnet", &api{d: d, net: wnet, subs: n.subs, log: cfg.Logger}); err != nil {
		return nil, fmt.Errorf("devnet: register API: %w", err)
	}
	ws := n.rpc.WebsocketHandler(cfg.AllowedOrigins)
	n.http = &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
				ws.ServeHTTP(w, r)
				return
			}
			n.rpc.ServeHTTP(w, r)
		}),
		ReadHeaderTimeout: 10 * time.Second,
	}
	return n, nil
}

// Start binds the address and serves until ctx ends or Close. With
// Produce it also runs the devnet. A node starts once; Start and Close
// must not run concurrently.
func (n *Node) Start(ctx context.Context) error {
	if n.g != nil || n.closed {
		return errors.New("devnet: node already started or closed")
	}
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", n.cfg.Listen)
	if err != nil {
		return fmt.Errorf("devnet: listen on %s: %w", n.cfg.Listen, err)
	}
	n.addr = ln.Addr()
	ctx, n.cancel = context.WithCancel(ctx)
	g, gctx := errgroup.WithContext(ctx)
	n.g = g
	g.Go(func() error {
		if err := n.http.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("devnet: serve: %w", err)
		}
		return nil
	})
	g.Go(func() error {
		<-gctx.Done()
		n.rpc.Stop() // closes WebSocket connections, unblocking notifications
		n.subs.close()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := n.http.Shutdown(sctx); err != nil {
			return n.http.Close()
		}
		return nil
	})
	if n.cfg.Produce {
		g.Go(func() error {
			if err := n.d.Run(gctx); err != nil {
				return fmt.Errorf("devnet: %w", err)
			}
			return nil
		})
	}
	n.cfg.Logger.Info("devnet node listening", "addr", n.addr.String(), "http", n.URL(), "ws", n.WSURL())
	return nil
}

// Addr is the bound address, once started.
func (n *Node) Addr() net.Addr { return n.addr }

// URL is the node's HTTP endpoint, once started.
func (n *Node) URL() string { return "http://" + n.addr.String() }

// WSURL is the node's WebSocket endpoint, once started.
func (n *Node) WSURL() string { return "ws://" + n.addr.String() }

// Wait blocks until the node stops (ctx ended, Close, or a failure) and
// returns the first failure.
func (n *Node) Wait() error {
	if n.g == nil {
		return errors.New("devnet: node not started")
	}
	return n.g.Wait()
}

// Close stops serving and producing and waits for every goroutine. It is
// safe to call twice, and before Start.
func (n *Node) Close() error {
	n.closeOnce.Do(func() {
		n.closed = true
		if n.g == nil {
			n.rpc.Stop()
			n.subs.close()
			return
		}
		n.cancel()
		n.closeErr = n.g.Wait()
	})
	return n.closeErr
}

// subscribers owns the subscription goroutines: spawn refuses new ones
// once close began, and close stops and waits for all of them.
type subscribers struct {
	mu     sync.Mutex
	closed bool
	live   int
	stop   chan struct{}
	wg     sync.WaitGroup
}

func newSubscribers() *subscribers { return &subscribers{stop: make(chan struct{})} }

func (s *subscribers) spawn(f func(stop <-chan struct{})) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.live++
	s.wg.Go(func() {
		defer func() {
			s.mu.Lock()
			s.live--
			s.mu.Unlock()
		}()
		f(s.stop)
	})
	return true
}

// count is the number of running subscription goroutines.
func (s *subscribers) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.live
}

func (s *subscribers) close() {
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		close(s.stop)
	}
	s.mu.Unlock()
	s.wg.Wait()
}
