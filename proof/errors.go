package proof

import "errors"

// Why a proof fails verification, or a proof cannot be built. Every error
// the package returns wraps one of these with the particulars.
var (
	// ErrUnknownDomain: the proof names a domain consensus does not know.
	ErrUnknownDomain = errors.New("proof: unknown domain")
	// ErrUnknownReceipt: the bad receipt is not in the block tree (never
	// added, pruned, or confirmed long ago).
	ErrUnknownReceipt = errors.New("proof: unknown or pruned receipt")
	// ErrReceiptConfirmed: the bad receipt's challenge period is over.
	ErrReceiptConfirmed = errors.New("proof: receipt already confirmed")
	// ErrConsensusData: the consensus data the proof is checked against is
	// missing or inconsistent (no parent ER, no consensus block).
	ErrConsensusData = errors.New("proof: consensus data unavailable or inconsistent")
	// ErrAnchor: a carried header does not hash to the parent ER's domain
	// block hash, does not hold its final root, or headers do not hash-link.
	ErrAnchor = errors.New("proof: not anchored to the parent receipt")
	// ErrWitnessIncomplete: re-execution read a trie node, code, header or
	// account the proof does not carry.
	ErrWitnessIncomplete = errors.New("proof: incomplete witness")
	// ErrWitnessUnused: the proof carries an item re-execution never read.
	ErrWitnessUnused = errors.New("proof: witness holds unused items")
	// ErrNonCanonical: a list of the proof is not strictly ascending, or a
	// field that must be empty is not.
	ErrNonCanonical = errors.New("proof: non-canonical encoding")
	// ErrWrongPhase: the phase or index does not name a step of this block,
	// or a step proof is given for a trace of the wrong length.
	ErrWrongPhase = errors.New("proof: wrong phase")
	// ErrTxProof: the transaction or block body is not the one the ER's
	// extrinsics root commits to.
	ErrTxProof = errors.New("proof: transaction not under the extrinsics root")
	// ErrBlockMismatch: the carried block header is not the one the bad ER
	// describes.
	ErrBlockMismatch = errors.New("proof: block is not the one the receipt describes")
	// ErrNoSuchBundle: the bundle index is past the domain's bundles.
	ErrNoSuchBundle = errors.New("proof: no such inboxed bundle")
	// ErrValidityMismatch: the validity the proof claims is not the one
	// derivation gives.
	ErrValidityMismatch = errors.New("proof: claimed validity is not the derived one")
	// ErrPrecedingFault: a field ranked above the proved one is wrong, so the
	// proved field cannot be judged; prove that field instead.
	ErrPrecedingFault = errors.New("proof: a higher-priority field is wrong")
	// ErrExecution: re-execution failed for a reason other than a missing
	// witness item (a transaction not applicable, a bad header).
	ErrExecution = errors.New("proof: re-execution failed")
	// ErrRootsAgree: the field the proof targets is what re-derivation
	// gives: the receipt is right there.
	ErrRootsAgree = errors.New("proof: receipt agrees with re-derivation")

	// ErrHonestReceipt: Build found nothing wrong with the receipt.
	ErrHonestReceipt = errors.New("proof: receipt is honest")
	// ErrNotProvable: Build found the receipt differs from the honest one
	// only in fields consensus checks itself (number, parent, consensus
	// block), or its inputs do not describe the same block.
	ErrNotProvable = errors.New("proof: no provable fault")
)
