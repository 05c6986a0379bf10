package source

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/rpc"

	"github.com/receiptd/receiptd/devnet"
	"github.com/receiptd/receiptd/protocol"
)

// NodeOptions tune a Node source.
type NodeOptions struct {
	// DialTimeout bounds one connection attempt. Default 5s.
	DialTimeout time.Duration
	// CallTimeout bounds one request. Default 10s.
	CallTimeout time.Duration
	// Backoff is the first wait between reconnection rounds; it doubles up
	// to MaxBackoff. Defaults 200ms and 10s.
	Backoff, MaxBackoff time.Duration
	// OnReconnect is called after each successful reconnection (metrics).
	OnReconnect func(url string)
	Logger      *slog.Logger
}

func (o *NodeOptions) ensureDefaults() {
	if o.DialTimeout <= 0 {
		o.DialTimeout = 5 * time.Second
	}
	if o.CallTimeout <= 0 {
		o.CallTimeout = 10 * time.Second
	}
	if o.Backoff <= 0 {
		o.Backoff = 200 * time.Millisecond
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 10 * time.Second
	}
	if o.OnReconnect == nil {
		o.OnReconnect = func(string) {}
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
}

// Node follows one or more devnet nodes over JSON-RPC (ws:// or http://).
// It uses one endpoint at a time; when a call fails for a reason other
// than the node's answer (connection lost, timeout), it drops that
// connection and the next call dials the endpoints in turn, starting with
// the next one: failover. With a WebSocket endpoint it also subscribes to
// new heads, so the follower wakes up on each block.
type Node struct {
	urls   []string
	opts   NodeOptions
	notify chan struct{}
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu struct {
		sync.Mutex
		client *devnet.Client
		next   int // endpoint to try first
		url    string
		head   uint64 // the newest head client reported
	}
}

var _ Source = (*Node)(nil)

// DialNode connects to the first endpoint that answers.
func DialNode(ctx context.Context, urls []string, opts NodeOptions) (*Node, error) {
	if len(urls) == 0 {
		return nil, errors.New("source: no node endpoints")
	}
	opts.ensureDefaults()
	n := &Node{urls: urls, opts: opts, notify: make(chan struct{}, 1)}
	n.ctx, n.cancel = context.WithCancel(context.Background())
	if _, err := n.conn(ctx); err != nil {
		n.cancel()
		return nil, err
	}
	n.wg.Add(1)
	go n.watchHeads()
	return n, nil
}

// conn returns the live client, dialling the endpoints in turn if needed.
func (n *Node) conn(ctx context.Context) (*devnet.Client, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.mu.client != nil {
		return n.mu.client, nil
	}
	if n.ctx.Err() != nil {
		return nil, errors.New("source: closed")
	}
	var errs []error
	for i := range n.urls {
		url := n.urls[(n.mu.next+i)%len(n.urls)]
		dctx, cancel := context.WithTimeout(ctx, n.opts.DialTimeout)
		c, err := devnet.Dial(dctx, url)
		if err == nil {
			_, err = c.HeadNumber(dctx) // a connection that cannot answer is no connection
			if err != nil {
				c.Close()
			}
		}
		cancel()
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", url, err))
			continue
		}
		if n.mu.url != "" {
			n.opts.OnReconnect(url)
			n.opts.Logger.Info("source connected", "url", url, "previous", n.mu.url)
		}
		n.mu.client, n.mu.url = c, url
		n.mu.next = (n.mu.next + i) % len(n.urls)
		return c, nil
	}
	return nil, fmt.Errorf("source: no endpoint answers: %w", errors.Join(errs...))
}

// drop forgets a failed connection; the next call fails over.
func (n *Node) drop(c *devnet.Client) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.mu.client == c {
		c.Close()
		n.mu.client, n.mu.head = nil, 0
		n.mu.next = (n.mu.next + 1) % len(n.urls)
	}
}

// call runs fn on the live connection; a failure that is not the node's
// answer (see answered) drops it, and the next call fails over.
func (n *Node) call(ctx context.Context, fn func(context.Context, *devnet.Client) error) error {
	return n.callWith(ctx, answered, fn)
}

func (n *Node) callWith(ctx context.Context, isAnswer func(error) bool, fn func(context.Context, *devnet.Client) error) error {
	c, err := n.conn(ctx)
	if err != nil {
		return err
	}
	cctx, cancel := context.WithTimeout(ctx, n.opts.CallTimeout)
	defer cancel()
	err = fn(cctx, c)
	if err != nil && ctx.Err() == nil && !isAnswer(err) {
		n.drop(c)
	}
	return err
}

// answered reports errors that are the node's answer to a read, not a
// failure to get one: the connection is fine. Anything else (a transport
// failure, a timeout, a malformed reply, an error object such as an
// internal error) leaves the node for the next endpoint.
func answered(err error) bool {
	return errors.Is(err, devnet.ErrUnknownBlock) || errors.Is(err, devnet.ErrProofNotQueued) ||
		errors.Is(err, devnet.ErrUnknownProof) || errors.Is(err, devnet.ErrNoVerifier)
}

// answeredProof is answered for a submitted proof: any JSON-RPC error
// object is the node refusing this proof (malformed, rejected, no
// verifier), which another node would refuse too; the connection stays.
func answeredProof(err error) bool {
	var re rpc.Error
	return answered(err) || errors.As(err, &re)
}

func (n *Node) Network(ctx context.Context) (*Network, error) {
	var net devnet.Network
	err := n.call(ctx, func(ctx context.Context, c *devnet.Client) (err error) {
		net, err = c.Network(ctx)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &net, nil
}

func (n *Node) HeadNumber(ctx context.Context) (uint64, error) {
	var head uint64
	err := n.call(ctx, func(ctx context.Context, c *devnet.Client) error {
		h, err := c.HeadNumber(ctx)
		if err == nil {
			head = h
			n.mu.Lock()
			if n.mu.client == c {
				n.mu.head = max(n.mu.head, head)
			}
			n.mu.Unlock()
		}
		return err
	})
	return head, err
}

func (n *Node) BlockByNumber(ctx context.Context, num uint64) (*protocol.Block, error) {
	var b *protocol.Block
	err := n.call(ctx, func(ctx context.Context, c *devnet.Client) (err error) {
		b, err = c.BlockByNumber(ctx, num)
		if errors.Is(err, devnet.ErrUnknownBlock) {
			// Missing at or below a head it reported: pruned history or
			// a broken node. Not an answer to wait on: fail over.
			n.mu.Lock()
			head := n.mu.head
			n.mu.Unlock()
			if num <= head {
				return fmt.Errorf("%w: it reported head %d but has no block %d", devnet.ErrBadNode, head, num)
			}
		}
		return err
	})
	if errors.Is(err, devnet.ErrUnknownBlock) {
		return nil, errors.Join(ErrNotFound, err)
	}
	return b, err
}

func (n *Node) Notify() <-chan struct{} { return n.notify }

func (n *Node) SubmitFraudProof(ctx context.Context, p *protocol.FraudProof) error {
	return n.callWith(ctx, answeredProof, func(ctx context.Context, c *devnet.Client) error {
		_, err := c.SubmitFraudProof(ctx, p)
		return err
	})
}

// watchHeads keeps a new-heads subscription open while the source lives,
// resubscribing with backoff; over HTTP, where there is none, the follower
// polls.
func (n *Node) watchHeads() {
	defer n.wg.Done()
	backoff := n.opts.Backoff
	for n.ctx.Err() == nil {
		c, err := n.conn(n.ctx)
		if err == nil {
			var events <-chan devnet.HeadEvent
			var sub *devnet.HeadSubscription
			events, sub, err = c.SubscribeHeads(n.ctx)
			if err == nil {
				backoff = n.opts.Backoff
				for range events {
					select {
					case n.notify <- struct{}{}:
					default:
					}
				}
				sub.Unsubscribe()
				select {
				case err = <-sub.Err():
				default:
				}
				if err != nil && n.ctx.Err() == nil { // not the source closing
					n.opts.Logger.Warn("head subscription ended", "err", err)
					n.drop(c)
				}
			}
		}
		t := time.NewTimer(backoff)
		select {
		case <-n.ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		backoff = min(2*backoff, n.opts.MaxBackoff)
	}
}

// Close ends the subscription and the connection. Safe twice.
func (n *Node) Close() error {
	n.cancel()
	n.wg.Wait()
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.mu.client != nil {
		n.mu.client.Close()
		n.mu.client = nil
	}
	return nil
}
