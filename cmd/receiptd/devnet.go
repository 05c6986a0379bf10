package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/receiptd/receiptd/devnet"
	"github.com/receiptd/receiptd/proof"
	"github.com/receiptd/receiptd/protocol"
)

// runDevnet is `receiptd devnet [flags]`, which serves a devnet node until
// SIGINT/SIGTERM, and `receiptd devnet export [flags]`, which records a
// devnet run to a directory.
func runDevnet(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "export" {
		return runDevnetExport(ctx, args[1:], stdout, stderr)
	}
	fs := flag.NewFlagSet("devnet", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", devnet.DefaultListen, "address to serve JSON-RPC on, HTTP and WebSocket (port 0 picks a free one)")
	stateDir := fs.String("state-dir", "", "directory for the domains' state (wiped at start; default: a temporary directory removed on exit)")
	shape := devnetFlags(fs, true)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: receiptd devnet [flags]")
		fmt.Fprintln(stderr, "       receiptd devnet export --blocks N --out DIR [flags]")
		fmt.Fprintln(stderr, "\nServes a devnet node (JSON-RPC 2.0, namespace devnet; see devnet/API.md) until interrupted.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return usageError("devnet: %v", err)
	}
	if fs.NArg() != 0 {
		return usageError("devnet: unexpected argument %q", fs.Arg(0))
	}
	if err := shape.validate(); err != nil {
		return usageError("devnet: %w", err)
	}
	logger := slog.New(slog.NewTextHandler(stderr, nil))
	cfg := shape.config()
	cfg.Logger = logger
	if *stateDir == "" {
		tmp, err := os.MkdirTemp("", "receiptd-devnet-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		*stateDir = tmp
	}
	cfg.StateDir = *stateDir
	d, err := newDevnet(cfg)
	if err != nil {
		return usageError("%v", err)
	}
	defer d.Close()
	node, err := devnet.NewNode(d, devnet.NodeConfig{Listen: *listen, Produce: true, Logger: logger})
	if err != nil {
		return err
	}
	if err := node.Start(ctx); err != nil {
		return err
	}
	err = node.Wait()
	if cerr := node.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	logger.Info("devnet node stopped", "head", d.Head().Header.Number)
	return nil
}

// runDevnetExport is `receiptd devnet export --blocks N --out DIR`. It
// prints a JSON summary of what it wrote.
func runDevnetExport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("devnet export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	blocks := fs.Int("blocks", 0, "consensus blocks (slots) to produce (required)")
	out := fs.String("out", "", "directory to write the consensus chain and domain chains to (required)")
	shape := devnetFlags(fs, false)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: receiptd devnet export --blocks N --out DIR [flags]")
		fmt.Fprintln(stderr, "\nRuns a devnet in fast mode and writes DIR/"+devnet.ChainFileName+" and, per domain,")
		fmt.Fprintln(stderr, "DIR/domain-<id>/{genesis.json,chain.rlp,head.json} (geth init / geth import).")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return usageError("devnet export: %v", err)
	}
	switch {
	case fs.NArg() != 0:
		return usageError("devnet export: unexpected argument %q", fs.Arg(0))
	case *blocks < 1:
		return usageError("devnet export: --blocks must be at least 1")
	case *out == "":
		return usageError("devnet export: --out is required")
	}
	if err := shape.validate(); err != nil {
		return usageError("devnet export: %w", err)
	}
	cfg := shape.config()
	cfg.Logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	sum, err := devnet.Export(ctx, cfg, *blocks, *out)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(sum)
}

// shapeFlags are the flags that shape a devnet, shared by both commands.
type shapeFlags struct {
	seed            *int64
	blockTime       *time.Duration
	fast            *bool
	domains         *int
	operators       *int
	noFaults        *bool
	forkProbability *float64
	maxReorgDepth   *int
	challengePeriod *uint64
	txPerBlock      *int
}

// devnetFlags defines the shape flags on fs; timing adds --block-time and
// --fast (export always runs fast).
func devnetFlags(fs *flag.FlagSet, timing bool) *shapeFlags {
	var def devnet.Config
	def.EnsureDefaults()
	s := &shapeFlags{
		seed:            fs.Int64("seed", def.Seed, "seed that fixes every choice the devnet makes"),
		blockTime:       new(time.Duration),
		fast:            new(bool),
		domains:         fs.Int("domains", def.Domains, "number of domains"),
		operators:       fs.Int("operators", def.OperatorsPerDomain, "staked operators per domain"),
		noFaults:        fs.Bool("no-faults", false, "make every operator honest (default: operator 0 of each domain is faulty)"),
		forkProbability: fs.Float64("fork-probability", def.ForkProbability, "chance per slot that a competing branch takes over (0 disables forks)"),
		maxReorgDepth:   fs.Int("max-reorg-depth", def.MaxReorgDepth, "deepest reorg, in consensus blocks"),
		challengePeriod: fs.Uint64("challenge-period", def.ChallengePeriod, "challenge period D, in domain blocks"),
		txPerBlock:      fs.Int("tx-per-block", def.TxPerBlock, "workload transactions each domain's mempool receives per slot"),
	}
	if timing {
		s.blockTime = fs.Duration("block-time", def.BlockTime, "wall-clock time between slots (0 is the same as --fast)")
		s.fast = fs.Bool("fast", false, "produce slots back to back, ignoring --block-time")
	}
	return s
}

// validate checks the flags as given, every problem at once. A devnet
// config's zero values mean its defaults, so a zero given on the command
// line, which means something else, is refused here rather than silently
// replaced; the config's own rules do the rest.
func (s *shapeFlags) validate() error {
	var errs []error
	for _, f := range []struct {
		name string
		zero bool
	}{
		{"seed", *s.seed == 0}, {"domains", *s.domains == 0}, {"operators", *s.operators == 0}, {"tx-per-block", *s.txPerBlock == 0},
		{"max-reorg-depth", *s.maxReorgDepth == 0}, {"challenge-period", *s.challengePeriod == 0},
	} {
		if f.zero && f.name == "seed" {
			errs = append(errs, errors.New("--seed 0: want a nonzero seed"))
		} else if f.zero {
			errs = append(errs, fmt.Errorf("--%s 0: want 1 or more", f.name))
		}
	}
	if *s.forkProbability < 0 {
		errs = append(errs, fmt.Errorf("--fork-probability %v: want 0 (no forks) to below 1", *s.forkProbability))
	}
	cfg := s.config()
	cfg.EnsureDefaults()
	if err := cfg.Validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// config turns the flags into a devnet config; newDevnet adds the
// fraud-proof verifier.
func (s *shapeFlags) config() devnet.Config {
	cfg := devnet.Config{
		Seed: *s.seed, BlockTime: *s.blockTime, FastMode: *s.fast || *s.blockTime == 0, Domains: *s.domains,
		OperatorsPerDomain: *s.operators, NoFaults: *s.noFaults, ForkProbability: *s.forkProbability,
		MaxReorgDepth: *s.maxReorgDepth, ChallengePeriod: *s.challengePeriod, TxPerBlock: *s.txPerBlock,
	}
	if cfg.ForkProbability == 0 {
		cfg.ForkProbability = -1 // the config's zero means its default
	}
	return cfg
}

// newDevnet builds a devnet whose consensus checks submitted fraud proofs
// with the same stateless verifier receiptd uses before it submits one.
func newDevnet(cfg devnet.Config) (*devnet.Devnet, error) {
	var d *devnet.Devnet
	pv, err := proof.NewVerifier(blockFunc(func(h common.Hash) (*protocol.Block, error) { return d.BlockByHash(h) }), proof.Config{})
	if err != nil {
		return nil, err
	}
	cfg.Verifier = pv
	d, err = devnet.New(cfg)
	return d, err
}
