package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The README's first command and its tour, run as written (with the
// binary for `go run ./cmd/receiptd`, a temporary data directory and a
// free port), deliver what the README promises: a verifying receiptd with
// metrics, readiness and GraphQL; a challenger whose proofs are accepted;
// a proof file that verifies offline.
func TestReadmeQuickStart(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	first := regexp.MustCompile("(?s)```sh\n(.*?)\n(.*?)\n```").FindSubmatch(readme)
	if first == nil {
		t.Fatal("README does not start with a sh block")
	}
	runLine, testLine := string(first[1]), string(first[2])
	if !strings.HasPrefix(runLine, "go run ./cmd/receiptd run ") || testLine != "make test" {
		t.Fatalf("README's first commands changed: %q, %q", runLine, testLine)
	}
	bin := buildBinary(t)
	args := strings.Fields(strings.TrimPrefix(runLine, "go run ./cmd/receiptd "))
	data := t.TempDir()
	for i, a := range args {
		if a == "--data" {
			args[i+1] = data
		}
	}
	addr := freeAddr(t)
	run := start(t, bin, append(args, "--http", addr)...)
	waitFor(t, 90*time.Second, "ready", func() bool { return get(addr+"/readyz") == 200 })
	body := getBody(t, addr+"/metrics")
	if !strings.Contains(body, "receiptd_receipts_total") {
		t.Fatal("metrics lack receiptd_receipts_total")
	}
	for _, series := range []string{`receiptd_up{component="follower"}`, `receiptd_up{component="index"}`, `receiptd_up{component="graphql"}`} {
		if v := metricValue(t, body, series); v != 1 {
			t.Errorf("%s = %v, want 1", series, v)
		}
	}
	if v := metricValue(t, body, "receiptd_pebble_disk_usage_bytes"); v <= 0 {
		t.Errorf("receiptd_pebble_disk_usage_bytes = %v: the index's pebble metrics are not exported", v)
	}
	var head struct {
		Data struct {
			Status struct{ ConsensusHead struct{ Number string } }
		}
	}
	query(t, addr, `{ status { consensusHead { number } } }`, &head)
	if head.Data.Status.ConsensusHead.Number == "" || head.Data.Status.ConsensusHead.Number == "0x0" {
		t.Fatalf("GraphQL status %+v", head)
	}
	const observed = `receiptd_graphql_request_duration_seconds_count{field="status"}`
	if body := getBody(t, addr+"/metrics"); !strings.Contains(body, observed) {
		t.Fatalf("metrics lack %s after a query", observed)
	}
	// The same query again on one state of the index is a hit (the devnet
	// commits between some of them, so try a few).
	waitFor(t, 30*time.Second, "response cache hit", func() bool {
		var res any
		for range 4 {
			query(t, addr, `{ domains { id } }`, &res)
		}
		return metricValue(t, getBody(t, addr+"/metrics"), cacheHit) > 0
	})
	stop(t, run)

	// The tour's challenger, then the proof file.
	tour := t.TempDir()
	addr = freeAddr(t)
	// This run also turns the response cache off: no lookups are counted.
	run = start(t, bin, "run", "--data", tour, "--fast", "--challenger", "--http", addr, "--graphql-cache-mb", "0")
	var id string
	waitFor(t, 120*time.Second, "an accepted challenge", func() bool {
		var res struct {
			Data struct {
				Challenges struct {
					Edges []struct{ Node struct{ ProofHash string } }
				}
			}
		}
		if tryQuery(addr, `{ challenges(first: 1, where: { status: ACCEPTED }) { edges { node { proofHash } } } }`, &res) != nil {
			return false // not listening yet
		}
		if len(res.Data.Challenges.Edges) > 0 {
			id = res.Data.Challenges.Edges[0].Node.ProofHash
		}
		return id != ""
	})
	// The proof that got in was counted, for the alerts on proofs.
	waitFor(t, 30*time.Second, "an accepted proof counted", func() bool {
		v, _, err := seriesValue(getBody(t, addr+"/metrics"), `receiptd_fraud_proofs_total{result="accepted"}`)
		if err != nil {
			t.Fatal(err)
		}
		return v > 0
	})
	body = getBody(t, addr+"/metrics")
	if n := metricValue(t, body, cacheHit) + metricValue(t, body, cacheMiss); n != 0 {
		t.Fatalf("--graphql-cache-mb 0 left a response cache: %v lookups", n)
	}
	stop(t, run)
	file := filepath.Join(t.TempDir(), "proof.bin")
	if out, err := exec.Command(bin, "proof", "export", "--data", tour, "--id", id, "--out", file).CombinedOutput(); err != nil {
		t.Fatalf("proof export: %v\n%s", err, out)
	}
	if out, err := exec.Command(bin, "proof", "verify", file).CombinedOutput(); err != nil || !strings.HasPrefix(string(out), "valid:") {
		t.Fatalf("proof verify: %v\n%s", err, out)
	}
	if out, err := exec.Command(bin, "proof", "verify", "--data", tour, file).CombinedOutput(); err != nil || !strings.HasPrefix(string(out), "valid:") {
		t.Fatalf("proof verify --data: %v\n%s", err, out)
	}
}

const (
	cacheHit  = `receiptd_graphql_response_cache_lookups_total{result="hit"}`
	cacheMiss = `receiptd_graphql_response_cache_lookups_total{result="miss"}`
)

// metricValue is the value of series in a /metrics body; the series must
// be there.
func metricValue(t *testing.T, body, series string) float64 {
	t.Helper()
	v, ok, err := seriesValue(body, series)
	if err != nil {
		t.Fatal(err)
	}
	if !ok {
		t.Fatalf("metrics lack %s", series)
	}
	return v
}

// seriesValue is the value of series in a /metrics body, if it is there.
func seriesValue(body, series string) (float64, bool, error) {
	for _, line := range strings.Split(body, "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return 0, false, fmt.Errorf("%s: %w", line, err)
			}
			return f, true, nil
		}
	}
	return 0, false, nil
}

func freeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func start(t *testing.T, bin string, args ...string) *exec.Cmd {
	cmd := exec.Command(bin, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
		if t.Failed() {
			t.Logf("output of %v:\n%s", args, tail(out.String(), 3000))
		}
	})
	return cmd
}

// stop interrupts a run and expects a clean exit within ten seconds.
func stop(t *testing.T, cmd *exec.Cmd) {
	cmd.Process.Signal(syscall.SIGINT)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run did not stop cleanly: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not stop within 10s of SIGINT")
	}
}

func waitFor(t *testing.T, d time.Duration, what string, ok func() bool) {
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("no %s within %v", what, d)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func get(url string) int {
	resp, err := http.Get("http://" + url)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

func getBody(t *testing.T, url string) string {
	resp, err := http.Get("http://" + url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	return b.String()
}

func query(t *testing.T, addr, q string, out any) {
	if err := tryQuery(addr, q, out); err != nil {
		t.Fatal(err)
	}
}

func tryQuery(addr, q string, out any) error {
	body, _ := json.Marshal(map[string]string{"query": q})
	resp, err := http.Post("http://"+addr+"/graphql", "application/json", bytes.NewReader(body))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("graphql %s: %w", q, err)
	}
	return nil
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
