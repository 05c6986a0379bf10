package metrics_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/receiptd/receiptd/metrics"
)

// recordAll calls every Record method once, so that every family has a
// series to show.
func recordAll(m metrics.Metricer) {
	m.RecordUp(metrics.ComponentSource, true)
	m.RecordConsensusHead(10)
	m.RecordSourceHead(11)
	m.RecordSourceError(metrics.SourceErrorSource)
	m.RecordSourceReconnect()
	m.RecordReorg(1)
	m.RecordBlockProcessed(5)
	m.RecordStage(metrics.StagePrepare, time.Millisecond)
	m.RecordDomainVerified(1, 9, 1)
	m.RecordReceiptVerdict(1, metrics.VerdictBad)
	m.RecordBadReceiptAge(1, 4, 20)
	m.RecordConfirmedBad(1)
	m.RecordOperatorSlashed(1)
	m.RecordChallenge(metrics.ChallengeProving, 1)
	m.RecordOldestChallengeAge(4)
	m.RecordProof(metrics.ProofBuilt)
	m.RecordGraphQL("head", time.Millisecond, false)
}

func TestEveryNameIsPrefixedAndLintClean(t *testing.T) {
	m := metrics.New()
	recordAll(m)
	mfs, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, mf := range mfs {
		have[mf.GetName()] = true
		if !strings.HasPrefix(mf.GetName(), "receiptd_") {
			t.Errorf("%s lacks the receiptd_ prefix", mf.GetName())
		}
	}
	for _, name := range []string{"receiptd_go_goroutines", "receiptd_process_cpu_seconds_total",
		"receiptd_pipeline_stage_duration_seconds", "receiptd_oldest_unchallenged_bad_receipt_age_blocks"} {
		if !have[name] {
			t.Errorf("%s missing from the exposition", name)
		}
	}
	problems, err := testutil.GatherAndLint(m.Registry())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
}

func TestRegistriesArePrivate(t *testing.T) {
	a, b := metrics.New(), metrics.New()
	a.RecordConsensusHead(7)
	if have := gaugeValue(t, a.Registry(), "receiptd_consensus_head_number"); have != 7 {
		t.Errorf("head %v, want 7", have)
	}
	if have := gaugeValue(t, b.Registry(), "receiptd_consensus_head_number"); have != 0 {
		t.Errorf("a second Metrics sees the first one's head: %v", have)
	}
	if n, err := testutil.GatherAndCount(prometheus.DefaultGatherer, "receiptd_consensus_head_number"); err != nil || n != 0 {
		t.Errorf("the global registry holds %d receiptd series (err %v)", n, err)
	}
}

func TestLabelValuesAreBounded(t *testing.T) {
	m := metrics.New()
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range 100 {
				m.RecordGraphQL(strings.Repeat("q", w*100+i+1), time.Millisecond, false)
				m.RecordDomainVerified(uint32(w*100+i), 1, 0)
			}
		})
	}
	wg.Wait()
	m.RecordGraphQL("", time.Millisecond, false)
	m.RecordGraphQL("\xff\xfe", time.Millisecond, false)

	fields := labelValues(t, m.Registry(), "receiptd_graphql_request_errors_total", "field")
	if len(fields) != 65 || !fields["other"] {
		t.Errorf("%d field values (other: %v), want 64 and other", len(fields), fields["other"])
	}
	for f := range fields {
		if len(f) > 64 {
			t.Errorf("field value of %d bytes, want at most 64", len(f))
		}
	}
	domains := labelValues(t, m.Registry(), "receiptd_domain_verified_height", "domain")
	if len(domains) != 257 || !domains["other"] {
		t.Errorf("%d domain values (other: %v), want 256 and other", len(domains), domains["other"])
	}

	// Empty and invalid values from a fresh label are recorded, not dropped.
	m2 := metrics.New()
	m2.RecordGraphQL("", time.Millisecond, false)
	m2.RecordGraphQL("\xff\xfe", time.Millisecond, false)
	fields = labelValues(t, m2.Registry(), "receiptd_graphql_request_errors_total", "field")
	if !fields["unknown"] || !fields["invalid"] || len(fields) != 2 {
		t.Errorf("field values %v, want unknown and invalid", fields)
	}
}

// gaugeValue returns the value of the unlabelled gauge name, 0 if absent.
func gaugeValue(t *testing.T, g prometheus.Gatherer, name string) float64 {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name && len(mf.GetMetric()) > 0 {
			return mf.GetMetric()[0].GetGauge().GetValue()
		}
	}
	return 0
}

// labelValues returns the values label takes across family name.
func labelValues(t *testing.T, g prometheus.Gatherer, name, label string) map[string]bool {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	vals := map[string]bool{}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if lp.GetName() == label {
					vals[lp.GetValue()] = true
				}
			}
		}
	}
	return vals
}
