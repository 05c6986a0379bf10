package protocol

import (
	"bytes"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/trie"
)

// BundleHeader is what an operator signs: who made the bundle, for which slot,
// the proof that it won that slot, what the extrinsics weigh, and the ER the
// bundle carries.
type BundleHeader struct {
	Domain         DomainID
	Operator       OperatorID
	Slot           uint64
	ElectionProof  Signature // BLS signature over the election message
	DeclaredGas    uint64    // Σ of the txs' gas limits, as the operator claims
	ExtrinsicsRoot common.Hash
	ExtrinsicsSize uint64 // Σ of the raw extrinsics' lengths
	Receipt        ExecutionReceipt
}

// Hash is keccak(rlp(header)), the message the operator signs.
func (h *BundleHeader) Hash() common.Hash { return rlpHash(h) }

// SealedBundleHeader is a bundle header with the operator's signature over
// its hash.
type SealedBundleHeader struct {
	Header    BundleHeader
	Signature Signature
}

// Bundle is a sealed header and the raw EIP-2718 bytes of its transactions.
// Extrinsics are kept raw: a bundle may carry bytes that do not decode, and
// its root must still exist so that consensus can admit it and an ER can mark
// it Invalid(Undecodable).
type Bundle struct {
	Sealed     SealedBundleHeader
	Extrinsics [][]byte
}

// Hash identifies a bundle: the hash of its header.
func (b *Bundle) Hash() common.Hash { return b.Sealed.Header.Hash() }

// ExtrinsicsSize is the summed length of the raw extrinsics.
func ExtrinsicsSize(extrinsics [][]byte) uint64 {
	var n uint64
	for _, x := range extrinsics {
		n += uint64(len(x))
	}
	return n
}

// rawList lets go-ethereum's DeriveSha hash items as they are.
type rawList [][]byte

func (l rawList) Len() int                           { return len(l) }
func (l rawList) EncodeIndex(i int, w *bytes.Buffer) { w.Write(l[i]) }

// OrderedRoot is go-ethereum's ordered trie root (key rlp(i), value item i)
// over raw items. Over the binary encodings of transactions it equals
// types.DeriveSha of the transactions.
func OrderedRoot(items [][]byte) common.Hash {
	return types.DeriveSha(rawList(items), trie.NewStackTrie(nil))
}

// ExtrinsicsRoot is the root of a bundle's raw extrinsics.
func ExtrinsicsRoot(extrinsics [][]byte) common.Hash { return OrderedRoot(extrinsics) }

func (b *Bundle) check() error {
	if err := checkLen("bundle extrinsics", len(b.Extrinsics), MaxExtrinsicsPerBundle); err != nil {
		return err
	}
	for i, x := range b.Extrinsics {
		if len(x) > MaxExtrinsicBytes {
			return malformed("bundle extrinsic", "extrinsic %d is %d bytes, limit %d", i, len(x), MaxExtrinsicBytes)
		}
	}
	if err := b.Sealed.Header.Receipt.check(); err != nil {
		return fmt.Errorf("bundle receipt: %w", err)
	}
	return nil
}

// DecodeBundle decodes a bundle from its canonical encoding. It checks shape
// only; whether consensus admits the bundle is a separate question.
func DecodeBundle(b []byte) (*Bundle, error) {
	bundle := new(Bundle)
	if err := decode("bundle", b, MaxBundleBytes, bundle); err != nil {
		return nil, err
	}
	if err := bundle.check(); err != nil {
		return nil, err
	}
	return bundle, nil
}

// ReceiptSubmission is a receipt-only submission: an operator adds an ER to
// the block tree without a bundle, to catch the head up (DESIGN.md §1.6).
type ReceiptSubmission struct {
	Domain    DomainID
	Operator  OperatorID
	Receipt   ExecutionReceipt
	Signature Signature // over SigningHash
}

// SigningHash is the message the operator signs: keccak(rlp([domain,
// operator, receipt hash])).
func (s *ReceiptSubmission) SigningHash() common.Hash {
	return rlpHash([]any{s.Domain, s.Operator, s.Receipt.Hash()})
}
