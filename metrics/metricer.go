package metrics

import "time"

// Metricer is what receiptd's components record through. Heights and ages
// are block numbers and counts of blocks; a domain is a registered domain's
// id. Implementations must be safe for concurrent use and must not block.
//
// Components that need only a few methods should declare a smaller interface
// where they use it; *Metrics and NoopMetrics satisfy any subset.
type Metricer interface {
	// RecordUp reports whether a component (Component* constants) is
	// working: the source connected, the follower keeping up, and so on.
	RecordUp(component string, up bool)

	// RecordConsensusHead records the number of the consensus head receiptd
	// has processed; RecordSourceHead the newest head the source reports.
	RecordConsensusHead(number uint64)
	RecordSourceHead(number uint64)
	// RecordSourceError counts a failure talking to the source, by kind
	// (SourceError* constants); RecordSourceReconnect a reconnection.
	RecordSourceError(kind string)
	RecordSourceReconnect()
	// RecordReorg counts a reorg that replaced depth consensus blocks
	// (depth < 1 is not a reorg and is ignored).
	RecordReorg(depth int)
	// RecordBlockProcessed counts one consensus block processed and the
	// domain transactions executed for it; blocks/s and tx/s are the rate()
	// of the two counters.
	RecordBlockProcessed(txs int)
	// RecordStage observes how long one pipeline stage (Stage* constants)
	// took for one block.
	RecordStage(stage string, d time.Duration)

	// RecordDomainVerified records the height of the newest domain block
	// whose receipt receiptd has checked, and how many domain blocks the
	// consensus head has derived beyond it.
	RecordDomainVerified(domain uint32, height, lagBlocks uint64)
	// RecordReceiptVerdict counts one checked receipt by verdict
	// (VerdictValid, VerdictBad).
	RecordReceiptVerdict(domain uint32, verdict string)
	// RecordBadReceiptAge records, in domain blocks, the age of the oldest
	// receipt judged bad for which no fraud proof has been accepted (0 when
	// there is none), beside the domain's challenge period: at that age the
	// receipt is confirmed.
	RecordBadReceiptAge(domain uint32, ageBlocks, challengePeriod uint64)
	// RecordConfirmedBad counts a receipt confirmed although receiptd
	// judged it bad.
	RecordConfirmedBad(domain uint32)
	// RecordOperatorSlashed counts one operator slashed on domain.
	RecordOperatorSlashed(domain uint32)

	// RecordChallenge adds delta to the open challenges in status
	// (Challenge* constants): +1 when one enters it, -1 when it leaves.
	RecordChallenge(status string, delta int)
	// RecordOldestChallengeAge records the age in domain blocks of the
	// oldest open challenge (0 when none is open).
	RecordOldestChallengeAge(ageBlocks uint64)
	// RecordProof counts a fraud proof by result (Proof* constants).
	RecordProof(result string)

	// RecordGraphQL observes one GraphQL request by the root field it asks
	// for (graphql.Config.Observe says which values).
	RecordGraphQL(field string, d time.Duration, errored bool)
	// RecordGraphQLCache counts one lookup of a query's answer in the
	// GraphQL response cache.
	RecordGraphQLCache(hit bool)
}

// Receipt verdicts: the fixed values of the verdict label.
const (
	VerdictValid = "valid"
	VerdictBad   = "bad"
)

// Fraud-proof results: the fixed values of the result label.
const (
	ProofBuilt     = "built"     // built and verified locally (dry runs too)
	ProofSubmitted = "submitted" // sent to consensus
	ProofAccepted  = "accepted"  // included; the receipt is pruned
	ProofRejected  = "rejected"  // refused by consensus
)

// Challenge statuses in use: the values of the status label.
const (
	ChallengeProving   = "proving"   // a bad receipt seen, its proof being built
	ChallengeSubmitted = "submitted" // the proof sent, awaiting inclusion
)

// Pipeline stages in use: the values of the stage label.
const (
	StagePrepare = "prepare" // fetch a consensus block, check its signatures, recover senders
	StageApply   = "apply"   // apply it to the consensus state, derive and execute, judge receipts
	StageExecute = "execute" // the domain execution within apply
	StageCommit  = "commit"  // write the block's batch to the index
	StageBlock   = "block"   // the whole block, from apply to committed
)

// Source error kinds in use: the values of the kind label.
const (
	SourceErrorSource       = "source"        // the source failed (connection, timeout, a missing block)
	SourceErrorInvalidBlock = "invalid-block" // the source served a block that breaks consensus rules
)

// Components in use: the values of the component label of receiptd_up.
const (
	ComponentSource     = "source"
	ComponentFollower   = "follower"
	ComponentChallenger = "challenger"
	ComponentIndex      = "index"
	ComponentGraphQL    = "graphql"
)

// NoopMetrics records nothing. It is the Metricer for tests and for callers
// that run without metrics.
type NoopMetrics struct{}

var (
	_ Metricer = NoopMetrics{}
	_ Metricer = (*Metrics)(nil)
)

func (NoopMetrics) RecordUp(string, bool)                       {}
func (NoopMetrics) RecordConsensusHead(uint64)                  {}
func (NoopMetrics) RecordSourceHead(uint64)                     {}
func (NoopMetrics) RecordSourceError(string)                    {}
func (NoopMetrics) RecordSourceReconnect()                      {}
func (NoopMetrics) RecordReorg(int)                             {}
func (NoopMetrics) RecordBlockProcessed(int)                    {}
func (NoopMetrics) RecordStage(string, time.Duration)           {}
func (NoopMetrics) RecordDomainVerified(uint32, uint64, uint64) {}
func (NoopMetrics) RecordReceiptVerdict(uint32, string)         {}
func (NoopMetrics) RecordBadReceiptAge(uint32, uint64, uint64)  {}
func (NoopMetrics) RecordConfirmedBad(uint32)                   {}
func (NoopMetrics) RecordOperatorSlashed(uint32)                {}
func (NoopMetrics) RecordChallenge(string, int)                 {}
func (NoopMetrics) RecordOldestChallengeAge(uint64)             {}
func (NoopMetrics) RecordProof(string)                          {}
func (NoopMetrics) RecordGraphQL(string, time.Duration, bool)   {}
func (NoopMetrics) RecordGraphQLCache(bool)                     {}
