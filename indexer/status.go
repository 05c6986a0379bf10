package indexer

import "fmt"

// TxFateKind says what became of a transaction occurrence. The zero value
// is not a kind.
type TxFateKind uint8

const (
	// TxIncluded: executed in the domain block at Fate.Position.
	TxIncluded TxFateKind = iota + 1
	// TxDuplicate: its hash appeared earlier in the same consensus block,
	// so this occurrence was dropped (DESIGN.md §1.5, not illegal).
	TxDuplicate
	// TxInInvalidBundle: its bundle was marked Invalid; nothing of it ran.
	TxInInvalidBundle
	// TxSkipped: in a valid bundle but not executed for another reason the
	// verifier names (an extrinsic that was never ordered into the block).
	TxSkipped
)

func (k TxFateKind) String() string {
	switch k {
	case TxIncluded:
		return "included"
	case TxDuplicate:
		return "duplicate"
	case TxInInvalidBundle:
		return "invalid-bundle"
	case TxSkipped:
		return "skipped"
	}
	return fmt.Sprintf("TxFateKind(%d)", uint8(k))
}

func (k TxFateKind) valid() bool { return k >= TxIncluded && k <= TxSkipped }

// ChallengeStatus is where a challenge stands. The zero value is not a
// status; CanBecome is the transition table.
type ChallengeStatus uint8

const (
	// ChallengeDetected: the bad ER is known and its proof built, not yet
	// submitted (a dry run stays here).
	ChallengeDetected ChallengeStatus = iota + 1
	// ChallengeSubmitted: the proof was sent to consensus.
	ChallengeSubmitted
	// ChallengeAccepted: consensus applied a proof against the bad ER.
	ChallengeAccepted
	// ChallengeRejected: consensus refused the proof; it may be resubmitted.
	ChallengeRejected
	// ChallengeStale: the bad ER left the tree otherwise (pruned with an
	// ancestor, or confirmed: then its receipt is confirmed-bad).
	ChallengeStale
)

func (s ChallengeStatus) String() string {
	switch s {
	case ChallengeDetected:
		return "detected"
	case ChallengeSubmitted:
		return "submitted"
	case ChallengeAccepted:
		return "accepted"
	case ChallengeRejected:
		return "rejected"
	case ChallengeStale:
		return "stale"
	}
	return fmt.Sprintf("ChallengeStatus(%d)", uint8(s))
}

func (s ChallengeStatus) valid() bool { return s >= ChallengeDetected && s <= ChallengeStale }

// CanBecome reports whether a challenge may go from s to next; this is the
// transition table. Staying in the same status is always allowed; accepted
// and stale are final.
func (s ChallengeStatus) CanBecome(next ChallengeStatus) bool {
	if s == next {
		return s.valid()
	}
	switch s {
	case ChallengeDetected:
		return next == ChallengeSubmitted || next == ChallengeAccepted || next == ChallengeStale
	case ChallengeSubmitted:
		return next == ChallengeAccepted || next == ChallengeRejected || next == ChallengeStale
	case ChallengeRejected:
		return next == ChallengeSubmitted || next == ChallengeAccepted || next == ChallengeStale
	}
	return false
}

// VerdictFilter selects receipts by verdict. The zero value selects all.
type VerdictFilter uint8

const (
	VerdictAny VerdictFilter = iota
	VerdictValid
	VerdictBad
)
