package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"syscall"
	"time"

	"github.com/receiptd/receiptd/indexer"
)

func gomaxprocs() int { return runtime.GOMAXPROCS(0) }

// defaultGeth is geth on PATH, else ~/go/bin/geth.
func defaultGeth() string {
	if p, err := exec.LookPath("geth"); err == nil {
		return p
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, "go", "bin", "geth")
}

// gethBench compares geth's GraphQL with receiptd's on the same domain
// chain: a devnet export, imported into geth and indexed by receiptd.
func gethBench(ctx context.Context, drv driver, geth string, blocks int, log io.Writer) error {
	if _, err := os.Stat(geth); err != nil {
		return fmt.Errorf("geth: %w (install v1.17.0, or pass -geth \"\")", err)
	}
	work, err := os.MkdirTemp(drv.dir, "geth-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	bin := filepath.Join(work, "receiptd")
	step := func(what string, name string, args ...string) error {
		start := time.Now()
		out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
		if err != nil {
			return fmt.Errorf("%s: %v\n%s", what, err, tail(string(out), 20))
		}
		fmt.Fprintf(log, "%s: %s\n", what, time.Since(start).Round(time.Millisecond))
		return nil
	}
	export, data, gethDir := filepath.Join(work, "export"), filepath.Join(work, "data"), filepath.Join(work, "geth")
	dom := filepath.Join(export, "domain-1")
	if err := step("go build receiptd", "go", "build", "-o", bin, "github.com/receiptd/receiptd/cmd/receiptd"); err != nil {
		return err
	}
	if err := step(fmt.Sprintf("receiptd devnet export --blocks %d", blocks), bin, "devnet", "export", "--blocks", strconv.Itoa(blocks), "--out", export); err != nil {
		return err
	}
	if err := step("receiptd run --source file: (index the export)", bin, "run", "--source", "file:"+filepath.Join(export, "consensus.chain"),
		"--data", data, "--exit-at-head", "--http", "", "--progress", "0", "--log-level", "warn"); err != nil {
		return err
	}
	if err := step("geth init", geth, "--datadir", gethDir, "init", filepath.Join(dom, "genesis.json")); err != nil {
		return err
	}
	if err := step("geth import", geth, "--datadir", gethDir, "import", filepath.Join(dom, "chain.rlp")); err != nil {
		return err
	}
	gethURL, stopGeth, err := startGeth(ctx, geth, gethDir, work)
	if err != nil {
		return err
	}
	defer stopGeth()

	ix, err := indexer.Open(filepath.Join(data, "index"), indexer.Options{})
	if err != nil {
		return err
	}
	defer ix.Close()
	// Without the response cache: geth has none, and the comparison is of
	// executing the query.
	url, stop, err := serve(ix, false)
	if err != nil {
		return err
	}
	defer stop()

	// The busiest of domain 1's newest 100 blocks that one page of
	// receiptd's transactions (at most 100) holds.
	var list struct {
		DomainBlocks struct {
			Nodes []struct {
				Number           string
				TransactionCount int
			}
		}
	}
	if err := post(ctx, url, body(`{ domainBlocks(domain: 1, last: 100) { nodes { number transactionCount } } }`), &list); err != nil {
		return err
	}
	if len(list.DomainBlocks.Nodes) == 0 {
		return errors.New("receiptd indexed no block of domain 1")
	}
	var n uint64
	most := -1
	for _, b := range list.DomainBlocks.Nodes {
		if b.TransactionCount > most && b.TransactionCount <= 100 {
			if n, err = strconv.ParseUint(b.Number, 0, 64); err != nil {
				return err
			}
			most = b.TransactionCount
		}
	}
	gethQ := body(fmt.Sprintf(`{ block(number: %d) { hash transactions { hash } } }`, n))
	ourQ := body(fmt.Sprintf(`{ domainBlock(domain: 1, number: %d) { hash transactions(first: 100) { nodes { hash } } } }`, n))
	var g struct {
		Block struct {
			Hash         string
			Transactions []struct{ Hash string }
		}
	}
	var o struct {
		DomainBlock struct {
			Hash         string
			Transactions struct{ Nodes []struct{ Hash string } }
		}
	}
	if err := post(ctx, gethURL, gethQ, &g); err != nil {
		return fmt.Errorf("geth: %w", err)
	}
	if err := post(ctx, url, ourQ, &o); err != nil {
		return fmt.Errorf("receiptd: %w", err)
	}
	if g.Block.Hash != o.DomainBlock.Hash || !slices.Equal(g.Block.Transactions, o.DomainBlock.Transactions.Nodes) {
		return fmt.Errorf("block %d: geth answers %s with %d txs, receiptd %s with %d", n, g.Block.Hash, len(g.Block.Transactions),
			o.DomainBlock.Hash, len(o.DomainBlock.Transactions.Nodes))
	}
	fmt.Fprintf(log, "domain 1 block %d %s: geth and receiptd answer the same hash and %d transaction hashes\n", n, g.Block.Hash, len(g.Block.Transactions))

	gr, err := drv.run(ctx, "geth block(number){hash txs{hash}}", gethURL, []map[string]any{gethQ})
	if err != nil {
		return fmt.Errorf("geth: %w", err)
	}
	fmt.Fprintln(log, gr)
	or, err := drv.run(ctx, "receiptd domainBlock, same block", url, []map[string]any{ourQ})
	if err != nil {
		return fmt.Errorf("receiptd: %w", err)
	}
	fmt.Fprintln(log, or)
	// The same answer without resolving each transaction: the block's
	// list of hashes (what an explorer's block page needs).
	hashesQ := body(fmt.Sprintf(`{ domainBlock(domain: 1, number: %d) { hash transactionHashes } }`, n))
	hr, err := drv.run(ctx, "receiptd transactionHashes, same block", url, []map[string]any{hashesQ})
	if err != nil {
		return fmt.Errorf("receiptd: %w", err)
	}
	fmt.Fprintln(log, hr)
	fmt.Fprintf(log, "\nreceiptd transactionHashes / geth requests/s: %.2fx\n", hr.rps/gr.rps)
	ratio := or.rps / gr.rps
	verdict := "yes"
	if ratio < 2 || or.bad > 0 {
		verdict = "NO"
	}
	fmt.Fprintf(log, "receiptd transactions{hash} / geth requests/s on the same block: %.2fx (target at least 2x: %s)\n", ratio, verdict)
	return nil
}

// startGeth serves the imported chain over HTTP with GraphQL on free
// loopback ports, without peers, and waits until GraphQL answers.
func startGeth(ctx context.Context, geth, datadir, work string) (url string, stop func(), err error) {
	httpPort, err := freePort()
	if err != nil {
		return "", nil, err
	}
	authPort, err := freePort()
	if err != nil {
		return "", nil, err
	}
	logf, err := os.Create(filepath.Join(work, "geth.log"))
	if err != nil {
		return "", nil, err
	}
	cmd := exec.Command(geth, "--datadir", datadir, "--http", "--http.addr", "127.0.0.1", "--http.port", strconv.Itoa(httpPort),
		"--graphql", "--authrpc.addr", "127.0.0.1", "--authrpc.port", strconv.Itoa(authPort), "--port", "0", "--nodiscover",
		"--maxpeers", "0", "--ipcdisable", "--nat", "none")
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return "", nil, err
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); logf.Close(); close(done) }()
	stop = func() {
		cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	}
	url = fmt.Sprintf("http://127.0.0.1:%d/graphql", httpPort)
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		var res struct{ Block struct{ Number any } }
		if err := post(ctx, url, body(`{ block { number } }`), &res); err == nil {
			return url, stop, nil
		}
		select {
		case <-done:
			b, _ := os.ReadFile(filepath.Join(work, "geth.log"))
			return "", nil, fmt.Errorf("geth exited:\n%s", tail(string(b), 20))
		case <-time.After(200 * time.Millisecond):
		}
	}
	stop()
	return "", nil, errors.New("geth's GraphQL did not answer within 30 s")
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func tail(s string, lines int) string {
	var out []string
	for _, l := range slices.Backward(splitLines(s)) {
		if len(out) == lines {
			break
		}
		out = append(out, l)
	}
	slices.Reverse(out)
	return joinLines(out)
}
