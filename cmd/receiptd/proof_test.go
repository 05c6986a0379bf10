package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/receiptd/receiptd/devnet"
	"github.com/receiptd/receiptd/indexer"
	"github.com/receiptd/receiptd/metrics"
	"github.com/receiptd/receiptd/proof"
	"github.com/receiptd/receiptd/source"
	"github.com/receiptd/receiptd/verifier"
)

// A challenge receiptd made is exported as a proof file that verifies in
// a separate process with nothing but the file; a flipped byte fails.
func TestProofFileVerifiesInAnotherProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	data := t.TempDir()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	d, err := newDevnet(devnet.Config{Seed: 41, Domains: 1, ChallengePeriod: 10, TxPerBlock: 8, ForkProbability: -1, FastMode: true,
		Logger: quiet, Faults: map[devnet.OperatorRef]devnet.FaultRates{{Domain: 0, Index: 0}: {devnet.FaultTraceEntry: 0.5}}})
	if err != nil {
		t.Fatal(err)
	}
	src := source.NewEmbedded(d)
	if err := writeNetwork(data, d.Network()); err != nil {
		t.Fatal(err)
	}
	idx, err := indexer.Open(filepath.Join(data, "index"), indexer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	store := verifier.NewIndexStore(idx)
	pv, _ := proof.NewVerifier(blockFunc(store.ConsensusBlockByHash), proof.Config{})
	net := d.Network()
	f, err := verifier.New(context.Background(), verifier.Config{Logger: quiet, Challenge: verifier.ChallengeSubmit}, verifier.Deps{
		Network: &net, Source: src, Index: store, StateDir: filepath.Join(data, "state"), Proofs: pv,
		Metrics: metrics.NoopMetrics{}, Submitter: src,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.Run(ctx) }()
	var id string
	for i := 0; i < 200 && id == ""; i++ {
		if _, err := d.Step(context.Background()); err != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
		r, err := idx.Reader()
		if err != nil {
			t.Fatal(err)
		}
		page, err := r.Challenges(indexer.ChallengeQuery{Status: indexer.ChallengeAccepted, PageArgs: indexer.PageArgs{First: 1}})
		r.Close()
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Items) > 0 {
			id = page.Items[0].ID.Hex()
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	f.Close()
	idx.Close()
	if id == "" {
		t.Fatal("no challenge accepted")
	}

	bin := buildBinary(t)
	file := filepath.Join(t.TempDir(), "proof.bin")
	if out, err := exec.Command(bin, "proof", "export", "--data", data, "--id", id, "--out", file).CombinedOutput(); err != nil {
		t.Fatalf("export: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "proof", "verify", file).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "valid: InvalidStateTransition") || !strings.Contains(string(out), "check ") {
		t.Fatalf("verify: %v\n%s", err, out)
	}
	// The file's chain spec checked against the network the run followed,
	// and against another one.
	if out, err := exec.Command(bin, "proof", "verify", "--data", data, file).CombinedOutput(); err != nil || strings.Contains(string(out), "check ") {
		t.Fatalf("verify --data: %v\n%s", err, out)
	}
	other := "0x" + strings.Repeat("ab", 32)
	if out, err := exec.Command(bin, "proof", "verify", "--spec", other, file).CombinedOutput(); err == nil || !strings.Contains(string(out), "not "+other) {
		t.Fatalf("verify --spec of another network: %v\n%s", err, out)
	}
	if out, err := exec.Command(bin, "proof", "show", file).CombinedOutput(); err != nil || !strings.Contains(string(out), "phase") {
		t.Fatalf("show: %v\n%s", err, out)
	}
	b, _ := os.ReadFile(file)
	for _, pos := range []int{9, len(b) / 3, len(b) / 2, len(b) - 5} {
		bad := append([]byte(nil), b...)
		bad[pos] ^= 0x01
		flipped := filepath.Join(t.TempDir(), "flipped.bin")
		os.WriteFile(flipped, bad, 0o644)
		out, err := exec.Command(bin, "proof", "verify", flipped).CombinedOutput()
		if err == nil {
			t.Errorf("byte %d flipped: verify passed\n%s", pos, out)
		} else if !strings.Contains(string(out), "receiptd:") {
			t.Errorf("byte %d flipped: no reason given\n%s", pos, out)
		}
	}
}

// A proof's id or a spec hash is taken only as exactly 32 bytes of hex:
// anything else is refused with status 2 rather than padded, cut or
// zeroed into another hash that then "is not found".
func TestProofExportRefusesMalformedIDs(t *testing.T) {
	const good = "0x6e2f7a1e4d3c2b1a09f8e7d6c5b4a392817f6e5d4c3b2a190817263544536271"
	for _, tc := range []struct {
		id string
		ok bool
	}{
		{good, true},
		{strings.TrimPrefix(good, "0x"), true},
		{strings.ToUpper(good[2:]), true},
		{"", false},
		{"0xzz", false},
		{"abc", false},
		{good[:len(good)-1], false},         // a digit short
		{good + "00", false},                // a byte long
		{"Q2hhbGxlbmdlOjB4NmUyZjdh", false}, // a GraphQL global id
	} {
		h, err := parseHash(tc.id)
		if ok := err == nil; ok != tc.ok {
			t.Errorf("parseHash(%q) = %v, %v; want ok %v", tc.id, h, err, tc.ok)
		}
		if tc.ok && h.Hex() != good {
			t.Errorf("parseHash(%q) = %v, want %s", tc.id, h, good)
		}
	}
	err := runProofExport([]string{"--data", t.TempDir(), "--id", "abc", "--out", filepath.Join(t.TempDir(), "p")}, io.Discard, io.Discard)
	if code := exitCode(err, io.Discard); code != 2 || !strings.Contains(err.Error(), "proofHash") {
		t.Fatalf("export --id abc: status %d, %v", code, err)
	}
}

// A proof file whose own chain spec allows a transaction hours of gas is
// given up on at --timeout, with exit status 1 and a message that says so;
// the same loop under a real gas limit verifies.
func TestProofVerifyTimeout(t *testing.T) {
	var out, errs strings.Builder
	err := runProofVerify(context.Background(), []string{"--timeout", "300ms", "../../proof/testdata/loop-gas-2e62.proof"}, &out, &errs)
	if code := exitCode(err, io.Discard); code != 1 || !strings.Contains(err.Error(), "ran past --timeout 300ms") {
		t.Fatalf("2^62 gas: status %d, %v", code, err)
	}
	err = runProofVerify(context.Background(), []string{"../../proof/testdata/loop-gas-30m.proof"}, &out, &errs)
	if err != nil || !strings.HasPrefix(out.String(), "valid:") {
		t.Fatalf("30M gas: %v, %q", err, out.String())
	}
	if err := runProofVerify(context.Background(), []string{"--timeout", "0s", "x"}, &out, &errs); exitCode(err, io.Discard) != 2 {
		t.Fatalf("--timeout 0: %v", err)
	}
	// Interrupted (Ctrl-C) is no verdict on the proof: status 2.
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	err = runProofVerify(ctx, []string{"../../proof/testdata/loop-gas-2e62.proof"}, &out, &errs)
	if code := exitCode(err, io.Discard); code != 2 || !strings.Contains(err.Error(), "interrupted") {
		t.Fatalf("interrupted: status %d, %v", code, err)
	}
	if took := time.Since(start); took > 30*time.Second { // --timeout's default is a minute
		t.Fatalf("the interrupt took %v to end the check", took)
	}
}
