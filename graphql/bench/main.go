// Command bench measures receiptd's GraphQL API under load, and against
// geth's GraphQL on the same domain chain.
//
//	go run ./graphql/bench [-receipts 1000000] [-dir DIR] [-c 32] [-t 1] [-d 10s] [-spread 20000]
//		[-cases REGEXP] [-response-cache=false] [-cpuprofile F] [-memprofile F] [-geth PATH]
//
// Part 1 loads a synthetic index of at least -receipts ERs (load.go)
// through indexer.Writer into pebble under DIR (kept, and reused by the
// next run when it is whole), serves it with graphql.New on a loopback
// port, and drives four queries with wrk (-c connections, -t threads, -d
// each, after a 2 s warm-up): a receipt by hash (-spread different
// hashes, 20,000 by default: more receipts than the server's cache of
// decoded records holds, and far more than pebble's block cache), the
// first page of 50 receipts of a domain, page 10,000 of the receipt
// listing (50 a page) by cursor, and a domain block with its
// transactions (-spread different blocks). It prints p50, p99 and
// requests/s for each; the target is p99 under 10 ms.
//
// Before them it measures the floor: the by-hash requests against a
// handler that reads each body and writes a canned answer, with the same
// HTTP stack and wrk settings, so each case's p99 is also printed as a
// multiple of what this machine allows a server that does no work. On a
// 2-vCPU machine wrk and the server share the cores, and the floor
// depends on how many threads contend for them: wrk defaults to one
// thread here (-t 1), which drives over 30,000 requests/s, more than any
// case needs. On the 2-vCPU machine the figures in the closing notes come
// from, the floor's p99 was 7.9-10.5 ms with two threads (5 runs) and
// 5.4-6.6 ms with one (11 runs).
//
// Part 2 (skipped with -geth ""): exports a devnet chain, imports its
// domain 1 into geth (init + import), starts `geth --graphql`, indexes the
// same export with `receiptd run --source file:`, and drives geth's
// `block(number) { hash transactions { hash } }` and receiptd's
// `domainBlock` for the same block after checking that both answer the
// same hashes. The target is receiptd at least 2x geth's requests/s.
//
// wrk (scripts/deps-clients.sh installs it) and geth v1.17.0 (see
// scripts/geth-import-check.sh) must be installed. Both servers run on the
// same machine as wrk, so the figures are of a shared machine: with 32
// connections in a closed loop, mean latency is 32 / throughput (Little's
// law), so p99 under 10 ms needs well over 3,200 requests/s.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
)

// gcPercent is the GOGC receiptd run serves with (cmd/receiptd's
// gcPercent), used here too unless the environment sets GOGC or
// GOMEMLIMIT, so the server is measured as it ships.
const gcPercent = 200

func main() {
	if os.Getenv("GOGC") == "" && os.Getenv("GOMEMLIMIT") == "" {
		debug.SetGCPercent(gcPercent)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}
