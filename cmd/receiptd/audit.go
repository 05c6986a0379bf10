package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/ethereum/go-ethereum/core"
	"github.com/receiptd/receiptd/audit"
)

// runAudit is `receiptd audit --genesis genesis.json chain.rlp[.gz]`. It
// prints one JSON line per block and a summary line on stdout. Exit status:
// 0 all blocks valid, 1 some block invalid, 2 unusable input (flags, a
// missing or unreadable genesis or chain file, a bad genesis, or a chain file
// in which no item decodes as a block) or an audit that could not finish
// (interrupted, a read error, an internal failure): no summary, and no
// verdict on the blocks after the last line printed.
func runAudit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("audit", flag.ContinueOnError)
	fs.SetOutput(stderr)
	genesisPath := fs.String("genesis", "", "path of the genesis JSON file, as geth init takes it (required)")
	workers := fs.Int("workers", 0, "sender-recovery workers, beside the executor that also recovers when ahead (default: one fewer than the CPUs, at least one)")
	progress := fs.Duration("progress", audit.DefaultProgressInterval, "least time between progress lines on stderr (0 disables)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: receiptd audit --genesis genesis.json [flags] chain.rlp[.gz]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return usageError("audit: %v", err)
	}
	if *genesisPath == "" {
		return usageError("audit: --genesis is required")
	}
	if fs.NArg() != 1 {
		return usageError("audit: want exactly one chain file, have %d arguments", fs.NArg())
	}
	genesis, err := loadGenesisFile(*genesisPath)
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	chainFile, err := audit.OpenChain(fs.Arg(0))
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	defer chainFile.Close()

	cfg := audit.Config{Workers: *workers, ProgressInterval: *progress}
	if *progress > 0 {
		cfg.Progress = stderr
	}
	enc := json.NewEncoder(stdout)
	sum, err := audit.Run(ctx, genesis, chainFile, cfg, func(r audit.BlockReport) error { return enc.Encode(r) })
	if errors.Is(err, audit.ErrBadGenesis) {
		return &exitError{code: 2, err: err}
	}
	if err != nil {
		return &exitError{code: 2, err: fmt.Errorf("audit: not finished: %w", err)}
	}
	if err := enc.Encode(sum); err != nil {
		return &exitError{code: 2, err: fmt.Errorf("audit: not finished: write summary: %w", err)}
	}
	switch {
	case sum.Decoded == 0 && sum.Invalid > 0:
		return &exitError{code: 2, err: fmt.Errorf("audit: no item of %s decodes as a block", fs.Arg(0))}
	case sum.Invalid > 0:
		return &exitError{code: 1, err: fmt.Errorf("audit: %d of %d blocks invalid; head #%d %s", sum.Invalid, sum.Items, sum.HeadNumber, sum.HeadHash.Hex())}
	}
	return nil
}

func loadGenesisFile(path string) (*core.Genesis, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("audit: open genesis: %w", err)
	}
	defer f.Close()
	g, err := audit.LoadGenesis(f)
	if err != nil {
		return nil, fmt.Errorf("audit: genesis %s: %w", path, err)
	}
	return g, nil
}
