package devnet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/ethereum/go-ethereum/rpc"

	"github.com/receiptd/receiptd/protocol"
)

// maxResponseBytes bounds one message from a node (an HTTP response or a
// WebSocket frame): the largest block in hex, with room to spare.
const maxResponseBytes = 4*protocol.MaxBlockBytes + 1<<20

// Client is a typed client of a devnet node over HTTP or WebSocket (the
// URL's scheme decides; only WebSocket carries subscriptions). It checks
// everything the node sends at the boundary and reports a node that breaks
// the API with errors wrapping ErrBadNode. Safe for concurrent use.
type Client struct {
	c            *rpc.Client
	noHeadNumber atomic.Bool // the node predates devnet_headNumber
}

// Dial connects to a node at an http://, https://, ws:// or wss:// URL.
func Dial(ctx context.Context, url string) (*Client, error) {
	hc := &http.Client{Transport: limitTransport{http.DefaultTransport}}
	c, err := rpc.DialOptions(ctx, url, rpc.WithHTTPClient(hc), rpc.WithWebsocketMessageSizeLimit(maxResponseBytes))
	if err != nil {
		return nil, fmt.Errorf("devnet: dial %s: %w", url, err)
	}
	return &Client{c: c}, nil
}

// Close closes the connection; subscriptions end.
func (c *Client) Close() { c.c.Close() }

// Network returns the node's chain spec and domain geneses, checked
// against each other (each genesis gives the registered hash and root).
func (c *Client) Network(ctx context.Context) (Network, error) {
	var w WireNetwork
	if err := c.call(ctx, &w, nil, "devnet_network"); err != nil {
		return Network{}, err
	}
	return w.Network()
}

// Head returns the canonical head block.
func (c *Client) Head(ctx context.Context) (*protocol.Block, error) {
	return c.block(ctx, "devnet_head")
}

// HeadNumber returns the canonical head's number, without the block. A
// node older than devnet_headNumber is asked for the head block.
func (c *Client) HeadNumber(ctx context.Context) (uint64, error) {
	var n hexutil.Uint64
	var err error
	if !c.noHeadNumber.Load() {
		err = c.call(ctx, &n, nil, "devnet_headNumber")
	}
	if re := rpc.Error(nil); c.noHeadNumber.Load() || errors.As(err, &re) && re.ErrorCode() == codeMethodNotFound {
		c.noHeadNumber.Store(true) // asked once
		b, err := c.Head(ctx)
		if err != nil {
			return 0, err
		}
		return b.Header.Number, nil
	}
	if err != nil {
		return 0, err
	}
	return uint64(n), nil
}

// codeMethodNotFound is JSON-RPC 2.0's error code for an unknown method.
const codeMethodNotFound = -32601

// BlockByNumber returns the canonical block at n, or an error wrapping
// ErrUnknownBlock.
func (c *Client) BlockByNumber(ctx context.Context, n uint64) (*protocol.Block, error) {
	b, err := c.block(ctx, "devnet_blockByNumber", hexutil.Uint64(n))
	if err == nil && b.Header.Number != n {
		return nil, fmt.Errorf("%w: asked for block #%d, got #%d", ErrBadNode, n, b.Header.Number)
	}
	return b, err
}

// BlockByHash returns a block by hash, or an error wrapping ErrUnknownBlock.
func (c *Client) BlockByHash(ctx context.Context, h common.Hash) (*protocol.Block, error) {
	b, err := c.block(ctx, "devnet_blockByHash", h)
	if err == nil && b.Hash() != h {
		return nil, fmt.Errorf("%w: asked for block %s, got %s", ErrBadNode, h, b.Hash())
	}
	return b, err
}

// Operators returns every operator as the node's head state has it.
func (c *Client) Operators(ctx context.Context) ([]OperatorInfo, error) {
	var out []OperatorInfo
	err := c.call(ctx, &out, nil, "devnet_operators")
	return out, err
}

// Domains returns every registered domain and where its block tree stands.
func (c *Client) Domains(ctx context.Context) ([]DomainInfo, error) {
	var out []DomainInfo
	err := c.call(ctx, &out, nil, "devnet_domains")
	return out, err
}

// SubmitFraudProof submits p and returns its hash. Errors wrap
// ErrNoVerifier or ErrProofNotQueued when the devnet refused it.
func (c *Client) SubmitFraudProof(ctx context.Context, p *protocol.FraudProof) (common.Hash, error) {
	enc, err := rlp.EncodeToBytes(p)
	if err != nil {
		return common.Hash{}, fmt.Errorf("devnet: encode fraud proof: %w", err)
	}
	var h common.Hash
	if err := c.call(ctx, &h, ErrProofNotQueued, "devnet_submitFraudProof", hexutil.Bytes(enc)); err != nil {
		return common.Hash{}, err
	}
	if h != p.Hash() {
		return common.Hash{}, fmt.Errorf("%w: node names the proof %s, it hashes to %s", ErrBadNode, h, p.Hash())
	}
	return h, nil
}

// ProofStatus reports what became of a submitted proof; an error wraps
// ErrUnknownProof when the node never saw it.
func (c *Client) ProofStatus(ctx context.Context, h common.Hash) (ProofStatus, error) {
	var w WireProofStatus
	if err := c.call(ctx, &w, ErrUnknownProof, "devnet_proofStatus", h); err != nil {
		return ProofStatus{}, err
	}
	for _, s := range []ProofState{ProofQueued, ProofIncluded, ProofRejected} {
		if s.String() == w.State {
			return ProofStatus{State: s, Reason: w.Reason}, nil
		}
	}
	return ProofStatus{}, fmt.Errorf("%w: proof state %q", ErrBadNode, w.State)
}

func (c *Client) block(ctx context.Context, method string, args ...any) (*protocol.Block, error) {
	var w *WireBlock
	if err := c.call(ctx, &w, ErrUnknownBlock, method, args...); err != nil {
		return nil, err
	}
	return w.Block()
}

// call makes one call and maps the node's error codes to this package's
// sentinel errors; notFound is what CodeNotFound means for this method.
func (c *Client) call(ctx context.Context, result any, notFound error, method string, args ...any) error {
	err := c.c.CallContext(ctx, result, method, args...)
	if err == nil {
		return nil
	}
	var re rpc.Error
	if errors.As(err, &re) {
		var sentinel error
		switch re.ErrorCode() {
		case CodeNotFound:
			sentinel = notFound
		case CodeProofRejected:
			sentinel = ErrProofNotQueued
		case CodeNoVerifier:
			sentinel = ErrNoVerifier
		}
		if sentinel != nil {
			return &nodeError{sentinel: sentinel, msg: fmt.Sprintf("%s: %s", method, re.Error())}
		}
	}
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	if errors.As(err, &syntax) || errors.As(err, &typ) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w: %s: %w", ErrBadNode, method, err)
	}
	return fmt.Errorf("devnet: %s: %w", method, err)
}

// nodeError is an error the node reported, mapped to a sentinel.
type nodeError struct {
	sentinel error
	msg      string
}

func (e *nodeError) Error() string { return "devnet node: " + e.msg }
func (e *nodeError) Unwrap() error { return e.sentinel }

// limitTransport fails HTTP responses over maxResponseBytes instead of
// reading them into memory.
type limitTransport struct{ rt http.RoundTripper }

func (t limitTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.rt.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	if resp.ContentLength > maxResponseBytes {
		resp.Body.Close()
		return nil, fmt.Errorf("%w: response of %d bytes, limit %d", ErrBadNode, resp.ContentLength, maxResponseBytes)
	}
	resp.Body = &limitedBody{rc: resp.Body, left: maxResponseBytes}
	return resp, nil
}

type limitedBody struct {
	rc   io.ReadCloser
	left int64
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		return 0, fmt.Errorf("%w: response over %d bytes", ErrBadNode, maxResponseBytes)
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	return n, err
}

func (b *limitedBody) Close() error { return b.rc.Close() }
