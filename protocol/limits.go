package protocol

import (
	"errors"
	"fmt"
)

// Limits on decoded values. They bound the memory an untrusted input can make
// a decoder or verifier use; a value over a limit is malformed, whatever the
// rest of it says. They are generous for the devnet and its tests.
const (
	// MaxBlockBytes bounds an encoded consensus block.
	MaxBlockBytes = 64 << 20
	// MaxBundleBytes bounds an encoded bundle, header and extrinsics.
	MaxBundleBytes = 8 << 20
	// MaxProofBytes bounds an encoded fraud proof, witness included.
	//
	// Known limit, a protocol question left open: a witness carries every
	// contract code its step reads, and EXTCODESIZE reads a whole code for
	// 2,600 gas. One transaction of about 1.85M gas touching 700 distinct
	// 24 KiB contracts already needs a 17.3 MB witness (measured in
	// review), and the 30M-gas domain block allows 16 times that. A bad
	// receipt whose faulty step is such a transaction cannot be proved.
	// Raising this bound cannot cover the worst case within MaxBlockBytes;
	// the fixes are protocol changes (witness bytes priced in gas, as
	// EIP-4762 does, a smaller domain gas limit, or bisection inside a
	// transaction).
	MaxProofBytes = 16 << 20
	// MaxReceiptBytes bounds an encoded execution receipt.
	MaxReceiptBytes = 4 << 20

	// MaxBundlesPerBlock bounds the bundles in one consensus block, and so the
	// inboxed entries of one ER.
	MaxBundlesPerBlock = 1024
	// MaxProofsPerBlock bounds the fraud proofs in one consensus block.
	MaxProofsPerBlock = 64
	// MaxSubmissionsPerBlock bounds receipt-only submissions in one block.
	MaxSubmissionsPerBlock = 1024
	// MaxExtrinsicsPerBundle bounds the extrinsics of one bundle.
	MaxExtrinsicsPerBundle = 8192
	// MaxExtrinsicBytes bounds one raw extrinsic (go-ethereum's pool takes 128 KiB).
	MaxExtrinsicBytes = 128 << 10
	// MaxTraceLen bounds an ER's trace: a domain block holds at most
	// MaxTxsPerDomainBlock transactions, and the trace two entries more.
	MaxTxsPerDomainBlock = 1 << 16
	MaxTraceLen          = MaxTxsPerDomainBlock + 2
	// MaxWitnessItems bounds the headers, codes and trie nodes of a witness.
	MaxWitnessItems = 1 << 18
	// MaxProofNodes bounds the trie nodes of a Merkle proof in a fraud proof.
	MaxProofNodes = 1 << 16
)

// ErrMalformed is wrapped by every error that reports bytes or a value that
// does not have the shape this package defines.
var ErrMalformed = errors.New("malformed")

// malformed wraps ErrMalformed with what was being read and why.
func malformed(what string, format string, args ...any) error {
	return fmt.Errorf("%w %s: %s", ErrMalformed, what, fmt.Sprintf(format, args...))
}

// checkLen reports a list over its limit.
func checkLen(what string, n, max int) error {
	if n > max {
		return malformed(what, "%d entries, limit %d", n, max)
	}
	return nil
}

// ErrBodyMismatch reports a consensus header whose roots do not commit to the
// body that came with it.
var ErrBodyMismatch = errors.New("header does not commit to body")
