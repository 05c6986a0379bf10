package verifier

import (
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/receiptd/receiptd/protocol"
)

// Verdict is receiptd's judgement of one execution receipt: valid, or the
// first wrong field with the value receiptd computed and the one claimed.
type Verdict struct {
	Valid    bool
	Field    string // "" when valid; one of the Field* names
	Expected string
	Claimed  string
	// DescendsFromBad marks a receipt whose own claims are right but whose
	// parent is a pending bad receipt: a proof against the ancestor prunes
	// it too.
	DescendsFromBad bool
}

// Receipt fields, in the order the design ranks faults (DESIGN.md §1.7:
// bundle validity, extrinsics root, trace, execution result, block hash),
// then the parent link.
const (
	FieldInboxedBundles = "inboxed-bundles"
	FieldExtrinsicsRoot = "extrinsics-root"
	FieldTrace          = "trace"
	FieldFinalStateRoot = "final-state-root"
	FieldGasUsed        = "gas-used"
	FieldReceiptsRoot   = "receipts-root"
	FieldLogsBloom      = "logs-bloom"
	FieldFees           = "fees"
	FieldDomainHash     = "domain-block-hash"
	FieldConsensusBlock = "consensus-block"
	FieldParent         = "parent-receipt"
)

func (v Verdict) String() string {
	if v.Valid {
		return "valid"
	}
	return fmt.Sprintf("invalid %s: expected %s, claimed %s", v.Field, v.Expected, v.Claimed)
}

func wrong(field string, expected, claimed any) Verdict {
	return Verdict{Field: field, Expected: fmt.Sprint(expected), Claimed: fmt.Sprint(claimed)}
}

// CheckContent compares what a receipt claims about its own domain block
// with the honest receipt receiptd computed, field by field in priority
// order, and reports the first difference. The parent link is not
// compared: see CheckParent.
func CheckContent(claimed, honest *protocol.ExecutionReceipt) Verdict {
	c, h := claimed, honest
	if c.DomainNumber != h.DomainNumber || c.ConsensusHash != h.ConsensusHash {
		return wrong(FieldConsensusBlock, fmt.Sprintf("#%d from %s", h.DomainNumber, h.ConsensusHash),
			fmt.Sprintf("#%d from %s", c.DomainNumber, c.ConsensusHash))
	}
	if len(c.InboxedBundles) != len(h.InboxedBundles) {
		return wrong(FieldInboxedBundles, fmt.Sprintf("%d bundles", len(h.InboxedBundles)), fmt.Sprintf("%d bundles", len(c.InboxedBundles)))
	}
	for i := range h.InboxedBundles {
		if c.InboxedBundles[i] != h.InboxedBundles[i] {
			return wrong(FieldInboxedBundles, fmt.Sprintf("bundle %d: %s", i, h.InboxedBundles[i].Validity),
				fmt.Sprintf("bundle %d: %s", i, c.InboxedBundles[i].Validity))
		}
	}
	if c.ExtrinsicsRoot != h.ExtrinsicsRoot {
		return wrong(FieldExtrinsicsRoot, h.ExtrinsicsRoot, c.ExtrinsicsRoot)
	}
	if i, ok := firstTraceDifference(c.Trace, h.Trace); !ok {
		if i == len(h.Trace)-1 && len(c.Trace) == len(h.Trace) {
			return wrong(FieldFinalStateRoot, h.FinalStateRoot, c.FinalStateRoot)
		}
		return wrong(FieldTrace, traceAt(h.Trace, i), traceAt(c.Trace, i))
	}
	switch {
	case c.GasUsed != h.GasUsed:
		return wrong(FieldGasUsed, h.GasUsed, c.GasUsed)
	case c.ReceiptsRoot != h.ReceiptsRoot:
		return wrong(FieldReceiptsRoot, h.ReceiptsRoot, c.ReceiptsRoot)
	case c.LogsBloom != h.LogsBloom:
		return wrong(FieldLogsBloom, "bloom "+crypto256(h.LogsBloom[:]).Hex(), "bloom "+crypto256(c.LogsBloom[:]).Hex())
	case c.Fees != h.Fees:
		return wrong(FieldFees, fmt.Sprintf("operators %s burned %s", &h.Fees.Operators, &h.Fees.Burned),
			fmt.Sprintf("operators %s burned %s", &c.Fees.Operators, &c.Fees.Burned))
	case c.DomainHash != h.DomainHash:
		return wrong(FieldDomainHash, h.DomainHash, c.DomainHash)
	}
	return Verdict{Valid: true}
}

// firstTraceDifference returns the first index where the traces differ, or
// ok when they are equal.
func firstTraceDifference(a, b []common.Hash) (int, bool) {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i, false
		}
	}
	if len(a) != len(b) {
		return min(len(a), len(b)), false
	}
	return 0, true
}

func traceAt(trace []common.Hash, i int) string {
	if i >= len(trace) {
		return fmt.Sprintf("entry %d: none (%d entries)", i, len(trace))
	}
	return fmt.Sprintf("entry %d: %s (%d entries)", i, trace[i], len(trace))
}

// CheckParent judges a receipt whose claims are right by its parent: a
// receipt built on a pending bad receipt falls with it.
func CheckParent(content Verdict, claimed *protocol.ExecutionReceipt, honestParent common.Hash, parentPendingBad bool) Verdict {
	if !content.Valid || claimed.ParentReceiptHash == honestParent || !parentPendingBad {
		return content
	}
	v := wrong(FieldParent, honestParent, claimed.ParentReceiptHash)
	v.DescendsFromBad = true
	return v
}

// crypto256 shortens a bloom to a hash for display.
func crypto256(b []byte) common.Hash { return crypto.Keccak256Hash(b) }
