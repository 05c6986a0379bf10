package metrics

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Namespace prefixes every metric name.
const Namespace = "receiptd"

// Histogram buckets. Stage latencies run from a cache hit (100µs) to a
// large block's execution or a proof (seconds); GraphQL requests from a
// point lookup (1ms) to a wide range query. Reorgs are mostly one or two
// blocks deep; the exponential tail shows the rare deep one.
var (
	stageBuckets   = []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}
	graphqlBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}
	reorgBuckets   = []float64{1, 2, 3, 4, 8, 16, 32, 64, 128}
)

// Metrics is the Metricer that exports to Prometheus through a registry of
// its own (see Registry). The zero value is not usable; call New.
type Metrics struct {
	reg *prometheus.Registry

	up            *prometheus.GaugeVec
	consensusHead prometheus.Gauge
	sourceHead    prometheus.Gauge
	sourceErrors  *prometheus.CounterVec
	reconnects    prometheus.Counter
	reorgs        prometheus.Counter
	reorgDepth    prometheus.Histogram
	blocks        prometheus.Counter
	txs           prometheus.Counter
	stages        *prometheus.HistogramVec

	verified     *prometheus.GaugeVec
	lag          *prometheus.GaugeVec
	receipts     *prometheus.CounterVec
	badAge       *prometheus.GaugeVec
	period       *prometheus.GaugeVec
	confirmedBad *prometheus.CounterVec
	slashed      *prometheus.CounterVec

	challenges   *prometheus.GaugeVec
	challengeAge prometheus.Gauge
	proofs       *prometheus.CounterVec

	graphql       *prometheus.HistogramVec
	graphqlErrors *prometheus.CounterVec
	graphqlCache  *prometheus.CounterVec

	verdicts, results            fixedLabel
	domains, stageNames, kinds   *cappedLabel
	statuses, components, fields *cappedLabel
}

// New returns Metrics on a new registry that also holds the Go runtime and
// process collectors, renamed under receiptd_.
func New() *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		reg:        reg,
		verdicts:   newFixedLabel(VerdictValid, VerdictBad),
		results:    newFixedLabel(ProofBuilt, ProofSubmitted, ProofAccepted, ProofRejected),
		domains:    newCappedLabel(maxDomains),
		stageNames: newCappedLabel(maxNames),
		kinds:      newCappedLabel(maxNames),
		statuses:   newCappedLabel(maxNames),
		components: newCappedLabel(maxNames),
		fields:     newCappedLabel(maxFields),
	}
	gauge := func(name, help string) prometheus.Gauge {
		return prometheus.NewGauge(prometheus.GaugeOpts{Namespace: Namespace, Name: name, Help: help})
	}
	gaugeVec := func(name, help string, labels ...string) *prometheus.GaugeVec {
		return prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: Namespace, Name: name, Help: help}, labels)
	}
	counter := func(name, help string) prometheus.Counter {
		return prometheus.NewCounter(prometheus.CounterOpts{Namespace: Namespace, Name: name, Help: help})
	}
	counterVec := func(name, help string, labels ...string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: name, Help: help}, labels)
	}

	m.up = gaugeVec("up", "Whether a component is working (1) or not (0).", "component")
	m.consensusHead = gauge("consensus_head_number", "Number of the newest consensus block receiptd has processed.")
	m.sourceHead = gauge("source_head_number", "Number of the newest consensus block the source reports.")
	m.sourceErrors = counterVec("source_errors_total", "Failures talking to the consensus source, by kind.", "kind")
	m.reconnects = counter("source_reconnects_total", "Reconnections to the consensus source.")
	m.reorgs = counter("reorgs_total", "Consensus chain reorganisations followed.")
	m.reorgDepth = prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: Namespace, Name: "reorg_depth_blocks",
		Help: "Consensus blocks replaced by each reorganisation.", Buckets: reorgBuckets})
	m.blocks = counter("consensus_blocks_processed_total", "Consensus blocks processed; rate() is blocks per second.")
	m.txs = counter("domain_txs_executed_total", "Domain transactions executed; rate() is transactions per second.")
	m.stages = prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: Namespace, Name: "pipeline_stage_duration_seconds",
		Help: "Time one pipeline stage took for one block, by stage.", Buckets: stageBuckets}, []string{"stage"})

	m.verified = gaugeVec("domain_verified_height", "Number of the newest domain block whose receipt receiptd has checked.", "domain")
	m.lag = gaugeVec("domain_lag_blocks", "Domain blocks derived by the consensus head that receiptd has not yet checked.", "domain")
	m.receipts = counterVec("receipts_total", "Execution receipts checked, by verdict.", "domain", "verdict")
	m.badAge = gaugeVec("oldest_unchallenged_bad_receipt_age_blocks",
		"Age in domain blocks of the oldest receipt judged bad with no accepted fraud proof (0 when none); it is confirmed at the challenge period.", "domain")
	m.period = gaugeVec("challenge_period_blocks", "The domain's challenge period in domain blocks.", "domain")
	m.confirmedBad = counterVec("confirmed_bad_receipts_total", "Receipts confirmed although receiptd judged them bad.", "domain")
	m.slashed = counterVec("operators_slashed_total", "Operators slashed.", "domain")

	m.challenges = gaugeVec("challenges_open", "Open challenges against bad receipts, by status.", "status")
	m.challengeAge = gauge("challenges_oldest_open_age_blocks", "Age in domain blocks of the oldest open challenge (0 when none).")
	m.proofs = counterVec("fraud_proofs_total", "Fraud proofs by result: built, submitted, accepted, rejected.", "result")

	m.graphql = prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: Namespace, Name: "graphql_request_duration_seconds",
		Help: "GraphQL request latency, by the root field asked for.", Buckets: graphqlBuckets}, []string{"field"})
	m.graphqlErrors = counterVec("graphql_request_errors_total", "GraphQL requests that returned errors, by the root field asked for.", "field")
	m.graphqlCache = counterVec("graphql_response_cache_lookups_total",
		"Queries looked up in the GraphQL response cache, by result: hit (answered from it) or miss (executed).", "result")

	reg.MustRegister(m.up, m.consensusHead, m.sourceHead, m.sourceErrors, m.reconnects, m.reorgs, m.reorgDepth,
		m.blocks, m.txs, m.stages, m.verified, m.lag, m.receipts, m.badAge, m.period, m.confirmedBad, m.slashed,
		m.challenges, m.challengeAge, m.proofs, m.graphql, m.graphqlErrors, m.graphqlCache)
	prometheus.WrapRegistererWithPrefix(Namespace+"_", reg).MustRegister(collectors.NewGoCollector())
	reg.MustRegister(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{Namespace: Namespace}))

	// Series that alerts compare against exist from the start, at zero.
	// rate() and increase() see a counter's first event only when the
	// series existed before it.
	for _, r := range []string{ProofBuilt, ProofSubmitted, ProofAccepted, ProofRejected} {
		m.proofs.WithLabelValues(r)
	}
	for _, k := range []string{SourceErrorSource, SourceErrorInvalidBlock} {
		m.sourceErrors.WithLabelValues(name(m.kinds, k))
	}
	for _, st := range []string{ChallengeProving, ChallengeSubmitted} {
		m.challenges.WithLabelValues(name(m.statuses, st))
	}
	m.graphqlCache.WithLabelValues("hit")
	m.graphqlCache.WithLabelValues("miss")
	return m
}

// Registry is the registry the metrics live in: serve it on /metrics, and
// register further collectors (a PebbleCollector) with it.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// domain returns the label value for a domain id. On a domain's first
// appearance it creates the domain's counters at zero, so that increase()
// sees their first increment.
func (m *Metrics) domain(id uint32) string {
	d, first := m.domains.value(strconv.FormatUint(uint64(id), 10))
	if first {
		m.receipts.WithLabelValues(d, VerdictValid)
		m.receipts.WithLabelValues(d, VerdictBad)
		m.confirmedBad.WithLabelValues(d)
		m.slashed.WithLabelValues(d)
	}
	return d
}

func name(c *cappedLabel, v string) string { s, _ := c.value(v); return s }

func seconds(d time.Duration) float64 { return max(d, 0).Seconds() }

func count(n int) float64 { return float64(max(n, 0)) }

func boolGauge(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// The Record methods implement Metricer; its documentation says what each
// records.

func (m *Metrics) RecordUp(component string, up bool) {
	m.up.WithLabelValues(name(m.components, component)).Set(boolGauge(up))
}

func (m *Metrics) RecordConsensusHead(number uint64) { m.consensusHead.Set(float64(number)) }

func (m *Metrics) RecordSourceHead(number uint64) { m.sourceHead.Set(float64(number)) }

func (m *Metrics) RecordSourceError(kind string) {
	m.sourceErrors.WithLabelValues(name(m.kinds, kind)).Inc()
}

func (m *Metrics) RecordSourceReconnect() { m.reconnects.Inc() }

func (m *Metrics) RecordReorg(depth int) {
	if depth < 1 {
		return
	}
	m.reorgs.Inc()
	m.reorgDepth.Observe(float64(depth))
}

func (m *Metrics) RecordBlockProcessed(txs int) {
	m.blocks.Inc()
	m.txs.Add(count(txs))
}

func (m *Metrics) RecordStage(stage string, d time.Duration) {
	m.stages.WithLabelValues(name(m.stageNames, stage)).Observe(seconds(d))
}

func (m *Metrics) RecordDomainVerified(domain uint32, height, lagBlocks uint64) {
	d := m.domain(domain)
	m.verified.WithLabelValues(d).Set(float64(height))
	m.lag.WithLabelValues(d).Set(float64(lagBlocks))
}

func (m *Metrics) RecordReceiptVerdict(domain uint32, verdict string) {
	m.receipts.WithLabelValues(m.domain(domain), m.verdicts.value(verdict)).Inc()
}

func (m *Metrics) RecordBadReceiptAge(domain uint32, ageBlocks, challengePeriod uint64) {
	d := m.domain(domain)
	m.badAge.WithLabelValues(d).Set(float64(ageBlocks))
	m.period.WithLabelValues(d).Set(float64(challengePeriod))
}

func (m *Metrics) RecordConfirmedBad(domain uint32) {
	m.confirmedBad.WithLabelValues(m.domain(domain)).Inc()
}

func (m *Metrics) RecordOperatorSlashed(domain uint32) {
	m.slashed.WithLabelValues(m.domain(domain)).Inc()
}

func (m *Metrics) RecordChallenge(status string, delta int) {
	m.challenges.WithLabelValues(name(m.statuses, status)).Add(float64(delta))
}

func (m *Metrics) RecordOldestChallengeAge(ageBlocks uint64) { m.challengeAge.Set(float64(ageBlocks)) }

func (m *Metrics) RecordProof(result string) { m.proofs.WithLabelValues(m.results.value(result)).Inc() }

func (m *Metrics) RecordGraphQLCache(hit bool) {
	if hit {
		m.graphqlCache.WithLabelValues("hit").Inc()
	} else {
		m.graphqlCache.WithLabelValues("miss").Inc()
	}
}

func (m *Metrics) RecordGraphQL(field string, d time.Duration, errored bool) {
	op := name(m.fields, field)
	m.graphql.WithLabelValues(op).Observe(seconds(d))
	if errored {
		m.graphqlErrors.WithLabelValues(op).Inc()
	} else {
		m.graphqlErrors.WithLabelValues(op) // the error ratio has a denominator from the first request
	}
}
