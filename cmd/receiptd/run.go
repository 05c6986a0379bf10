package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"golang.org/x/sync/errgroup"

	"github.com/receiptd/receiptd/devnet"
	"github.com/receiptd/receiptd/graphql"
	"github.com/receiptd/receiptd/httpserver"
	"github.com/receiptd/receiptd/indexer"
	"github.com/receiptd/receiptd/internal/atomicfile"
	"github.com/receiptd/receiptd/metrics"
	"github.com/receiptd/receiptd/proof"
	"github.com/receiptd/receiptd/protocol"
	"github.com/receiptd/receiptd/source"
	"github.com/receiptd/receiptd/verifier"
)

// sourceList is the repeatable --source flag. Values set in one layer of
// settings (config file, environment, command line) add up; a higher
// layer that sets it replaces what lower ones set (parseFlags calls
// newLayer between them).
type sourceList struct {
	list  []string
	fresh bool // the next Set starts a new list
}

func (s *sourceList) String() string { return strings.Join(s.list, ",") }

func (s *sourceList) Set(v string) error {
	if s.fresh {
		s.list, s.fresh = nil, false
	}
	s.list = append(s.list, v)
	return nil
}

func (s *sourceList) newLayer() { s.fresh = true }

// defaultDataDir is $XDG_DATA_HOME/receiptd, or ~/.local/share/receiptd.
func defaultDataDir() string {
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "receiptd")
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".local", "share", "receiptd")
	}
	return "receiptd-data"
}

// blockFunc adapts a lookup function to proof.ConsensusBlocks.
type blockFunc func(common.Hash) (*protocol.Block, error)

func (f blockFunc) ConsensusBlock(h common.Hash) (*protocol.Block, error) { return f(h) }

// runRun is `receiptd run`: follow a chain, verify and index it.
func runRun(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var sources sourceList
	data := fs.String("data", defaultDataDir(), "data directory: the index and the domain states")
	fs.Var(&sources, "source", "chain to follow: ws://HOST:PORT or http://HOST:PORT of a devnet node (repeat for failover), or file:PATH of a recorded chain; default: an embedded devnet")
	httpAddr := fs.String("http", "127.0.0.1:8080", "address serving /graphql, /metrics, /healthz and /readyz (empty disables)")
	progress := fs.Duration("progress", 5*time.Second, "interval of the progress line on stderr while catching up (0 disables)")
	exitAtHead := fs.Bool("exit-at-head", false, "stop once the source's head is verified (for recorded chains and tests)")
	challenger := fs.Bool("challenger", false, "prove every bad receipt and submit the proof to the source (the oldest bad receipt of each domain first)")
	dryRun := fs.Bool("challenge-dry-run", false, "build and verify proofs of bad receipts and index them, but submit nothing")
	workers := fs.Int("workers", 0, "goroutines for sender recovery and signature checks (default: one per CPU)")
	gqlCache := fs.Int("graphql-cache-mb", graphql.DefaultResponseCacheBytes>>20, "MiB of GraphQL answers kept until the index next changes (0 disables)")
	wsPerClient := fs.Int("graphql-ws-per-client", graphql.DefaultMaxWSConnsPerClient, "GraphQL WebSocket connections one client address may hold (behind a reverse proxy every client has the proxy's address)")
	logLevel := fs.String("log-level", "info", "log level: debug, info, warn, error")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile to this file (for performance work)")
	fs.String("config", "", "config file of name = value lines (flags win over RECEIPTD_* environment variables, which win over the file)")
	shape := devnetFlags(fs, true)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: receiptd run [flags]")
		fmt.Fprintln(stderr, "\nFollows a consensus chain, re-executes every domain block, judges every receipt and indexes it all.")
		fmt.Fprintln(stderr, "With no --source it runs an embedded devnet (shaped by the devnet flags below) and follows it;")
		fmt.Fprintln(stderr, "its chain lives in memory, so a restart on the same --data starts the index again.")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return usageError("run: %v", err)
	}
	if fs.NArg() != 0 {
		return usageError("run: unexpected argument %q", fs.Arg(0))
	}
	// Every bad setting is reported at once, before anything is written.
	var bad []error
	badf := func(format string, args ...any) { bad = append(bad, fmt.Errorf(format, args...)) }
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		badf("--log-level %q: want debug, info, warn or error", *logLevel)
	}
	if *challenger && *dryRun {
		badf("--challenger and --challenge-dry-run exclude each other")
	}
	cacheBytes := *gqlCache << 20
	switch maxMB := min(1<<20, math.MaxInt>>20); {
	case *gqlCache < 0 || *gqlCache > maxMB:
		badf("--graphql-cache-mb %d: want 0 to %d", *gqlCache, maxMB)
	case *gqlCache == 0:
		cacheBytes = -1 // off
	}
	if *wsPerClient < 1 || *wsPerClient > 1<<20 {
		badf("--graphql-ws-per-client %d: want 1 to %d", *wsPerClient, 1<<20)
	}
	if *progress < 0 {
		badf("--progress %v is negative", *progress)
	}
	if *workers < 0 {
		badf("--workers %d is negative", *workers)
	}
	if *data == "" {
		badf("--data is empty")
	}
	if len(sources.list) == 0 {
		if err := shape.validate(); err != nil {
			bad = append(bad, err)
		}
		if *exitAtHead { // it would stop at once, at block 0
			badf("--exit-at-head stops at a --source's head; the embedded devnet makes its chain as it goes")
		}
	}
	if len(bad) > 0 {
		return usageError("run: %w", errors.Join(bad...))
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	if *cpuProfile != "" {
		stop, err := startProfile(*cpuProfile)
		if err != nil {
			return err
		}
		defer stop()
	}
	m := metrics.New()
	if err := os.MkdirAll(*data, 0o755); err != nil {
		return fmt.Errorf("run: data directory: %w", err)
	}
	unlock, err := lockDataDir(*data)
	if err != nil {
		return &exitError{code: 1, err: fmt.Errorf("run: %w", err)}
	}
	defer unlock()

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	g, gctx := errgroup.WithContext(ctx)
	src, dev, err := openSource(gctx, sources.list, shape, filepath.Join(*data, "devnet-state"), logger, m)
	if err != nil {
		return err
	}
	defer src.Close()
	if dev != nil {
		defer dev.Close()
		g.Go(func() error { return dev.Run(gctx) })
		// Whatever the return, the devnet stops before it is closed.
		defer func() { cancel(); g.Wait() }()
	}
	net, err := src.Network(gctx)
	if err != nil {
		return fmt.Errorf("run: network of the source: %w", err)
	}
	if err := claimData(*data, *net, dev != nil, logger); err != nil {
		return err
	}
	// claimData refused a file of another network: write it when missing,
	// and leave the one that is there.
	if !exists(filepath.Join(*data, networkFile)) {
		if err := writeNetwork(*data, *net); err != nil {
			return fmt.Errorf("run: %w", err)
		}
	}
	idx, err := indexer.Open(filepath.Join(*data, "index"), indexer.Options{SyncInterval: time.Second})
	if err != nil {
		return fmt.Errorf("run: open index: %w", err)
	}
	m.Registry().MustRegister(metrics.NewPebbleCollector(idx.PebbleMetrics))
	m.RecordUp(metrics.ComponentIndex, true)
	defer idx.Close()
	store := verifier.NewIndexStore(idx)
	pv, err := proof.NewVerifier(blockFunc(store.ConsensusBlockByHash), proof.Config{Workers: *workers})
	if err != nil {
		return err
	}
	mode := verifier.ChallengeOff
	switch {
	case *challenger:
		mode = verifier.ChallengeSubmit
	case *dryRun:
		mode = verifier.ChallengeDryRun
	}
	// The GraphQL server publishes what each commit changed; the hooks run
	// on the follower's goroutine, which starts after gql is set.
	var gql *graphql.Server
	vcfg := verifier.Config{Workers: *workers, Logger: logger, Challenge: mode,
		OnCommit: func(u *verifier.BlockUpdate) {
			if gql != nil {
				gql.Publish(commitEvent(u))
			}
		},
		OnRollback: func(ancestor uint64, depth int) {
			if gql != nil {
				gql.Publish(graphql.Event{Kind: graphql.EventReorg, Number: ancestor, Depth: uint64(depth)})
			}
		}}
	follower, err := verifier.New(gctx, vcfg, verifier.Deps{
		Network: net, Source: src, Index: store, StateDir: filepath.Join(*data, "state"), Proofs: pv, Metrics: m, Submitter: src,
	})
	if err != nil {
		return fmt.Errorf("run: %w", err)
	}
	defer follower.Close()

	gql, err = graphql.New(graphql.Config{Index: idx, Logger: logger,
		Status: func() graphql.Status {
			st := follower.Status()
			gs := graphql.Status{SourceHead: st.SourceHead, Known: st.HeadKnown, Syncing: st.Syncing,
				DomainHeads: map[protocol.DomainID]uint64{}}
			if cs := follower.LatestState(); cs != nil {
				for _, id := range cs.DomainIDs() {
					ds, _ := cs.Domain(id)
					gs.DomainHeads[id] = ds.Next - 1
				}
			}
			return gs
		},
		Verify: func(ctx context.Context, p *protocol.FraudProof) error {
			return pv.Verify(ctx, follower.LatestState(), p) // within the query's time limit
		},
		Submit:              src.SubmitFraudProof,
		Observe:             m.RecordGraphQL,
		ObserveCache:        m.RecordGraphQLCache,
		ResponseCacheBytes:  cacheBytes,
		MaxWSConnsPerClient: *wsPerClient,
	})
	if err != nil {
		return fmt.Errorf("run: graphql: %w", err)
	}
	defer gql.Close()
	m.RecordUp(metrics.ComponentGraphQL, true)
	defer m.RecordUp(metrics.ComponentGraphQL, false)
	if *httpAddr != "" {
		srv, err := httpserver.New(httpserver.Config{Addr: *httpAddr, Gatherer: m.Registry(), Logger: logger,
			Ready: func() error {
				if st := follower.Status(); st.Syncing || !st.HeadKnown {
					return fmt.Errorf("catching up: block %d of %d", st.Tip, st.SourceHead)
				}
				return nil
			}})
		if err != nil {
			return err
		}
		if err := srv.Mount("/graphql", gql); err != nil {
			return err
		}
		if err := srv.Start(gctx); err != nil {
			return err
		}
		logger.Info("serving http", "addr", srv.Addr())
		defer func() {
			cctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			srv.Close(cctx)
		}()
	}
	fctx, stopFollower := context.WithCancel(gctx)
	defer stopFollower()
	g.Go(func() error {
		defer stopFollower()
		return follower.Run(fctx)
	})
	g.Go(func() error { return reportProgress(fctx, follower, *progress, *exitAtHead, stopFollower, stderr) })
	if *exitAtHead {
		// Run ends when the follower has caught up; the devnet (if any) with it.
		g.Go(func() error {
			<-fctx.Done()
			return context.Canceled
		})
	}
	err = g.Wait()
	if errors.Is(err, context.Canceled) {
		err = nil
	}
	tip, hash := follower.Tip()
	logger.Info("stopped", "block", tip, "hash", common.Hash(hash))
	return err
}

// commitEvent tells GraphQL subscribers what a commit changed.
func commitEvent(u *verifier.BlockUpdate) graphql.Event {
	ev := graphql.Event{Kind: graphql.EventCommit, Number: u.Number, Hash: u.Hash}
	seen := map[common.Hash]bool{}
	add := func(h common.Hash) {
		if !seen[h] {
			seen[h] = true
			ev.Receipts = append(ev.Receipts, h)
		}
	}
	for _, c := range u.Receipts {
		add(c.Hash)
	}
	for _, e := range u.Events {
		switch e.Kind {
		case protocol.EventReceiptConfirmed, protocol.EventReceiptPruned:
			add(e.Receipt)
		}
	}
	for _, c := range u.Challenges {
		ev.Challenges = append(ev.Challenges, c.ID)
	}
	return ev
}

// embeddedMark names the file in the data directory that says its index
// follows the embedded devnet (claimData).
const embeddedMark = "embedded-devnet"

// claimData checks that the data directory may hold the index of net, the
// network of the source, before anything in it is opened or written.
//
// A directory that recorded another network is refused: its index follows
// another chain (the spec hash commits to every domain's genesis). The
// embedded devnet keeps its chain in memory, so an index that an earlier
// process made of it follows a chain that ended with that process: the
// devnet replays the same chain from genesis in real time, unless a
// challenger's proofs changed it, and then the two never meet again. Such
// an index, marked by embeddedMark, is removed with the follower's domain
// state, and the index starts again, as a run on an empty directory does.
// An index without the mark is never removed: an embedded run refuses it.
func claimData(data string, net devnet.Network, embedded bool, logger *slog.Logger) error {
	index, mark := filepath.Join(data, "index"), filepath.Join(data, embeddedMark)
	indexed := exists(index)
	switch have, err := readNetwork(data); {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return &exitError{code: 2, err: fmt.Errorf("run: --data %s: %s: %w; use another directory", data, networkFile, err)}
	case have.Spec.Hash() != net.Spec.Hash():
		return &exitError{code: 2, err: fmt.Errorf("run: --data %s holds the index of another network than the source's; use another directory", data)}
	}
	if !embedded {
		switch err := os.Remove(mark); {
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			return fmt.Errorf("run: %w", err)
		default: // durable, as its writing is
			if err := atomicfile.SyncDir(data); err != nil {
				return fmt.Errorf("run: %w", err)
			}
		}
		return nil
	}
	switch {
	case indexed && !exists(mark):
		return &exitError{code: 2, err: fmt.Errorf("run: --data %s holds an index of a chain the embedded devnet did not make; pass its --source, or use another directory", data)}
	case indexed:
		logger.Warn("the embedded devnet's chain ended with the process that indexed it: starting the index again (--source follows a chain that outlives receiptd)",
			"data", data)
		for _, dir := range []string{index, filepath.Join(data, "state")} {
			if err := os.RemoveAll(dir); err != nil {
				return fmt.Errorf("run: %w", err)
			}
		}
	}
	// Durable: an index whose mark a power cut lost would be refused.
	err := atomicfile.Write(mark, 0o644, func(w io.Writer) error {
		_, err := io.WriteString(w, "this index follows receiptd run's embedded devnet\n")
		return err
	})
	if err != nil {
		return fmt.Errorf("run: %w", err)
	}
	return nil
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// openSource opens what --source names, or an embedded devnet.
func openSource(ctx context.Context, sources []string, shape *shapeFlags, devnetState string, logger *slog.Logger, m *metrics.Metrics) (source.Source, *devnet.Devnet, error) {
	switch {
	case len(sources) == 0:
		cfg := shape.config()
		cfg.Logger = logger.With("component", "devnet")
		cfg.StateDir = devnetState
		d, err := newDevnet(cfg)
		if err != nil {
			return nil, nil, usageError("run: %v", err)
		}
		return source.NewEmbedded(d), d, nil
	case len(sources) == 1 && strings.HasPrefix(sources[0], "file:"):
		f, err := source.OpenFile(strings.TrimPrefix(sources[0], "file:"))
		if err != nil {
			return nil, nil, &exitError{code: 2, err: err}
		}
		return f, nil, nil
	default:
		for _, s := range sources {
			if !strings.HasPrefix(s, "ws://") && !strings.HasPrefix(s, "wss://") && !strings.HasPrefix(s, "http://") && !strings.HasPrefix(s, "https://") {
				return nil, nil, usageError("run: --source %q: want ws://, http:// or a single file:PATH", s)
			}
		}
		n, err := source.DialNode(ctx, sources, source.NodeOptions{Logger: logger, OnReconnect: func(string) { m.RecordSourceReconnect() }})
		if err != nil {
			return nil, nil, err
		}
		return n, nil, nil
	}
}

// reportProgress prints a progress line while the follower catches up
// (every > 0), and ends the run at the head when asked to. The progress
// line is left out when the follower is a block behind, as it is between
// a block's arrival and its commit in a live run.
func reportProgress(ctx context.Context, f *verifier.Follower, every time.Duration, exitAtHead bool, stop func(), w io.Writer) error {
	var progress, atHead <-chan time.Time
	if every > 0 {
		t := time.NewTicker(every)
		defer t.Stop()
		progress = t.C
	}
	if exitAtHead { // checked often: a run asked to stop there should not idle at the head
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		atHead = t.C
	}
	last, lastAt := f.Status().Tip, time.Now()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-atHead:
			if st := f.Status(); st.HeadKnown && !st.Syncing {
				stop()
				return nil
			}
		case now := <-progress:
			st := f.Status()
			if !st.Syncing || st.SourceHead <= st.Tip+1 {
				last, lastAt = st.Tip, now
				continue
			}
			// Signed: a rollback moves the tip back.
			rate := (float64(st.Tip) - float64(last)) / now.Sub(lastAt).Seconds()
			eta := "?"
			if rate > 0 { // syncing: SourceHead > Tip
				eta = time.Duration(float64(st.SourceHead-st.Tip) / rate * float64(time.Second)).Round(time.Second).String()
			}
			fmt.Fprintf(w, "progress: block %d of %d, %.1f blocks/s, eta %s\n", st.Tip, st.SourceHead, rate, eta)
			last, lastAt = st.Tip, now
		}
	}
}
