package protocol

import (
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/holiman/uint256"
)

// EventKind names what applying a consensus block did. The zero value is
// not a kind.
type EventKind uint8

const (
	// EventDomainBlockDerived: the block derives domain block Number.
	EventDomainBlockDerived EventKind = iota + 1
	// EventReceiptAdded: an ER became the domain's head (Operator backs it).
	EventReceiptAdded
	// EventReceiptBacked: another operator backed an ER already in the tree.
	EventReceiptBacked
	// EventReceiptConfirmed: the challenge period of an ER ended.
	EventReceiptConfirmed
	// EventReceiptPruned: an accepted fraud proof removed an ER.
	EventReceiptPruned
	// EventProofAccepted: a fraud proof against Receipt was applied.
	EventProofAccepted
	// EventOperatorSlashed: an operator lost its standing; Reason says why.
	EventOperatorSlashed
	// EventFeesPaid: a confirmed ER paid Amount to Operator.
	EventFeesPaid
)

func (k EventKind) String() string {
	switch k {
	case EventDomainBlockDerived:
		return "domain-block-derived"
	case EventReceiptAdded:
		return "receipt-added"
	case EventReceiptBacked:
		return "receipt-backed"
	case EventReceiptConfirmed:
		return "receipt-confirmed"
	case EventReceiptPruned:
		return "receipt-pruned"
	case EventProofAccepted:
		return "proof-accepted"
	case EventOperatorSlashed:
		return "operator-slashed"
	case EventFeesPaid:
		return "fees-paid"
	}
	return fmt.Sprintf("EventKind(%d)", uint8(k))
}

// Event is one consequence of a consensus block, for indexers and tests.
// Fields that do not apply to the kind are zero.
type Event struct {
	Kind     EventKind
	Domain   DomainID
	Number   uint64 // domain block / ER number
	Receipt  common.Hash
	Operator OperatorID
	Proof    common.Hash
	Amount   uint256.Int
	Reason   string
}
