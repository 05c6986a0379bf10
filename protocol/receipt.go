package protocol

import (
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/holiman/uint256"
)

// BundleValidity is what an ER says of one inboxed bundle: Valid with the
// digest of the transactions it kept, or Invalid with a kind and the index of
// the first offending transaction. Invalid == 0 means Valid.
//
// Canonical form: a Valid entry has TxIndex 0; an Invalid one a zero Digest.
type BundleValidity struct {
	Invalid InvalidKind
	TxIndex uint32
	Digest  common.Hash
}

// Valid returns the validity of a bundle whose kept txs hash to digest.
func Valid(digest common.Hash) BundleValidity { return BundleValidity{Digest: digest} }

// Invalid returns the validity of a bundle that fails with kind at tx index i.
func Invalid(kind InvalidKind, i uint32) BundleValidity {
	return BundleValidity{Invalid: kind, TxIndex: i}
}

// IsValid reports whether the entry says Valid.
func (v BundleValidity) IsValid() bool { return v.Invalid == 0 }

func (v BundleValidity) String() string {
	if v.IsValid() {
		return fmt.Sprintf("Valid(%s)", v.Digest.TerminalString())
	}
	return fmt.Sprintf("Invalid(%s, %d)", v.Invalid, v.TxIndex)
}

func (v BundleValidity) check() error {
	switch {
	case v.IsValid() && v.TxIndex != 0:
		return malformed("bundle validity", "Valid entry with tx index %d", v.TxIndex)
	case !v.IsValid() && !v.Invalid.valid():
		return malformed("bundle validity", "unknown invalid kind %d", uint8(v.Invalid))
	case !v.IsValid() && v.Digest != (common.Hash{}):
		return malformed("bundle validity", "Invalid entry with a digest")
	}
	return nil
}

// KeptTx is one transaction a Valid bundle contributes to the block.
type KeptTx struct {
	Sender common.Address
	Hash   common.Hash
}

// BundleDigest is keccak(rlp([(sender, tx hash)])) over the kept txs.
func BundleDigest(kept []KeptTx) common.Hash {
	return rlpHash(kept)
}

// InboxedBundle is an ER's entry for one bundle of the consensus block.
type InboxedBundle struct {
	Validity       BundleValidity
	ExtrinsicsRoot common.Hash
}

// BlockFees are the fees of a domain block, in wei.
type BlockFees struct {
	// Operators: Σ gasUsed × min(tipCap, feeCap − baseFee).
	Operators uint256.Int
	// Burned: Σ gasUsed × baseFee.
	Burned uint256.Int
}

// ExecutionReceipt (ER) is an operator's claim about one domain block.
type ExecutionReceipt struct {
	DomainNumber      uint64
	DomainHash        common.Hash
	ExtrinsicsRoot    common.Hash // of the domain block: DeriveSha of its txs
	ParentReceiptHash common.Hash
	ConsensusNumber   uint64
	ConsensusHash     common.Hash
	InboxedBundles    []InboxedBundle
	GasUsed           uint64
	ReceiptsRoot      common.Hash
	LogsBloom         types.Bloom
	FinalStateRoot    common.Hash
	Trace             []common.Hash
	TraceRoot         common.Hash
	Fees              BlockFees
}

// Hash is keccak(rlp(ER)), the receipt hash.
func (r *ExecutionReceipt) Hash() common.Hash { return rlpHash(r) }

// ErrBadTrace reports an ER whose trace breaks a rule consensus checks on
// every ER it admits (DESIGN.md §1.6).
var ErrBadTrace = errors.New("bad execution trace")

// CheckTrace applies consensus' trace rules: at least two entries, the trace
// root matches, and the final state root is the last entry.
func (r *ExecutionReceipt) CheckTrace() error {
	if len(r.Trace) < 2 {
		return fmt.Errorf("%w: %d entries, need at least 2", ErrBadTrace, len(r.Trace))
	}
	if root := TraceRoot(r.Trace); root != r.TraceRoot {
		return fmt.Errorf("%w: trace root %s, claimed %s", ErrBadTrace, root, r.TraceRoot)
	}
	if last := r.Trace[len(r.Trace)-1]; last != r.FinalStateRoot {
		return fmt.Errorf("%w: final state root %s is not the last trace entry %s", ErrBadTrace, r.FinalStateRoot, last)
	}
	return nil
}

func (r *ExecutionReceipt) check() error {
	if err := checkLen("receipt inboxed bundles", len(r.InboxedBundles), MaxBundlesPerBlock); err != nil {
		return err
	}
	if err := checkLen("receipt trace", len(r.Trace), MaxTraceLen); err != nil {
		return err
	}
	for i, b := range r.InboxedBundles {
		if err := b.Validity.check(); err != nil {
			return fmt.Errorf("inboxed bundle %d: %w", i, err)
		}
	}
	return nil
}

// GenesisReceipt is ER 0 (DESIGN.md §1.6): it is fixed by the domain's genesis
// block and the consensus genesis, and is confirmed from the start.
func GenesisReceipt(domainGenesis, genesisRoot, consensusGenesis common.Hash) *ExecutionReceipt {
	trace := []common.Hash{genesisRoot, genesisRoot}
	return &ExecutionReceipt{
		DomainHash:     domainGenesis,
		ExtrinsicsRoot: types.EmptyTxsHash,
		ConsensusHash:  consensusGenesis,
		InboxedBundles: []InboxedBundle{},
		ReceiptsRoot:   types.EmptyReceiptsHash,
		FinalStateRoot: genesisRoot,
		Trace:          trace,
		TraceRoot:      TraceRoot(trace),
	}
}

// DecodeReceipt decodes an ER from its canonical encoding.
func DecodeReceipt(b []byte) (*ExecutionReceipt, error) {
	r := new(ExecutionReceipt)
	if err := decode("receipt", b, MaxReceiptBytes, r); err != nil {
		return nil, err
	}
	if err := r.check(); err != nil {
		return nil, err
	}
	return r, nil
}

// rlpHash is keccak256(rlp(v)). Every caller passes one of this package's
// types, built only of fields whose encoding cannot fail (no big.Int, which
// fails when negative), so the panic marks a programming error.
func rlpHash(v any) common.Hash {
	b, err := rlp.EncodeToBytes(v)
	if err != nil {
		panic(fmt.Sprintf("protocol: encoding %T: %v", v, err))
	}
	return crypto.Keccak256Hash(b)
}

// decode decodes exactly one value from b into v, within a size limit.
func decode(what string, b []byte, max int, v any) error {
	if len(b) > max {
		return malformed(what, "%d bytes, limit %d", len(b), max)
	}
	if err := rlp.DecodeBytes(b, v); err != nil {
		return malformed(what, "%v", err)
	}
	return nil
}
