package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"time"

	"github.com/receiptd/receiptd/bench"
)

// runBench is `receiptd bench`: end-to-end figures (see package bench).
func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("dir", "", "scratch directory (default: a new temporary directory, removed afterwards)")
	txs := fs.Int("txs", 50_000, "least number of transactions in the two-domain chain")
	latencyFor := fs.Duration("latency", 60*time.Second, "length of the live detection-latency run")
	blockTime := fs.Duration("block-time", 500*time.Millisecond, "block time of the live devnet in the latency run")
	seed := fs.Int64("seed", 1, "devnet seed")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: receiptd bench [flags]")
		fmt.Fprintln(stderr, "\nRecords devnet chains, follows them with indexing on, executes the same transactions with bare go-ethereum,")
		fmt.Fprintln(stderr, "measures detection latency on a live devnet, and prints the figures and their ratios.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return usageError("bench: %v", err)
	}
	if *dir == "" {
		d, err := os.MkdirTemp("", "receiptd-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		*dir = d
	}
	if *cpuProfile != "" {
		stop, err := startProfile(*cpuProfile)
		if err != nil {
			return err
		}
		defer stop()
	}
	_, err := bench.Run(ctx, bench.Config{Dir: *dir, Txs: *txs, LatencyFor: *latencyFor, BlockTime: *blockTime, Seed: *seed}, stdout)
	return err
}

// startProfile starts a CPU profile written to path; stop ends it.
func startProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}
