package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/receiptd/receiptd/devnet"
)

// TestDevnetExportThenAudit exports a devnet run and audits each domain
// chain with the audit command: every block valid, the head the export
// names.
func TestDevnetExportThenAudit(t *testing.T) {
	dir := t.TempDir()
	var stdout, stderr bytes.Buffer
	args := []string{"devnet", "export", "--seed", "3", "--blocks", "8", "--domains", "1", "--operators", "2",
		"--tx-per-block", "6", "--fork-probability", "0.3", "--out", dir}
	if err := run(context.Background(), args, &stdout, &stderr); err != nil {
		t.Fatalf("export: %v\n%s", err, stderr.String())
	}
	var sum devnet.ExportSummary
	if err := json.Unmarshal(stdout.Bytes(), &sum); err != nil {
		t.Fatalf("summary %q: %v", stdout.String(), err)
	}
	if sum.Head.Number != 8 || sum.Seed != 3 || len(sum.Domains) != 1 || sum.Domains[0].Number == 0 {
		t.Fatalf("summary %+v", sum)
	}
	dom := filepath.Join(dir, devnet.DomainDir(1))
	stdout.Reset()
	err := run(context.Background(), []string{"audit", "--progress", "0", "--genesis", filepath.Join(dom, devnet.GenesisFileName),
		filepath.Join(dom, devnet.DomainChainName)}, &stdout, &stderr)
	if err != nil {
		t.Fatalf("audit: %v\n%s", err, stdout.String())
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	var last struct {
		HeadHash string `json:"head_hash"`
		Valid    uint64 `json:"valid"`
		Invalid  int    `json:"invalid"`
	}
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &last); err != nil {
		t.Fatal(err)
	}
	if last.Invalid != 0 || last.Valid != sum.Domains[0].Number || last.HeadHash != sum.Domains[0].Hash.Hex() {
		t.Fatalf("audit summary %+v, export %+v", last, sum.Domains[0])
	}
}

func TestDevnetBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"devnet", "export", "--blocks", "3"},
		{"devnet", "export", "--out", t.TempDir()},
		{"devnet", "export", "--blocks", "3", "--out", t.TempDir(), "--domains", "0", "--max-reorg-depth", "99"},
		{"devnet", "--listen", "127.0.0.1:0", "extra"},
		{"devnet", "--operators", "-1"},
		{"devnet", "--no-such-flag"},
	} {
		var stdout, stderr bytes.Buffer
		err := run(context.Background(), args, &stdout, &stderr)
		var ee *exitError
		if !errors.As(err, &ee) || ee.code != 2 {
			t.Errorf("%v: %v, want a usage error", args, err)
		}
	}
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"devnet", "--help"}, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	for _, flag := range []string{"-listen", "-seed", "-block-time", "-fast", "-domains", "-operators", "-no-faults",
		"-fork-probability", "-max-reorg-depth", "-challenge-period", "-tx-per-block", `(default "127.0.0.1:8545")`} {
		if !strings.Contains(stderr.String(), flag) {
			t.Errorf("--help lacks %s", flag)
		}
	}
}

// TestDevnetServes runs the node command on a free port, follows it with
// the client until it has produced blocks, then stops it as SIGINT would.
func TestDevnetServes(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	stderr := &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"devnet", "--listen", "127.0.0.1:0", "--block-time", "20ms", "--domains", "1",
			"--tx-per-block", "4"}, &bytes.Buffer{}, stderr)
	}()
	addr := regexp.MustCompile(`devnet node listening" addr=(127\.0\.0\.1:\d+)`)
	var url string
	for url == "" {
		if m := addr.FindStringSubmatch(stderr.String()); m != nil {
			url = "ws://" + m[1]
			break
		}
		select {
		case err := <-done:
			t.Fatalf("devnet exited: %v\n%s", err, stderr.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	c, err := devnet.Dial(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	events, sub, err := c.SubscribeHeads(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	for range 3 {
		select {
		case <-events:
		case err := <-sub.Err():
			t.Fatal(err)
		}
	}
	head, err := c.Head(ctx)
	if err != nil || head.Header.Number < 3 {
		t.Fatalf("head %v, %v", head, err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("devnet after interrupt: %v", err)
	}
	if !strings.Contains(stderr.String(), "devnet node stopped") {
		t.Errorf("no stop line in the log:\n%s", stderr.String())
	}
}

// syncBuffer is a bytes.Buffer safe for one writer and one reader.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
