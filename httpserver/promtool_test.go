package httpserver_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/receiptd/receiptd/httpserver"
	"github.com/receiptd/receiptd/metrics"
)

// The acceptance check: `promtool check metrics` accepts /metrics.
// Without promtool the test skips, except under CI=true, where it fails so
// that CI cannot pass without running it (scripts/deps-promtool.sh installs
// promtool).
func TestMetricsPassPromtool(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("promtool is not on PATH and CI=true: run scripts/deps-promtool.sh (apt-get install prometheus)")
		}
		t.Skip("promtool is not on PATH; scripts/deps-promtool.sh installs it (under CI=true this test fails)")
	}

	db, err := pebble.Open("", &pebble.Options{FS: vfs.NewMem()})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Set([]byte("k"), []byte("v"), pebble.NoSync); err != nil {
		t.Fatal(err)
	}
	m := metrics.New()
	m.Registry().MustRegister(metrics.NewPebbleCollector(db.Metrics))
	recordEverything(m)

	s := start(t, httpserver.Config{Gatherer: m.Registry()}, nil)
	code, _, body := get(t, s, "GET", "/metrics")
	if code != 200 {
		t.Fatalf("/metrics: %d", code)
	}
	for _, name := range []string{"receiptd_pebble_disk_usage_bytes", "receiptd_pipeline_stage_duration_seconds_bucket",
		"receiptd_graphql_request_duration_seconds_bucket", "receiptd_go_goroutines"} {
		if !strings.Contains(body, "\n"+name) {
			t.Errorf("/metrics lacks %s", name)
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, promtool, "check", "metrics")
	cmd.Stdin = strings.NewReader(body)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil || out.Len() > 0 {
		t.Errorf("promtool check metrics: %v\n%s", err, out.String())
	}
}

// recordEverything gives every family receiptd records a series.
func recordEverything(m metrics.Metricer) {
	m.RecordUp(metrics.ComponentSource, true)
	m.RecordConsensusHead(100)
	m.RecordSourceHead(101)
	m.RecordSourceError(metrics.SourceErrorSource)
	m.RecordSourceReconnect()
	m.RecordReorg(2)
	m.RecordBlockProcessed(40)
	for _, st := range []string{metrics.StagePrepare, metrics.StageApply, metrics.StageExecute, metrics.StageCommit} {
		m.RecordStage(st, 3*time.Millisecond)
	}
	m.RecordDomainVerified(1, 99, 1)
	m.RecordReceiptVerdict(1, metrics.VerdictValid)
	m.RecordReceiptVerdict(1, metrics.VerdictBad)
	m.RecordBadReceiptAge(1, 5, 20)
	m.RecordConfirmedBad(1)
	m.RecordOperatorSlashed(1)
	m.RecordChallenge(metrics.ChallengeSubmitted, 1)
	m.RecordOldestChallengeAge(5)
	m.RecordProof(metrics.ProofSubmitted)
	m.RecordGraphQL("receipts", 4*time.Millisecond, false)
	m.RecordGraphQLCache(true)
}
