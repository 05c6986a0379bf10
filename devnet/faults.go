package devnet

import (
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/ethereum/go-ethereum/common"
	"github.com/holiman/uint256"

	"github.com/receiptd/receiptd/protocol"
)

// FaultKind is one way a faulty operator misbehaves. The zero value is not
// a kind.
type FaultKind uint8

const (
	// FaultTraceEntry: one intermediate trace entry is wrong.
	FaultTraceEntry FaultKind = iota + 1
	// FaultTraceShort: an entry is missing from the trace.
	FaultTraceShort
	// FaultTraceLong: an extra entry is in the trace.
	FaultTraceLong
	// FaultFinalRoot: the final state root (and so the last trace entry).
	FaultFinalRoot
	// FaultExtrinsicsRoot: the domain block's extrinsics root.
	FaultExtrinsicsRoot
	// FaultBundleValidity: an inboxed bundle marked wrongly Valid or
	// Invalid, or with a wrong digest.
	FaultBundleValidity
	// FaultDomainHash: the domain block hash.
	FaultDomainHash
	// FaultFees: the block fees.
	FaultFees
	// FaultGasUsed: the gas used.
	FaultGasUsed
	// FaultReceiptsRoot: the receipts root.
	FaultReceiptsRoot
	// FaultIllegalTx: the operator's bundle holds an illegal transaction.
	FaultIllegalTx
	// FaultUndecodableTx: the operator's bundle holds undecodable bytes.
	FaultUndecodableTx

	numFaultKinds = iota + 1
)

var faultNames = [...]string{
	FaultTraceEntry: "trace-entry", FaultTraceShort: "trace-short", FaultTraceLong: "trace-long",
	FaultFinalRoot: "final-root", FaultExtrinsicsRoot: "extrinsics-root", FaultBundleValidity: "bundle-validity",
	FaultDomainHash: "domain-hash", FaultFees: "fees", FaultGasUsed: "gas-used", FaultReceiptsRoot: "receipts-root",
	FaultIllegalTx: "illegal-tx", FaultUndecodableTx: "undecodable-tx",
}

func (k FaultKind) String() string {
	if k >= 1 && int(k) < len(faultNames) {
		return faultNames[k]
	}
	return fmt.Sprintf("FaultKind(%d)", uint8(k))
}

// ParseFaultKind is the inverse of String.
func ParseFaultKind(s string) (FaultKind, error) {
	for k := FaultKind(1); k < numFaultKinds; k++ {
		if k.String() == s {
			return k, nil
		}
	}
	return 0, fmt.Errorf("unknown fault kind %q", s)
}

// FaultKinds lists every kind.
func FaultKinds() []FaultKind {
	out := make([]FaultKind, 0, numFaultKinds-1)
	for k := FaultKind(1); k < numFaultKinds; k++ {
		out = append(out, k)
	}
	return out
}

// IsBundleFault reports whether the kind is about the bundle's contents
// rather than the receipt it carries.
func (k FaultKind) IsBundleFault() bool { return k == FaultIllegalTx || k == FaultUndecodableTx }

// FaultRates is, per kind, the probability that a faulty operator applies
// it: to each new receipt it adds (receipt kinds) or each bundle it builds
// (bundle kinds). At most one receipt fault applies to one receipt.
type FaultRates map[FaultKind]float64

// DefaultFaultRates gives about one bad receipt per domain every 20
// consensus blocks when the faulty operator is one of three: it adds about
// a third of the receipts, 15% of which it spoils, spread over the receipt
// kinds. Bundle faults are rarer: each slashes the author when the receipt
// marking the bundle Invalid is confirmed.
func DefaultFaultRates() FaultRates {
	r := FaultRates{}
	var receiptKinds []FaultKind
	for _, k := range FaultKinds() {
		if !k.IsBundleFault() {
			receiptKinds = append(receiptKinds, k)
		}
	}
	for _, k := range receiptKinds {
		r[k] = 0.15 / float64(len(receiptKinds))
	}
	r[FaultIllegalTx], r[FaultUndecodableTx] = 0.01, 0.01
	return r
}

// Validate checks that every rate is a probability and the receipt rates
// sum to at most 1.
func (r FaultRates) Validate() error {
	var sum float64
	for k, p := range r {
		if k < 1 || k >= numFaultKinds {
			return fmt.Errorf("unknown fault kind %d", k)
		}
		if p < 0 || p > 1 {
			return fmt.Errorf("%s rate %v is not a probability", k, p)
		}
		if !k.IsBundleFault() {
			sum += p
		}
	}
	if sum > 1 {
		return fmt.Errorf("receipt fault rates sum to %v, over 1", sum)
	}
	return nil
}

// pickReceiptFault draws at most one receipt fault.
func (r FaultRates) pickReceiptFault(rng *rand.Rand) FaultKind {
	x := rng.Float64()
	for _, k := range FaultKinds() {
		if k.IsBundleFault() {
			continue
		}
		if x < r[k] {
			return k
		}
		x -= r[k]
	}
	return 0
}

// spoil returns a copy of the honest receipt r with fault k applied, still
// admissible: consensus checks the trace root and that the final root is
// the last entry, so a spoiled trace is re-rooted. It returns nil when the
// fault cannot apply (a short trace needs three entries to lose one).
func spoil(r *protocol.ExecutionReceipt, k FaultKind, rng *rand.Rand) *protocol.ExecutionReceipt {
	if k == FaultTraceShort && len(r.Trace) < 3 {
		return nil
	}
	bad := *r
	bad.Trace = slices.Clone(r.Trace)
	bad.InboxedBundles = slices.Clone(r.InboxedBundles)
	junk := func() common.Hash {
		var h common.Hash
		for i := range h {
			h[i] = byte(rng.UintN(256))
		}
		return h
	}
	switch k {
	case FaultTraceEntry:
		// Any entry but the last, which must equal the final root.
		bad.Trace[rng.IntN(len(bad.Trace)-1)] = junk()
	case FaultTraceShort:
		i := rng.IntN(len(bad.Trace) - 1)
		bad.Trace = slices.Delete(bad.Trace, i, i+1)
	case FaultTraceLong:
		i := rng.IntN(len(bad.Trace))
		bad.Trace = slices.Insert(bad.Trace, i, junk())
	case FaultFinalRoot:
		bad.FinalStateRoot = junk()
		bad.Trace[len(bad.Trace)-1] = bad.FinalStateRoot
	case FaultExtrinsicsRoot:
		bad.ExtrinsicsRoot = junk()
	case FaultBundleValidity:
		i := rng.IntN(len(bad.InboxedBundles))
		v := bad.InboxedBundles[i].Validity
		switch {
		case !v.IsValid():
			v = protocol.Valid(junk())
		case rng.IntN(2) == 0:
			v = protocol.Invalid(protocol.InvalidIllegalTx, 0)
		default:
			v = protocol.Valid(junk())
		}
		bad.InboxedBundles[i].Validity = v
	case FaultDomainHash:
		bad.DomainHash = junk()
	case FaultFees:
		bad.Fees.Operators = *new(uint256.Int).AddUint64(&r.Fees.Operators, 1+rng.Uint64N(1e9))
	case FaultGasUsed:
		bad.GasUsed = r.GasUsed + 1 + rng.Uint64N(1000)
	case FaultReceiptsRoot:
		bad.ReceiptsRoot = junk()
	}
	bad.TraceRoot = protocol.TraceRoot(bad.Trace)
	if len(bad.Trace) > 0 {
		bad.FinalStateRoot = bad.Trace[len(bad.Trace)-1]
	}
	return &bad
}
