// Command receiptd follows a decoupled-execution consensus chain, re-executes
// every domain block, checks every execution receipt and proves bad ones wrong.
//
// main only parses nothing and calls run; every subcommand lives in its own
// file as a func(ctx, args, stdout, stderr) error so that tests drive the
// binary's real code paths without a child process. It must not hold logic a
// service package could own.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"sort"
	"syscall"
)

// exitError carries a process exit status through run. Subcommands return it
// when the status itself is the answer (audit: 1 means "some block is bad").
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// usageError marks bad command-line input: exit status 2, usage printed.
func usageError(format string, args ...any) error {
	return &exitError{code: 2, err: fmt.Errorf(format, args...)}
}

type command struct {
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

func commands() map[string]command {
	return map[string]command{
		"audit":   {"re-execute a geth-format chain and report which blocks are valid", runAudit},
		"bench":   {"measure verified tx/s against bare go-ethereum, detection latency and memory", runBench},
		"devnet":  {"serve a devnet node over JSON-RPC, or export a devnet run (devnet export)", runDevnet},
		"proof":   {"export a proof file from the index, verify one offline, or show it", runProof},
		"run":     {"follow a chain, verify every domain block and receipt, index it all", runRun},
		"version": {"print the version", runVersion},
	}
}

// gcPercent is receiptd's GOGC when the environment sets neither GOGC nor
// GOMEMLIMIT. Catching up, the follower allocates about 150 MB/s over a
// live heap of 30-150 MB; at Go's default of 100 the collector takes about
// 7% of the CPU, at 200 about half of that, for a larger heap (measured
// with `receiptd bench`: two domains 1.41 of bare instead of 1.29, peak
// RSS 966 MiB instead of 774). Set GOGC=100 to trade that CPU back for
// memory.
const gcPercent = 200

func main() {
	if os.Getenv("GOGC") == "" && os.Getenv("GOMEMLIMIT") == "" {
		debug.SetGCPercent(gcPercent)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(exitCode(err, os.Stderr))
}

// exitCode reports err on stderr and maps it to the process exit status.
func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return 0
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil && ee.err.Error() != "" {
			fmt.Fprintln(stderr, "receiptd:", ee.err)
		}
		return ee.code
	}
	fmt.Fprintln(stderr, "receiptd:", err)
	return 1
}

// run is the whole program: it dispatches to the subcommand named by args[0].
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cmds := commands()
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		printUsage(stdout, cmds)
		if len(args) == 0 {
			return &exitError{code: 2, err: errors.New("no command given")}
		}
		return nil
	}
	cmd, ok := cmds[args[0]]
	if !ok {
		printUsage(stderr, cmds)
		return usageError("unknown command %q", args[0])
	}
	return cmd.run(ctx, args[1:], stdout, stderr)
}

func printUsage(w io.Writer, cmds map[string]command) {
	fmt.Fprintln(w, "Usage: receiptd <command> [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	names := make([]string, 0, len(cmds))
	for name := range cmds {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		fmt.Fprintf(w, "  %-10s %s\n", name, cmds[name].summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'receiptd <command> --help' for the flags of a command.")
}
