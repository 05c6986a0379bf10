package audit

import (
	"errors"
	"strings"

	"github.com/ethereum/go-ethereum/consensus"
)

// Verdict is the judgement on one block.
type Verdict string

// Verdicts.
const (
	VerdictValid   Verdict = "valid"
	VerdictInvalid Verdict = "invalid"
)

// Reason is a stable code saying why a block is invalid (see the package
// documentation for the list). Valid blocks have an empty reason, or
// ReasonKnown.
type Reason string

// Reason codes; their meaning is documented in doc.go.
const (
	ReasonNone             Reason = ""
	ReasonKnown            Reason = "known"
	ReasonUndecodable      Reason = "undecodable"
	ReasonTruncated        Reason = "truncated"
	ReasonOversized        Reason = "oversized"
	ReasonGenesisMismatch  Reason = "genesis-mismatch"
	ReasonUnknownParent    Reason = "unknown-parent"
	ReasonStateUnavailable Reason = "state-unavailable"
	ReasonHeader           Reason = "header"
	ReasonBody             Reason = "body"
	ReasonTx               Reason = "tx"
	ReasonExecution        Reason = "execution"
	ReasonGas              Reason = "gas"
	ReasonBloom            Reason = "bloom"
	ReasonReceiptsRoot     Reason = "receipts-root"
	ReasonRequestsHash     Reason = "requests-hash"
	ReasonAccessList       Reason = "access-list"
	ReasonStateRoot        Reason = "state-root"
)

// classifyStateError names the reason of a ValidateState failure. It maps the
// messages of core.BlockValidator.ValidateState (go-ethereum v1.17.10) to
// reason codes; tests that tamper with each field pin the mapping.
func classifyStateError(err error) Reason {
	prefixes := [...]struct {
		prefix string
		reason Reason
	}{
		{"invalid gas used", ReasonGas},
		{"invalid bloom", ReasonBloom},
		{"invalid receipt root hash", ReasonReceiptsRoot},
		{"invalid requests hash", ReasonRequestsHash},
		{"block has requests before prague", ReasonRequestsHash},
		{"block access list", ReasonAccessList},
		{"access list hash mismatch", ReasonAccessList},
		{"invalid block access list", ReasonAccessList},
		{"invalid merkle root", ReasonStateRoot},
	}
	msg := err.Error()
	for _, p := range prefixes {
		if strings.HasPrefix(msg, p.prefix) {
			return p.reason
		}
	}
	return ReasonExecution
}

// classifyProcessError names the reason of a StateProcessor failure.
func classifyProcessError(err error) Reason {
	if strings.HasPrefix(err.Error(), "could not apply tx") {
		return ReasonTx
	}
	return ReasonExecution
}

// classifyHeaderError names the reason of a consensus engine failure.
func classifyHeaderError(err error) Reason {
	if errors.Is(err, consensus.ErrUnknownAncestor) {
		return ReasonUnknownParent
	}
	return ReasonHeader
}
