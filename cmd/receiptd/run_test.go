package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/receiptd/receiptd/devnet"
	"github.com/receiptd/receiptd/indexer"
)

// buildBinary builds receiptd once per test process.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "receiptd")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func exportChain(t *testing.T, blocks int) string {
	t.Helper()
	dir := t.TempDir()
	cfg := devnet.Config{Seed: 9, ChallengePeriod: 6, MaxReorgDepth: 2, TxPerBlock: 20, ForkProbability: 0.2,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if _, err := devnet.Export(context.Background(), cfg, blocks, dir); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, devnet.ChainFileName)
}

func indexDigest(t *testing.T, data string) [32]byte {
	t.Helper()
	idx, err := indexer.Open(filepath.Join(data, "index"), indexer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	d, err := idx.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func runArgs(chain, data string) []string {
	return []string{"run", "--source", "file:" + chain, "--data", data, "--http", "", "--exit-at-head"}
}

// Kill -9 at random points, restart, and the index is exactly what an
// uninterrupted run gives; no restart finds a flushed state that the
// index names missing (which it would survive, at the cost of executing
// the domain again from an older state).
func TestCrashRestartGivesTheSameIndex(t *testing.T) {
	const lostFlush = "flushed domain state missing"
	if testing.Short() {
		t.Skip("builds the binary and runs it many times")
	}
	bin := buildBinary(t)
	chain := exportChain(t, 240)

	clean := filepath.Join(t.TempDir(), "clean")
	start := time.Now()
	if out, err := exec.Command(bin, runArgs(chain, clean)...).CombinedOutput(); err != nil {
		t.Fatalf("clean run: %v\n%s", err, out)
	}
	full := time.Since(start)
	want := indexDigest(t, clean)

	crashed := filepath.Join(t.TempDir(), "crashed")
	rng := rand.New(rand.NewPCG(1, 2))
	kills := 0
	progressAt := map[uint64]bool{} // where the kills left the index
	last := uint64(0)
	for attempt := 0; kills < 12 && attempt < 40; attempt++ {
		// The child reports its progress every 100ms; it is killed as soon
		// as it passes a random block ahead of where the last kill left
		// it, so the kills land all along the chain whatever the load.
		target := last + 2 + rng.Uint64N(12)
		args := append(runArgs(chain, crashed), "--progress", "100ms")
		cmd := exec.Command(bin, args...)
		stderr, err := cmd.StderrPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		killed := false
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if strings.Contains(sc.Text(), lostFlush) { // a kill lost what a synced commit named
				t.Errorf("run %d: %s", attempt, sc.Text())
			}
			var n, of uint64
			if _, err := fmt.Sscanf(sc.Text(), "progress: block %d of %d", &n, &of); err == nil && n >= target && !killed {
				cmd.Process.Signal(syscall.SIGKILL)
				killed = true
			}
		}
		err = cmd.Wait()
		if killed {
			kills++
		} else if err != nil {
			t.Fatalf("run %d failed before the kill: %v", attempt, err)
		}
		p, _ := progressOf(t, crashed)
		progressAt[p] = true
		last = p
		if !killed {
			break // it reached the head first
		}
	}
	if kills < 10 || len(progressAt) < 5 {
		t.Fatalf("%d kills landed, leaving the index at %d different blocks: %v", kills, len(progressAt), progressAt)
	}
	out, err := exec.Command(bin, runArgs(chain, crashed)...).CombinedOutput()
	if err != nil || strings.Contains(string(out), lostFlush) {
		t.Fatalf("final run: %v\n%s", err, out)
	}
	if got := indexDigest(t, crashed); got != want {
		t.Fatalf("index after %d kills differs from a clean run's", kills)
	}
	t.Logf("%d kills at blocks %v, clean run %v", kills, progressAt, full.Round(time.Millisecond))
}

func progressOf(t *testing.T, data string) (uint64, bool) {
	idx, err := indexer.Open(filepath.Join(data, "index"), indexer.Options{})
	if err != nil {
		return 0, false // killed before the index was created
	}
	defer idx.Close()
	p, ok, err := idx.Progress()
	if err != nil {
		t.Fatal(err)
	}
	return p.Number, ok
}

// A second receiptd on the same data directory fails at once with a clear
// message, and the first keeps running.
func TestSecondRunOnTheSameDataDirFails(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildBinary(t)
	data := t.TempDir()
	first := exec.Command(bin, "run", "--data", data, "--http", "", "--fast", "--progress", "0")
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { first.Process.Signal(syscall.SIGINT); first.Wait() }()
	for i := 0; i < 100; i++ {
		if b, _ := os.ReadFile(filepath.Join(data, "LOCK")); len(b) > 0 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	start := time.Now()
	out, err := exec.Command(bin, "run", "--data", data, "--http", "", "--fast").CombinedOutput()
	if err == nil {
		t.Fatal("second run on the same data directory succeeded")
	}
	if !strings.Contains(string(out), "is in use by another receiptd") {
		t.Fatalf("unclear message:\n%s", out)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("second run took %v to fail", d)
	}
	if first.ProcessState != nil {
		t.Fatal("the first run stopped")
	}
}

// Settings come from the command line, then RECEIPTD_* variables, then the
// config file, then the defaults.
func TestConfigPrecedence(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "receiptd.conf")
	os.WriteFile(file, []byte("# receiptd settings\nhttp = 127.0.0.1:1111\nlog-level = warn\nworkers = 3\n"), 0o644)
	t.Setenv("RECEIPTD_HTTP", "127.0.0.1:2222")
	t.Setenv("RECEIPTD_WORKERS", "5")
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.String("config", "", "")
	httpAddr := fs.String("http", "127.0.0.1:8080", "")
	level := fs.String("log-level", "info", "")
	workers := fs.Int("workers", 0, "")
	data := fs.String("data", "default", "")
	if err := parseFlags(fs, []string{"--config", file, "--workers", "7"}); err != nil {
		t.Fatal(err)
	}
	if *httpAddr != "127.0.0.1:2222" || *level != "warn" || *workers != 7 || *data != "default" {
		t.Fatalf("http %s level %s workers %d data %s", *httpAddr, *level, *workers, *data)
	}
	// A repeatable flag: the command line's values replace the
	// environment's, which replace the file's; within one they add up.
	os.WriteFile(file, []byte("source = ws://file:1\n"), 0o644)
	t.Setenv("RECEIPTD_SOURCE", "ws://env:1")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--config", file}, "ws://env:1"},
		{[]string{"--config", file, "--source", "ws://a:1", "--source", "ws://b:1"}, "ws://a:1,ws://b:1"},
	} {
		var sources sourceList
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		fs.String("config", "", "")
		fs.Var(&sources, "source", "")
		if err := parseFlags(fs, tc.args); err != nil {
			t.Fatal(err)
		}
		if got := sources.String(); got != tc.want {
			t.Errorf("%v: sources %q, want %q", tc.args, got, tc.want)
		}
	}
	// A variable that names no setting is ignored, with a warning.
	t.Setenv("RECEIPTD_WORKRS", "9")
	var warned strings.Builder
	fs3 := flag.NewFlagSet("run", flag.ContinueOnError)
	fs3.SetOutput(&warned)
	workers3 := fs3.Int("workers", 0, "")
	if err := parseFlags(fs3, nil); err != nil || *workers3 != 5 || !strings.Contains(warned.String(), "RECEIPTD_WORKRS is not a setting of receiptd run") {
		t.Fatalf("misspelled variable: %v, workers %d, output %q", err, *workers3, warned.String())
	}
	if strings.Contains(warned.String(), "RECEIPTD_WORKERS ") {
		t.Fatalf("a warning for a variable that is a setting: %q", warned.String())
	}
	os.WriteFile(file, []byte("bogus = 1\nworkers = many\n"), 0o644)
	fs2 := flag.NewFlagSet("t", flag.ContinueOnError)
	fs2.String("config", "", "")
	fs2.Int("workers", 0, "")
	t.Setenv("RECEIPTD_WORKERS", "x")
	err := parseFlags(fs2, []string{"--config", file})
	if err == nil || !strings.Contains(err.Error(), `unknown setting "bogus"`) || !strings.Contains(err.Error(), ":2: workers") || !strings.Contains(err.Error(), "RECEIPTD_WORKERS") {
		t.Fatalf("want every problem reported at once, got %v", err)
	}
}

// Bad settings stop `receiptd run` before it opens anything, with a usage
// error (exit status 2) that names the setting.
func TestRunRefusesBadSettings(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"negative cache", []string{"--graphql-cache-mb", "-1"}, "--graphql-cache-mb -1"},
		{"huge cache", []string{"--graphql-cache-mb", "2000000"}, "--graphql-cache-mb 2000000"},
		{"no WebSocket connections", []string{"--graphql-ws-per-client", "0"}, "--graphql-ws-per-client 0"},
		{"log level", []string{"--log-level", "loud"}, "--log-level"},
		{"argument", []string{"extra"}, `unexpected argument "extra"`},
		{"two challenge modes", []string{"--challenger", "--challenge-dry-run"}, "exclude each other"},
		{"negative progress", []string{"--progress", "-1s"}, "--progress -1s is negative"},
		{"negative workers", []string{"--workers", "-3"}, "--workers -3 is negative"},
		{"no domains (not the default)", []string{"--domains", "0"}, "--domains 0: want 1 or more"},
		{"seed 0 (not the default)", []string{"--seed", "0"}, "--seed 0: want a nonzero seed"},
		{"exit at the embedded devnet's head", []string{"--exit-at-head"}, "--exit-at-head stops at a --source's head"},
		{"no challenge period", []string{"--challenge-period", "0"}, "--challenge-period 0: want 1 or more"},
		{"negative block time", []string{"--block-time", "-1s"}, "block time -1s is negative"},
		{"negative fork probability", []string{"--fork-probability", "-0.5"}, "--fork-probability -0.5"},
		{"operators, without follow-on fault errors", []string{"--operators", "-1"}, "operators per domain -1"},
		// Every problem at once, not the first alone.
		{"all at once", []string{"--log-level", "loud", "--workers", "-3", "--domains", "65", "--fork-probability", "2"},
			"--log-level \"loud\": want debug, info, warn or error\n--workers -3 is negative\ndevnet: invalid config: domains 65: want 1 to 64\nfork probability 2: want below 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := t.TempDir()
			var stderr strings.Builder
			// A setting let through would run until the context ends.
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			err := run(ctx, append([]string{"run", "--data", data, "--http", ""}, tc.args...), io.Discard, &stderr)
			if code := exitCode(err, &stderr); code != 2 || !strings.Contains(stderr.String(), tc.want) {
				t.Fatalf("exit %d, stderr %q; want 2 and %q", code, stderr.String(), tc.want)
			}
			if strings.Contains(stderr.String(), "faults name") {
				t.Fatalf("follow-on errors: %s", stderr.String())
			}
			if entries, _ := os.ReadDir(data); len(entries) != 0 {
				t.Fatalf("the data directory was written: %v", entries)
			}
		})
	}
}

// A data directory holds the index of one network. An embedded devnet's
// index is started again by the next embedded run, since its chain ended
// with the process that made it; any other index is never touched.
func TestClaimData(t *testing.T) {
	network := func(domains int) devnet.Network {
		d, err := devnet.New(devnet.Config{Domains: domains})
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		return d.Network()
	}
	one, two := network(1), network(2)
	for _, tc := range []struct {
		name      string
		recorded  *devnet.Network // the network file in the directory; nil: none
		corrupt   bool            // the network file does not decode
		marked    bool            // an embedded run made the index
		embedded  bool            // this run's source
		code      int             // exit status of the refusal; 0: accepted
		restarted bool            // index/ and state/ removed
	}{
		{name: "a node or file source's index", recorded: &one},
		{name: "the embedded devnet's index, now a node", recorded: &one, marked: true},
		{name: "the embedded devnet's index, again", recorded: &one, marked: true, embedded: true, restarted: true},
		{name: "a node's index, now the embedded devnet", recorded: &one, embedded: true, code: 2},
		{name: "an index with no network file, embedded", embedded: true, code: 2},
		{name: "another network", recorded: &two, code: 2},
		{name: "another network, embedded", recorded: &two, marked: true, embedded: true, code: 2},
		{name: "a corrupt network file", corrupt: true, marked: true, embedded: true, code: 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := t.TempDir()
			for _, dir := range []string{"index", "state"} {
				if err := os.MkdirAll(filepath.Join(data, dir, "x"), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			if tc.recorded != nil {
				if err := writeNetwork(data, *tc.recorded); err != nil {
					t.Fatal(err)
				}
			}
			if tc.corrupt {
				os.WriteFile(filepath.Join(data, networkFile), []byte("not a chain file"), 0o644)
			}
			if tc.marked {
				os.WriteFile(filepath.Join(data, embeddedMark), nil, 0o644)
			}
			var stderr strings.Builder
			err := claimData(data, one, tc.embedded, slog.New(slog.NewTextHandler(io.Discard, nil)))
			if code := exitCode(err, &stderr); code != tc.code {
				t.Fatalf("exit status %d (%v), want %d", code, err, tc.code)
			}
			for _, dir := range []string{"index", "state"} {
				_, err := os.Stat(filepath.Join(data, dir, "x"))
				if gone := errors.Is(err, os.ErrNotExist); gone != tc.restarted {
					t.Errorf("%s removed: %v, want %v", dir, gone, tc.restarted)
				}
			}
			if _, err := os.Stat(filepath.Join(data, embeddedMark)); tc.code == 0 && (err == nil) != tc.embedded {
				t.Errorf("marked as the embedded devnet's: %v, want %v", err == nil, tc.embedded)
			}
		})
	}
}

// The refusal comes before receiptd run writes anything: the directory
// still names the network its index follows.
func TestRunRefusesAnotherNetworksData(t *testing.T) {
	if testing.Short() {
		t.Skip("exports a chain")
	}
	chain := exportChain(t, 3)
	data := t.TempDir()
	d, err := devnet.New(devnet.Config{Domains: 1})
	if err != nil {
		t.Fatal(err)
	}
	other := d.Network()
	d.Close()
	if err := writeNetwork(data, other); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(filepath.Join(data, networkFile))
	var stderr strings.Builder
	err = run(context.Background(), runArgs(chain, data), io.Discard, &stderr)
	if code := exitCode(err, &stderr); code != 2 || !strings.Contains(stderr.String(), "another network") {
		t.Fatalf("exit %d, stderr %q; want 2 and another network", code, stderr.String())
	}
	if after, _ := os.ReadFile(filepath.Join(data, networkFile)); !bytes.Equal(before, after) {
		t.Fatal("the refused run rewrote the network file")
	}
	if _, err := os.Stat(filepath.Join(data, "index")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the refused run opened an index: %v", err)
	}
}

// A refused embedded run stops its devnet's goroutine before it returns
// (and before it closes the devnet under it).
func TestRefusedEmbeddedRunStopsItsDevnet(t *testing.T) {
	data := t.TempDir()
	if err := os.MkdirAll(filepath.Join(data, "index"), 0o755); err != nil { // unmarked: not the devnet's
		t.Fatal(err)
	}
	var stderr strings.Builder
	err := run(context.Background(), []string{"run", "--data", data, "--http", "", "--fast"}, io.Discard, &stderr)
	if code := exitCode(err, &stderr); code != 2 || !strings.Contains(stderr.String(), "did not make") {
		t.Fatalf("exit %d, stderr %q; want 2 and an index the devnet did not make", code, stderr.String())
	}
	buf := make([]byte, 1<<20)
	if stacks := string(buf[:runtime.Stack(buf, true)]); strings.Contains(stacks, "devnet.(*Devnet).Run(") {
		t.Fatalf("the devnet still runs after receiptd run returned:\n%s", stacks)
	}
}
