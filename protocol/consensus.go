package protocol

import (
	"bytes"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/ethereum/go-ethereum/trie"
)

// Header is a consensus block header. Its timestamp is logical: genesis time
// plus slot × slot duration, so it only grows, whatever the wall clock does.
type Header struct {
	Number       uint64
	ParentHash   common.Hash
	Slot         uint64
	Timestamp    uint64
	Randomness   common.Hash
	Author       common.Address
	BundlesRoot  common.Hash // OrderedRoot of the encoded bundles
	ProofsRoot   common.Hash // OrderedRoot of the encoded fraud proofs
	ReceiptsRoot common.Hash // OrderedRoot of the encoded receipt submissions
}

// Hash is keccak(rlp(header)).
func (h *Header) Hash() common.Hash { return rlpHash(h) }

// Body is what a consensus block carries, in the order it is applied:
// fraud proofs, then receipt submissions, then bundles.
type Body struct {
	FraudProofs []*FraudProof
	Submissions []*ReceiptSubmission
	Bundles     []*Bundle
}

// Block is a consensus block.
type Block struct {
	Header Header
	Body   Body
}

// Hash is the header hash.
func (b *Block) Hash() common.Hash { return b.Header.Hash() }

// Roots computes the three roots a header commits to.
func (b *Body) Roots() (bundles, proofs, receipts common.Hash) {
	return orderedRootOf(b.Bundles), orderedRootOf(b.FraudProofs), orderedRootOf(b.Submissions)
}

// Seal sets the header's roots from the body.
func (b *Block) Seal() {
	b.Header.BundlesRoot, b.Header.ProofsRoot, b.Header.ReceiptsRoot = b.Body.Roots()
}

// CheckRoots reports whether the header's roots commit to the body.
func (b *Block) CheckRoots() error {
	bundles, proofs, receipts := b.Body.Roots()
	switch {
	case bundles != b.Header.BundlesRoot:
		return fmt.Errorf("%w: bundles root %s, header says %s", ErrBodyMismatch, bundles, b.Header.BundlesRoot)
	case proofs != b.Header.ProofsRoot:
		return fmt.Errorf("%w: proofs root %s, header says %s", ErrBodyMismatch, proofs, b.Header.ProofsRoot)
	case receipts != b.Header.ReceiptsRoot:
		return fmt.Errorf("%w: receipts root %s, header says %s", ErrBodyMismatch, receipts, b.Header.ReceiptsRoot)
	}
	return nil
}

func orderedRootOf[T any](items []*T) common.Hash {
	return types.DeriveSha(rlpList[T](items), trie.NewStackTrie(nil))
}

// rlpList lets DeriveSha encode each item straight into its buffer, so a
// block's bundles are not copied once more to be hashed.
type rlpList[T any] []*T

func (l rlpList[T]) Len() int { return len(l) }

func (l rlpList[T]) EncodeIndex(i int, w *bytes.Buffer) {
	if err := rlp.Encode(w, l[i]); err != nil {
		panic(fmt.Sprintf("protocol: encoding %T: %v", l[i], err))
	}
}

func (b *Block) check() error {
	if err := checkLen("block bundles", len(b.Body.Bundles), MaxBundlesPerBlock); err != nil {
		return err
	}
	if err := checkLen("block fraud proofs", len(b.Body.FraudProofs), MaxProofsPerBlock); err != nil {
		return err
	}
	if err := checkLen("block receipt submissions", len(b.Body.Submissions), MaxSubmissionsPerBlock); err != nil {
		return err
	}
	for i, p := range b.Body.FraudProofs {
		if err := p.check(); err != nil {
			return fmt.Errorf("fraud proof %d: %w", i, err)
		}
	}
	for i, s := range b.Body.Submissions {
		if err := s.Receipt.check(); err != nil {
			return fmt.Errorf("receipt submission %d: %w", i, err)
		}
	}
	for i, x := range b.Body.Bundles {
		if err := x.check(); err != nil {
			return fmt.Errorf("bundle %d: %w", i, err)
		}
	}
	return nil
}

// DecodeBlock decodes a consensus block and checks that its header commits to
// its body. It does not check the block against its parent.
func DecodeBlock(b []byte) (*Block, error) {
	block := new(Block)
	if err := decode("consensus block", b, MaxBlockBytes, block); err != nil {
		return nil, err
	}
	if err := block.check(); err != nil {
		return nil, err
	}
	if err := block.CheckRoots(); err != nil {
		return nil, fmt.Errorf("consensus block %d: %w", block.Header.Number, err)
	}
	return block, nil
}

// DecodeHeader decodes a consensus header.
func DecodeHeader(b []byte) (*Header, error) {
	h := new(Header)
	if err := decode("consensus header", b, 1<<10, h); err != nil {
		return nil, err
	}
	return h, nil
}
