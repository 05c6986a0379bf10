// Package graphql serves receiptd's index over GraphQL (graph-gophers'
// graphql-go, schema in package schema): queries and the fraud-proof
// mutation as POST JSON, a self-contained query console at GET, and
// subscriptions over WebSocket (graphql-transport-ws, the protocol of the
// graphql-ws npm client) on the same path. It reads the index only
// through indexer.Reader and imports protocol and indexer, never verifier
// or cmd.
//
// # Consistency
//
// Every request reads one pebble snapshot (session.go), opened on first
// use and closed when the response is written; each subscription event
// gets a snapshot of its own, opened after the commit it reports. A
// session caches the records it reads, and connections prefetch what
// their nodes link to (consensus blocks, bundles, parent receipts,
// backers) in one sorted pass per kind, so a page of receipts with their
// bundles reads each distinct record once. The snapshot is an
// indexer.SharedReader: records are decoded once for all requests while
// their stored bytes stay the same, so resolvers must never modify one.
//
// # Response cache
//
// Answers to queries are kept, keyed by the request body's bytes and the
// index generation its snapshot read (respcache.go), until the next commit
// or rollback: an explorer's landing page polled by many visitors runs
// about once a consensus block. Only answers without errors to queries
// that passed the limits below are kept, and none that read the
// follower's live status; so a hit is served before the body is decoded
// or checked, since those bytes passed once. Config.ResponseCacheBytes
// bounds it; negative turns it off.
//
// # Limits
//
// Before graphql-go parses a query, check (cost.go, over a small parser in
// docparse.go and lexer.go) refuses: syntax errors, nesting deeper than
// Config.MaxDepth, more than MaxAliases aliases, page sizes over MaxPage,
// an estimated cost over MaxCost, where each field counts once per
// object it is resolved on and a connection multiplies its selection by
// its page size (a plain list by 10), and more than MaxCost selections
// once fragments are expanded (a fragment's count each time it is
// spread, so a chain of fragments spread many times is refused before
// it is walked for long). Bodies over MaxBodyBytes get 413;
// each query runs under Timeout, at most GOMAXPROCS at once (server.go
// says why), the rest waiting in arrival order. Errors are
// GraphQL errors; failures of receiptd's own (a corrupt record, a
// panic) are logged and reported as "internal error", never with a trace.
//
// # Decisions
//
//   - Scalars follow go-ethereum: Bytes32, Address, Bytes, BigInt and Long
//     are 0x-hex strings on output; Long input also takes decimal strings
//     and JSON numbers up to 2^53.
//   - Global ids are base64url("Kind:key"); node(id) resolves them.
//   - Cursors are the index's keys, base64url: opaque, and a cursor of
//     another listing (other filters) is refused rather than misread.
//   - orderBy picks the direction of the listing's one index order (the
//     index has one order per listing).
//   - totalCount is null unless an index counter holds it.
//   - The challenge kind filter is not an index prefix: pages are filled
//     by reading at most 8 index pages of 1,000, so a rare kind may end a
//     page early with hasNextPage true.
//   - Publish never blocks the follower: each subscription queues 256
//     events and is dropped (with an error to the client) when it falls
//     further behind.
//   - submitFraudProof is a token bucket per remote IP; proxy headers are
//     not trusted. A proof that fails is a result with the reason; being
//     over the rate is an error. One IP holds at most
//     Config.MaxWSConnsPerClient WebSocket connections (16), each at most
//     100 operations.
//   - A filter the index cannot narrow by key reads at most
//     indexer.MaxSkipped (2,000) rejected entries per index page: the page
//     may end early, even empty, with hasNextPage and a cursor to go on.
//   - Overload (no query slot within the time limit) is HTTP 503 with
//     Retry-After.
//   - WebSocket origins are not checked: the API needs no credentials.
package graphql
