package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/receiptd/receiptd/graphql"
	"github.com/receiptd/receiptd/indexer"
	"github.com/receiptd/receiptd/protocol"
)

// run is the command: flags, then the two parts (see the package doc).
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	receipts := fs.Int("receipts", 1_000_000, "least number of ERs in the synthetic index")
	domains := fs.Int("domains", 4, "domains of the synthetic index")
	dir := fs.String("dir", filepath.Join(os.TempDir(), "receiptd-graphql-bench"), "directory of the synthetic index (kept and reused) and scratch files")
	conns := fs.Int("c", 32, "concurrent connections (wrk -c)")
	threads := fs.Int("t", 1, "wrk threads (wrk -t)")
	dur := fs.Duration("d", 10*time.Second, "length of each measured run (after a 2 s warm-up)")
	geth := fs.String("geth", defaultGeth(), `geth v1.17.0 binary for the comparison ("" skips it)`)
	gethBlocks := fs.Int("geth-blocks", 300, "consensus blocks of the devnet chain exported for the geth comparison")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the synthetic index's measured runs (not the floor's) to this file")
	memProfile := fs.String("memprofile", "", "write a heap profile to this file after the synthetic index's measured runs")
	spread := fs.Int("spread", 20_000, "different receipts (and blocks) the by-hash and block queries cycle through")
	only := fs.String("cases", "", "run only the cases whose name matches this regular expression")
	respCache := fs.Bool("response-cache", true, "serve with receiptd's response cache (false: every request executes)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if *threads < 1 || *threads > *conns {
		return fmt.Errorf("-t %d: want 1 to -c (%d) threads", *threads, *conns)
	}
	if err := os.MkdirAll(*dir, 0o755); err != nil {
		return err
	}
	drv := driver{dir: *dir, conns: *conns, threads: *threads, d: *dur}
	fmt.Fprintf(stdout, "GraphQL load: %d connections over %d wrk thread(s) on loopback, %s a query, GOMAXPROCS %d\n", *conns, *threads, *dur, gomaxprocs())

	cases, err := regexp.Compile(*only)
	if err != nil {
		return fmt.Errorf("-cases: %w", err)
	}
	s := shapeFor(*receipts, *domains)
	results, err := syntheticBench(ctx, drv, s, filepath.Join(*dir, fmt.Sprintf("index-v%d-%dd-%d", indexer.SchemaVersion, s.domains, s.blocks)), *spread, cases, *respCache, profiles{*cpuProfile, *memProfile}, stdout)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout)
	floor := results[0] // syntheticBench runs the floor first
	for _, r := range results {
		verdict := "p99 under 10 ms: yes"
		if r.p99 >= 10*time.Millisecond || r.bad > 0 {
			verdict = "p99 under 10 ms: NO"
		}
		fmt.Fprintf(stdout, "%s   %s, %.1fx the floor's p99\n", r, verdict, float64(r.p99)/float64(floor.p99))
	}
	if *geth == "" {
		fmt.Fprintln(stdout, "\ngeth comparison skipped (-geth \"\")")
		return nil
	}
	fmt.Fprintln(stdout)
	return gethBench(ctx, drv, *geth, *gethBlocks, stdout)
}

// syntheticBench loads (or reuses) the synthetic index and measures the
// four queries on it.
func syntheticBench(ctx context.Context, drv driver, s shape, dir string, spread int, only *regexp.Regexp, respCache bool, prof profiles, log io.Writer) ([]result, error) {
	ix, err := indexer.Open(dir, indexer.Options{SyncInterval: time.Minute})
	if err != nil {
		return nil, fmt.Errorf("open index: %w", err)
	}
	defer ix.Close()
	if err := load(ctx, ix, s, log); err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	fmt.Fprintf(log, "index %s: %d consensus blocks, %d domains, %d receipts, %d domain blocks\n", dir, s.blocks, s.domains, s.receipts(), int(s.blocks)*s.domains)
	url, stop, err := serve(ix, respCache)
	if err != nil {
		return nil, err
	}
	defer stop()

	rng := rand.New(rand.NewPCG(1, 2))
	randBlock := func(withTxs bool) (protocol.DomainID, uint64) {
		for {
			d, n := protocol.DomainID(1+rng.IntN(s.domains)), 1+rng.Uint64N(s.blocks)
			if !withTxs || txsAt(n) > 0 {
				return d, n
			}
		}
	}
	var byHash, firstPage, blocks []map[string]any
	for range spread {
		d, n := randBlock(false)
		er := honestER(d, n, txsAt(n))
		byHash = append(byHash, body(qReceipt, "h", er.Hash().Hex()))
		d, n = randBlock(true)
		blocks = append(blocks, body(qDomainBlock, "d", int(d), "n", n))
	}
	for d := 1; d <= s.domains; d++ {
		firstPage = append(firstPage, body(qPage, "d", d))
	}
	// Page 10,000 needs 500,000 receipts; a smaller index gets its last page.
	deepPage := min(10_000, s.receipts()/50)
	deepName := fmt.Sprintf("page %d (of 50) by cursor", deepPage)
	var deep []map[string]any
	if only.MatchString(deepName) {
		cursor, err := walkTo(ctx, url, deepPage, 50, log)
		if err != nil {
			return nil, err
		}
		deep = []map[string]any{body(qDeepPage, "c", cursor)}
	}
	// The floor: a handler that reads each request and writes a canned
	// by-hash answer, doing no other work, behind the same HTTP stack and
	// wrk. It is what this machine and load generator allow any server.
	canned, err := postRaw(ctx, url, byHash[0])
	if err != nil {
		return nil, fmt.Errorf("floor: %w", err)
	}
	floorURL, stopFloor, err := serveCanned(canned)
	if err != nil {
		return nil, err
	}
	defer stopFloor()
	floor, err := measure(ctx, drv, floorName, floorURL, byHash, log)
	if err != nil {
		return nil, err
	}
	cases := []struct {
		name   string
		bodies []map[string]any
	}{
		{"receipt by hash", byHash},
		{"first 50 receipts of a domain", firstPage},
		{deepName, deep},
		{"domain block with its txs", blocks},
	}
	if prof.cpu != "" { // receiptd's runs only, not the floor's
		f, err := os.Create(prof.cpu)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return nil, err
		}
		defer pprof.StopCPUProfile()
	}
	out := []result{floor}
	for _, c := range cases {
		if !only.MatchString(c.name) {
			continue
		}
		r, err := measure(ctx, drv, c.name, url, c.bodies, log)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	if prof.heap != "" {
		if err := writeHeapProfile(prof.heap); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// measure checks one request of the case, then drives url with its bodies.
func measure(ctx context.Context, drv driver, name, url string, bodies []map[string]any, log io.Writer) (result, error) {
	if err := check(ctx, url, bodies[0]); err != nil {
		return result{}, fmt.Errorf("%s: %w", name, err)
	}
	r, err := drv.run(ctx, name, url, bodies)
	if err != nil {
		return result{}, fmt.Errorf("%s: %w", name, err)
	}
	fmt.Fprintln(log, r)
	return r, nil
}

// profiles name the files the measured runs' profiles go to; "" writes none.
type profiles struct{ cpu, heap string }

// writeHeapProfile writes the live heap, after a collection, to path.
func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	runtime.GC()
	return errors.Join(pprof.WriteHeapProfile(f), f.Close())
}

const (
	qReceipt = `query($h: Bytes32!) { receipt(hash: $h) { hash number status domain { domainId } domainBlockHash
  verdict { valid field } backerIds timeline { status consensusNumber } fees { operators burned } } }`
	qPage = `query($d: Int!) { receipts(where: {domain: $d}, first: 50) {
  edges { cursor node { hash number status verdict { valid } backerIds } } pageInfo { endCursor hasNextPage } } }`
	qDeepPage = `query($c: String!) { receipts(first: 50, after: $c) {
  edges { cursor node { hash number status verdict { valid } backerIds } } pageInfo { endCursor hasNextPage } } }`
	qDomainBlock = `query($d: Int!, $n: Long!) { domainBlock(domain: $d, number: $n) { hash number gasUsed timestamp transactionCount
  transactions(first: 50) { nodes { hash from to value nonce gasUsed status } } } }`
)

func body(query string, kv ...any) map[string]any {
	vars := map[string]any{}
	for i := 0; i+1 < len(kv); i += 2 {
		vars[kv[i].(string)] = kv[i+1]
	}
	return map[string]any{"query": query, "variables": vars}
}

// walkTo pages through the whole receipt listing, size items a page, and
// returns the cursor that page number page starts after. Cursors are index
// keys, so walking with pages of 100 gives the same cursor sooner.
func walkTo(ctx context.Context, url string, page, size int, log io.Writer) (string, error) {
	start := time.Now()
	skip, cursor := (page-1)*size, ""
	for skip > 0 {
		n := min(skip, 100)
		var res struct {
			Receipts struct {
				Edges    []struct{ Cursor string }
				PageInfo struct{ EndCursor string }
			}
		}
		q := fmt.Sprintf(`query($c: String) { receipts(first: %d, after: $c) { edges { cursor } pageInfo { endCursor } } }`, n)
		vars := map[string]any{}
		if cursor != "" {
			vars["c"] = cursor
		}
		if err := post(ctx, url, map[string]any{"query": q, "variables": vars}, &res); err != nil {
			return "", fmt.Errorf("walk to page %d: %w", page, err)
		}
		if len(res.Receipts.Edges) != n {
			return "", fmt.Errorf("walk to page %d: a page of %d ended the listing", page, len(res.Receipts.Edges))
		}
		skip -= n
		cursor = res.Receipts.PageInfo.EndCursor
	}
	fmt.Fprintf(log, "walked the receipt listing to page %d of %d by cursor in %s\n", page, size, time.Since(start).Round(time.Millisecond))
	return cursor, nil
}

// check runs one request and fails unless it has data and no errors.
func check(ctx context.Context, url string, b map[string]any) error {
	var data map[string]any
	if err := post(ctx, url, b, &data); err != nil {
		return err
	}
	for k, v := range data {
		if v == nil {
			return fmt.Errorf("%s is null", k)
		}
	}
	return nil
}

// post sends a GraphQL request and decodes its data into out.
func post(ctx context.Context, url string, b map[string]any, out any) error {
	raw, err := postRaw(ctx, url, b)
	if err != nil {
		return err
	}
	var r struct {
		Data   json.RawMessage
		Errors []struct{ Message string }
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		return fmt.Errorf("%w: %s", err, raw)
	}
	if len(r.Errors) > 0 {
		return fmt.Errorf("errors: %s", raw)
	}
	return json.Unmarshal(r.Data, out)
}

// postRaw sends a GraphQL request and returns the response body.
func postRaw(ctx context.Context, url string, b map[string]any) ([]byte, error) {
	j, err := json.Marshal(b)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(j))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, err
	}
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("HTTP %d: %s", res.StatusCode, raw)
	}
	return raw, nil
}

// floorName names the floor case (syntheticBench).
const floorName = "floor: canned answer, no work"

// serveCanned serves answer to every request on a free loopback port,
// after reading the request's body, with the Content-Type receiptd sends.
func serveCanned(answer []byte) (url string, stop func(), err error) {
	return serveHandler("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.Copy(io.Discard, r.Body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(answer)
	}))
}

// serveHandler serves h at path on a free loopback port until stop.
func serveHandler(path string, h http.Handler) (url string, stop func(), err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	mux := http.NewServeMux()
	mux.Handle(path, h)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	return "http://" + ln.Addr().String() + path, func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	}, nil
}

// serve serves ix over GraphQL at /graphql on a free loopback port, with
// or without the response cache.
func serve(ix *indexer.Index, respCache bool) (url string, stop func(), err error) {
	cfg := graphql.Config{Index: ix}
	if !respCache {
		cfg.ResponseCacheBytes = -1
	}
	gql, err := graphql.New(cfg)
	if err != nil {
		return "", nil, err
	}
	url, stopHTTP, err := serveHandler("/graphql", gql)
	if err != nil {
		gql.Close()
		return "", nil, err
	}
	return url, func() { stopHTTP(); gql.Close() }, nil
}

func splitLines(s string) []string { return strings.Split(strings.TrimRight(s, "\n"), "\n") }
func joinLines(l []string) string  { return strings.Join(l, "\n") }
