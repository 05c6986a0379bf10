package graphql

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/receiptd/receiptd/indexer"
	"github.com/receiptd/receiptd/protocol"
)

// Defaults for Config's zero fields.
const (
	// DefaultMaxDepth bounds field nesting. The deepest useful query
	// (receipts → edges → node → inboxedBundles → bundle → transactions →
	// logs → topics) is 9 deep.
	DefaultMaxDepth = 12
	// DefaultMaxCost bounds a query's estimated cost: each field counts
	// once per object it is resolved on, and a connection multiplies its
	// children by its page size (see cost.go). 50,000 lets a page of 1,000
	// receipts carry a few dozen fields each. It also bounds the
	// selections a query expands to, fragments spread included.
	DefaultMaxCost = 50_000
	// DefaultMaxBodyBytes bounds a request body and a WebSocket message.
	DefaultMaxBodyBytes = 256 << 10
	// DefaultTimeout bounds one query or mutation.
	DefaultTimeout = 10 * time.Second
	// DefaultPage is the page size when a listing gets neither first nor last.
	DefaultPage = 25
	// DefaultMaxPage is the largest first or last accepted.
	DefaultMaxPage = 100
	// DefaultMaxAliases bounds the aliased fields in a query: aliases let
	// one query ask for the same field thousands of times, which costs
	// validation time quadratic in their number.
	DefaultMaxAliases = 100
	// DefaultSubmitBurst and DefaultSubmitEvery rate-limit submitFraudProof
	// per client (remote IP): a burst of 5, then one every 10 seconds.
	DefaultSubmitBurst = 5
	DefaultSubmitEvery = 10 * time.Second
	// DefaultMaxSubscriptions bounds the subscriptions open at once over
	// all connections.
	DefaultMaxSubscriptions = 1000
	// DefaultMaxWSConnsPerClient: a browser tab or an indexer needs one or
	// two connections.
	DefaultMaxWSConnsPerClient = 16
	// DefaultResponseCacheBytes bounds the response cache: a few thousand
	// pages of 50 receipts.
	DefaultResponseCacheBytes = 64 << 20
)

// Status is what the follower knows beyond the index: the source's head.
// The index itself gives the committed head and per-domain heights.
type Status struct {
	// SourceHead is the source's consensus head when last asked; Known is
	// false before the first answer.
	SourceHead uint64
	Known      bool
	Syncing    bool
	// DomainHeads is the newest domain block derived on chain per domain,
	// when the follower knows it; a domain missing has an unknown lag.
	DomainHeads map[protocol.DomainID]uint64
}

// Config configures the GraphQL server. Zero optional fields take the
// defaults above.
type Config struct {
	// Index is the index queries read. Required.
	Index *indexer.Index
	// Status reports the follower's view of the source; called once per
	// status query, from the request's goroutine. Nil: unknown.
	Status func() Status
	// Verify checks a fraud proof statelessly against the consensus chain.
	// Submit relays a verified proof to the chain. Both are required for
	// submitFraudProof; when either is nil the mutation answers that this
	// node does not relay proofs.
	Verify func(context.Context, *protocol.FraudProof) error
	Submit func(context.Context, *protocol.FraudProof) error

	MaxDepth     int
	MaxCost      int
	MaxBodyBytes int64
	Timeout      time.Duration
	DefaultPage  int
	MaxPage      int
	MaxAliases   int
	// SubmitBurst and SubmitEvery rate-limit submitFraudProof per client.
	SubmitBurst int
	SubmitEvery time.Duration
	// MaxSubscriptions bounds open subscriptions over all connections.
	MaxSubscriptions int
	// MaxWSConnsPerClient bounds the WebSocket connections one remote
	// address holds at once, so that one client cannot take every
	// subscription by opening more connections. Behind a reverse proxy
	// every client has the proxy's address (proxy headers are not
	// trusted): raise it there.
	MaxWSConnsPerClient int
	// ResponseCacheBytes bounds the answers to queries kept for identical
	// queries on the same state of the index (respcache.go); negative
	// turns the cache off.
	ResponseCacheBytes int
	// Logger receives internal errors (never shown to clients). Nil discards.
	Logger *slog.Logger
	// Observe, when set, is called once per POSTed query or mutation with
	// what it asks for: the root field its operation selects ("receipt",
	// "domainBlock", "submitFraudProof", "__schema"), "multiple" when it
	// selects more than one, "none" when it selects none the schema has,
	// "refused" when it was refused before it ran. These are names from
	// the schema, never the client's operation name, which any client
	// could vary to crowd out the others. It also gets the time from the
	// read request body to the encoded answer (a cache hit's included),
	// and whether the answer carries errors. receiptd run passes
	// metrics.Metrics.RecordGraphQL.
	Observe func(field string, d time.Duration, errored bool)
	// ObserveCache, when set, is called once per query that passed the
	// limits or was answered from the response cache: hit when it was
	// answered from it, a miss when it was executed. receiptd run
	// passes metrics.Metrics.RecordGraphQLCache.
	ObserveCache func(hit bool)
}

// EnsureDefaults fills in zero fields.
func (c *Config) EnsureDefaults() {
	setInt := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	setInt(&c.MaxDepth, DefaultMaxDepth)
	setInt(&c.MaxCost, DefaultMaxCost)
	setInt(&c.DefaultPage, DefaultPage)
	setInt(&c.MaxPage, DefaultMaxPage)
	setInt(&c.MaxAliases, DefaultMaxAliases)
	setInt(&c.SubmitBurst, DefaultSubmitBurst)
	setInt(&c.MaxSubscriptions, DefaultMaxSubscriptions)
	setInt(&c.MaxWSConnsPerClient, DefaultMaxWSConnsPerClient)
	setInt(&c.ResponseCacheBytes, DefaultResponseCacheBytes)
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.SubmitEvery == 0 {
		c.SubmitEvery = DefaultSubmitEvery
	}
	if c.Status == nil {
		c.Status = func() Status { return Status{} }
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}

// Validate reports every problem at once.
func (c *Config) Validate() error {
	var errs []error
	if c.Index == nil {
		errs = append(errs, errors.New("index is required"))
	}
	for _, v := range []struct {
		name string
		n    int64
	}{{"max depth", int64(c.MaxDepth)}, {"max cost", int64(c.MaxCost)}, {"max body bytes", c.MaxBodyBytes},
		{"timeout", int64(c.Timeout)}, {"default page", int64(c.DefaultPage)}, {"max page", int64(c.MaxPage)}, {"max aliases", int64(c.MaxAliases)},
		{"submit burst", int64(c.SubmitBurst)}, {"submit every", int64(c.SubmitEvery)},
		{"max subscriptions", int64(c.MaxSubscriptions)}, {"max WebSocket connections per client", int64(c.MaxWSConnsPerClient)}} {
		if v.n < 0 {
			errs = append(errs, fmt.Errorf("%s %d is negative", v.name, v.n))
		}
	}
	if c.ResponseCacheBytes > 0 && c.ResponseCacheBytes < minResponseCache {
		errs = append(errs, fmt.Errorf("response cache bytes %d is under the least useful %d (-1 turns the cache off)", c.ResponseCacheBytes, minResponseCache))
	}
	if c.MaxPage > indexer.MaxPageSize {
		errs = append(errs, fmt.Errorf("max page %d is over the index's %d", c.MaxPage, indexer.MaxPageSize))
	}
	if c.DefaultPage > c.MaxPage && c.MaxPage > 0 {
		errs = append(errs, fmt.Errorf("default page %d is over max page %d", c.DefaultPage, c.MaxPage))
	}
	if len(errs) > 0 {
		return fmt.Errorf("graphql: invalid config: %w", errors.Join(errs...))
	}
	return nil
}
