// Package protocol is receiptd's model of a decoupled-execution (DecEx) network:
// the consensus chain's headers and bodies, bundles, execution receipts (ERs),
// inboxed-bundle validity and fraud proofs, with their RLP wire encoding,
// keccak-256 hashes and Merkle roots.
//
// # What it guarantees
//
// Every type here has one canonical encoding. The Decode* functions are the
// boundary between untrusted bytes and the rest of receiptd: they reject
// trailing bytes, non-canonical RLP, lists longer than the documented limits
// (see limits.go) and enum values this version does not know, each with an
// error that wraps ErrMalformed and says where the problem is. A value that
// came out of a Decode* function needs no further shape checks; protocol rules
// that need chain context (admission, the block tree) are separate functions.
//
// Hashes: a consensus header, a bundle header and an ER are identified by
// keccak256(rlp(value)). Lists committed to by a header (bundles, proofs,
// receipt submissions) and a bundle's extrinsics use go-ethereum's ordered
// trie (key rlp(i)) over the items' bytes, so the extrinsics root of a bundle
// whose transactions all decode equals types.DeriveSha of those transactions,
// and a root still exists when one of them does not decode.
//
// # Decisions the design leaves open
//
//   - DESIGN.md names five fraud-proof kinds; Autonomys' InvalidBundles and
//     ValidBundle are both the BundleValidity kind here (the proof carries the
//     true validity, so the direction is in the payload), and InvalidBlockFees
//     is InvalidExecutionResult with ResultFees.
//   - Invalid(InvalidBundleWeight) carries tx index 0: the weight is a property
//     of the whole bundle.
//   - A bundle header carries the byte size of its extrinsics beside their root,
//     so admission can check "the extrinsics root and size match".
//   - A receipt-only submission names its domain, since an ER does not.
//
// # Imports
//
// protocol imports go-ethereum's common, rlp, crypto, trie and core/types and
// nothing of receiptd's: every other package may import it, it imports none.
package protocol
