package metrics_test

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"

	"github.com/receiptd/receiptd/metrics"
)

// Each case records through the Metricer and compares the exposition a
// scrape would show for the named metrics.
func TestRecordExposition(t *testing.T) {
	for _, tc := range []struct {
		name   string
		record func(m metrics.Metricer)
		want   string
	}{{
		name: "up",
		record: func(m metrics.Metricer) {
			m.RecordUp(metrics.ComponentSource, true)
			m.RecordUp(metrics.ComponentFollower, true)
			m.RecordUp(metrics.ComponentFollower, false)
		},
		want: `
# HELP receiptd_up Whether a component is working (1) or not (0).
# TYPE receiptd_up gauge
receiptd_up{component="follower"} 0
receiptd_up{component="source"} 1
`}, {
		name: "heads",
		record: func(m metrics.Metricer) {
			m.RecordConsensusHead(119)
			m.RecordConsensusHead(120)
			m.RecordSourceHead(125)
		},
		want: `
# HELP receiptd_consensus_head_number Number of the newest consensus block receiptd has processed.
# TYPE receiptd_consensus_head_number gauge
receiptd_consensus_head_number 120
# HELP receiptd_source_head_number Number of the newest consensus block the source reports.
# TYPE receiptd_source_head_number gauge
receiptd_source_head_number 125
`}, {
		name: "source errors and reconnects",
		record: func(m metrics.Metricer) {
			m.RecordSourceError(metrics.SourceErrorSource)
			m.RecordSourceError(metrics.SourceErrorSource)
			m.RecordSourceError(metrics.SourceErrorInvalidBlock)
			m.RecordSourceReconnect()
		},
		want: `
# HELP receiptd_source_errors_total Failures talking to the consensus source, by kind.
# TYPE receiptd_source_errors_total counter
receiptd_source_errors_total{kind="invalid-block"} 1
receiptd_source_errors_total{kind="source"} 2
# HELP receiptd_source_reconnects_total Reconnections to the consensus source.
# TYPE receiptd_source_reconnects_total counter
receiptd_source_reconnects_total 1
`}, {
		name: "reorgs: depth below one is not a reorg",
		record: func(m metrics.Metricer) {
			m.RecordReorg(2)
			m.RecordReorg(5)
			m.RecordReorg(0)
			m.RecordReorg(-1)
		},
		want: `
# HELP receiptd_reorgs_total Consensus chain reorganisations followed.
# TYPE receiptd_reorgs_total counter
receiptd_reorgs_total 2
# HELP receiptd_reorg_depth_blocks Consensus blocks replaced by each reorganisation.
# TYPE receiptd_reorg_depth_blocks histogram
receiptd_reorg_depth_blocks_bucket{le="1"} 0
receiptd_reorg_depth_blocks_bucket{le="2"} 1
receiptd_reorg_depth_blocks_bucket{le="3"} 1
receiptd_reorg_depth_blocks_bucket{le="4"} 1
receiptd_reorg_depth_blocks_bucket{le="8"} 2
receiptd_reorg_depth_blocks_bucket{le="16"} 2
receiptd_reorg_depth_blocks_bucket{le="32"} 2
receiptd_reorg_depth_blocks_bucket{le="64"} 2
receiptd_reorg_depth_blocks_bucket{le="128"} 2
receiptd_reorg_depth_blocks_bucket{le="+Inf"} 2
receiptd_reorg_depth_blocks_sum 7
receiptd_reorg_depth_blocks_count 2
`}, {
		name: "blocks and txs: negative counts add nothing",
		record: func(m metrics.Metricer) {
			m.RecordBlockProcessed(10)
			m.RecordBlockProcessed(0)
			m.RecordBlockProcessed(-3)
		},
		want: `
# HELP receiptd_consensus_blocks_processed_total Consensus blocks processed; rate() is blocks per second.
# TYPE receiptd_consensus_blocks_processed_total counter
receiptd_consensus_blocks_processed_total 3
# HELP receiptd_domain_txs_executed_total Domain transactions executed; rate() is transactions per second.
# TYPE receiptd_domain_txs_executed_total counter
receiptd_domain_txs_executed_total 10
`}, {
		name: "domain verified height and lag keep the latest values",
		record: func(m metrics.Metricer) {
			m.RecordDomainVerified(1, 100, 3)
			m.RecordDomainVerified(1, 101, 2)
			m.RecordDomainVerified(2, 50, 0)
		},
		want: `
# HELP receiptd_domain_lag_blocks Domain blocks derived by the consensus head that receiptd has not yet checked.
# TYPE receiptd_domain_lag_blocks gauge
receiptd_domain_lag_blocks{domain="1"} 2
receiptd_domain_lag_blocks{domain="2"} 0
# HELP receiptd_domain_verified_height Number of the newest domain block whose receipt receiptd has checked.
# TYPE receiptd_domain_verified_height gauge
receiptd_domain_verified_height{domain="1"} 101
receiptd_domain_verified_height{domain="2"} 50
`}, {
		name: "verdicts: a domain's series start at zero, unknown verdicts are other",
		record: func(m metrics.Metricer) {
			m.RecordReceiptVerdict(1, metrics.VerdictValid)
			m.RecordReceiptVerdict(1, metrics.VerdictValid)
			m.RecordReceiptVerdict(1, "maybe")
			m.RecordDomainVerified(2, 1, 0)
		},
		want: `
# HELP receiptd_receipts_total Execution receipts checked, by verdict.
# TYPE receiptd_receipts_total counter
receiptd_receipts_total{domain="1",verdict="bad"} 0
receiptd_receipts_total{domain="1",verdict="other"} 1
receiptd_receipts_total{domain="1",verdict="valid"} 2
receiptd_receipts_total{domain="2",verdict="bad"} 0
receiptd_receipts_total{domain="2",verdict="valid"} 0
`}, {
		name: "bad receipt age beside the challenge period",
		record: func(m metrics.Metricer) {
			m.RecordBadReceiptAge(3, 12, 20)
		},
		want: `
# HELP receiptd_challenge_period_blocks The domain's challenge period in domain blocks.
# TYPE receiptd_challenge_period_blocks gauge
receiptd_challenge_period_blocks{domain="3"} 20
# HELP receiptd_oldest_unchallenged_bad_receipt_age_blocks Age in domain blocks of the oldest receipt judged bad with no accepted fraud proof (0 when none); it is confirmed at the challenge period.
# TYPE receiptd_oldest_unchallenged_bad_receipt_age_blocks gauge
receiptd_oldest_unchallenged_bad_receipt_age_blocks{domain="3"} 12
`}, {
		name: "confirmed bad and slashed",
		record: func(m metrics.Metricer) {
			m.RecordConfirmedBad(1)
			m.RecordOperatorSlashed(1)
			m.RecordOperatorSlashed(1)
			m.RecordOperatorSlashed(2)
		},
		want: `
# HELP receiptd_confirmed_bad_receipts_total Receipts confirmed although receiptd judged them bad.
# TYPE receiptd_confirmed_bad_receipts_total counter
receiptd_confirmed_bad_receipts_total{domain="1"} 1
receiptd_confirmed_bad_receipts_total{domain="2"} 0
# HELP receiptd_operators_slashed_total Operators slashed.
# TYPE receiptd_operators_slashed_total counter
receiptd_operators_slashed_total{domain="1"} 2
receiptd_operators_slashed_total{domain="2"} 1
`}, {
		name: "open challenges move between statuses",
		record: func(m metrics.Metricer) {
			m.RecordChallenge(metrics.ChallengeProving, 1)
			m.RecordChallenge(metrics.ChallengeProving, 1)
			m.RecordChallenge(metrics.ChallengeProving, -1)
			m.RecordChallenge(metrics.ChallengeSubmitted, 1)
			m.RecordOldestChallengeAge(7)
		},
		want: `
# HELP receiptd_challenges_oldest_open_age_blocks Age in domain blocks of the oldest open challenge (0 when none).
# TYPE receiptd_challenges_oldest_open_age_blocks gauge
receiptd_challenges_oldest_open_age_blocks 7
# HELP receiptd_challenges_open Open challenges against bad receipts, by status.
# TYPE receiptd_challenges_open gauge
receiptd_challenges_open{status="proving"} 1
receiptd_challenges_open{status="submitted"} 1
`}, {
		name: "proofs: every result exists from the start",
		record: func(m metrics.Metricer) {
			m.RecordProof(metrics.ProofSubmitted)
			m.RecordProof(metrics.ProofAccepted)
			m.RecordProof("lost")
		},
		want: `
# HELP receiptd_fraud_proofs_total Fraud proofs by result: built, submitted, accepted, rejected.
# TYPE receiptd_fraud_proofs_total counter
receiptd_fraud_proofs_total{result="accepted"} 1
receiptd_fraud_proofs_total{result="built"} 0
receiptd_fraud_proofs_total{result="other"} 1
receiptd_fraud_proofs_total{result="rejected"} 0
receiptd_fraud_proofs_total{result="submitted"} 1
`}, {
		name: "source errors and open challenges: every kind and status exists from the start",
		record: func(m metrics.Metricer) {
			m.RecordSourceError(metrics.SourceErrorSource)
		},
		want: `
# HELP receiptd_source_errors_total Failures talking to the consensus source, by kind.
# TYPE receiptd_source_errors_total counter
receiptd_source_errors_total{kind="invalid-block"} 0
receiptd_source_errors_total{kind="source"} 1
# HELP receiptd_challenges_open Open challenges against bad receipts, by status.
# TYPE receiptd_challenges_open gauge
receiptd_challenges_open{status="proving"} 0
receiptd_challenges_open{status="submitted"} 0
`}} {
		t.Run(tc.name, func(t *testing.T) {
			m := metrics.New()
			tc.record(m)
			names := familyNames(tc.want)
			if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(tc.want), names...); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestRecordStage(t *testing.T) {
	m := metrics.New()
	m.RecordStage(metrics.StageExecute, 150*time.Microsecond)
	m.RecordStage(metrics.StageExecute, 3*time.Second)
	m.RecordStage(metrics.StageExecute, 11*time.Second)
	m.RecordStage(metrics.StageApply, -time.Second)

	exec := histogram(t, m.Registry(), "receiptd_pipeline_stage_duration_seconds", "stage", "execute")
	if exec.GetSampleCount() != 3 || math.Abs(exec.GetSampleSum()-14.00015) > 1e-9 {
		t.Errorf("execute: count %d sum %v, want 3 and 14.00015", exec.GetSampleCount(), exec.GetSampleSum())
	}
	want := map[float64]uint64{0.0001: 0, 0.00025: 1, 2.5: 1, 5: 2, 10: 2}
	for _, b := range exec.GetBucket() {
		if n, ok := want[b.GetUpperBound()]; ok && b.GetCumulativeCount() != n {
			t.Errorf("execute: bucket le=%v has %d, want %d", b.GetUpperBound(), b.GetCumulativeCount(), n)
		}
	}
	if first, last := exec.GetBucket()[0].GetUpperBound(), exec.GetBucket()[len(exec.GetBucket())-1].GetUpperBound(); first != 0.0001 || last != 10 {
		t.Errorf("buckets span %v..%v s, want 0.0001..10", first, last)
	}
	apply := histogram(t, m.Registry(), "receiptd_pipeline_stage_duration_seconds", "stage", "apply")
	if apply.GetSampleSum() != 0 || apply.GetBucket()[0].GetCumulativeCount() != 1 {
		t.Errorf("apply: a negative duration should be observed as 0, have sum %v", apply.GetSampleSum())
	}
}

func TestRecordGraphQL(t *testing.T) {
	m := metrics.New()
	m.RecordGraphQL("receipts", 20*time.Millisecond, false)
	m.RecordGraphQL("receipts", 2*time.Second, true)
	m.RecordGraphQL("head", time.Millisecond, false)

	h := histogram(t, m.Registry(), "receiptd_graphql_request_duration_seconds", "field", "receipts")
	if h.GetSampleCount() != 2 || math.Abs(h.GetSampleSum()-2.02) > 1e-9 {
		t.Errorf("receipts: count %d sum %v, want 2 and 2.02", h.GetSampleCount(), h.GetSampleSum())
	}
	want := `
# HELP receiptd_graphql_request_errors_total GraphQL requests that returned errors, by the root field asked for.
# TYPE receiptd_graphql_request_errors_total counter
receiptd_graphql_request_errors_total{field="head"} 0
receiptd_graphql_request_errors_total{field="receipts"} 1
`
	if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(want), "receiptd_graphql_request_errors_total"); err != nil {
		t.Error(err)
	}
	m.RecordGraphQLCache(true)
	m.RecordGraphQLCache(true)
	m.RecordGraphQLCache(false)
	want = `
# HELP receiptd_graphql_response_cache_lookups_total Queries looked up in the GraphQL response cache, by result: hit (answered from it) or miss (executed).
# TYPE receiptd_graphql_response_cache_lookups_total counter
receiptd_graphql_response_cache_lookups_total{result="hit"} 2
receiptd_graphql_response_cache_lookups_total{result="miss"} 1
`
	if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(want), "receiptd_graphql_response_cache_lookups_total"); err != nil {
		t.Error(err)
	}
}

// familyNames lists the metric families named in an exposition text.
func familyNames(text string) []string {
	var names []string
	for _, line := range strings.Split(text, "\n") {
		if f := strings.Fields(line); len(f) >= 3 && f[0] == "#" && f[1] == "TYPE" {
			names = append(names, f[2])
		}
	}
	return names
}

// histogram returns the histogram of family name whose label has value.
func histogram(t *testing.T, g prometheus.Gatherer, name, label, value string) *dto.Histogram {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if lp.GetName() == label && lp.GetValue() == value {
					return m.GetHistogram()
				}
			}
		}
	}
	t.Fatalf("no %s{%s=%q}", name, label, value)
	return nil
}
