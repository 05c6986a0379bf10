package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime/pprof"
	"syscall"
	"testing"
	"time"

	"github.com/receiptd/receiptd/graphql"
	"github.com/receiptd/receiptd/indexer"
	"github.com/receiptd/receiptd/protocol"
)

// BenchmarkServe runs the benchmark's four queries through the server's
// HTTP handler in process, on a small synthetic index in pebble: the
// serving path without the network and wrk, for profiling.
func BenchmarkServe(b *testing.B) {
	dir := os.Getenv("RECEIPTD_BENCH_DIR") // kept and reused when set
	if dir == "" {
		dir = b.TempDir()
	}
	ix, err := indexer.Open(dir, indexer.Options{SyncInterval: time.Minute})
	if err != nil {
		b.Fatal(err)
	}
	defer ix.Close()
	s := shapeFor(20_000, 4)
	if err := load(context.Background(), ix, s, io.Discard); err != nil {
		b.Fatal(err)
	}
	// The response cache off: this measures executing the queries; the
	// cases marked cached run on a second server with it on, and measure
	// answering from it.
	srv, err := graphql.New(graphql.Config{Index: ix, ResponseCacheBytes: -1})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	cachingSrv, err := graphql.New(graphql.Config{Index: ix})
	if err != nil {
		b.Fatal(err)
	}
	defer cachingSrv.Close()
	url, stop, err := serve(ix, false)
	if err != nil {
		b.Fatal(err)
	}
	cursor, err := walkTo(context.Background(), url, s.receipts()/50-1, 50, io.Discard)
	stop()
	if err != nil {
		b.Fatal(err)
	}
	var byHash, blocks [][]byte
	for n := uint64(1); n <= 200; n++ {
		d := protocol.DomainID(1 + n%4)
		er := honestER(d, n, txsAt(n))
		byHash = append(byHash, mustJSON(b, body(qReceipt, "h", er.Hash().Hex())))
		if txsAt(n) > 0 {
			blocks = append(blocks, mustJSON(b, body(qDomainBlock, "d", int(d), "n", n)))
		}
	}
	firstPage := [][]byte{mustJSON(b, body(qPage, "d", 1)), mustJSON(b, body(qPage, "d", 2))}
	cases := []struct {
		name   string
		bodies [][]byte
		cached bool
	}{
		{name: "receipt", bodies: byHash},
		{name: "firstPage", bodies: firstPage},
		{name: "firstPageCached", bodies: firstPage, cached: true},
		{name: "receiptCached", bodies: byHash, cached: true},
		{name: "deepPage", bodies: [][]byte{mustJSON(b, body(qDeepPage, "c", cursor))}},
		{name: "domainBlock", bodies: blocks},
		// The geth comparison's query, on a busy block (40 txs).
		{name: "blockTxHashes", bodies: [][]byte{mustJSON(b, body(`query($d: Int!, $n: Long!) { domainBlock(domain: $d, number: $n) { hash transactions(first: 100) { nodes { hash } } } }`, "d", 2, "n", 50))}},
	}
	if f := os.Getenv("RECEIPTD_BENCH_CPUPROFILE"); f != "" { // the measured part only
		out, err := os.Create(f)
		if err != nil {
			b.Fatal(err)
		}
		defer out.Close()
		if err := pprof.StartCPUProfile(out); err != nil {
			b.Fatal(err)
		}
		defer pprof.StopCPUProfile()
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			cpu0 := cpuTime()
			b.RunParallel(func(pb *testing.PB) {
				i := 0
				for pb.Next() {
					req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(c.bodies[i%len(c.bodies)]))
					req.Header.Set("Content-Type", "application/json")
					w := httptest.NewRecorder()
					if c.cached {
						cachingSrv.ServeHTTP(w, req)
					} else {
						srv.ServeHTTP(w, req)
					}
					if w.Code != http.StatusOK || bytes.Contains(w.Body.Bytes(), []byte(`"errors"`)) {
						b.Errorf("%d: %s", w.Code, w.Body.Bytes())
						return
					}
					i++
				}
			})
			// CPU per request: steadier than ns/op on a shared machine.
			b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
		})
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func mustJSON(b *testing.B, v any) []byte {
	j, err := json.Marshal(v)
	if err != nil {
		b.Fatal(err)
	}
	return j
}
