package proof

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/rlp"

	"github.com/receiptd/receiptd/protocol"
)

// Evidence is a proof file: a fraud proof with the consensus data it is
// checked against, so that anyone can verify it offline with no domain
// state and no node (`receiptd proof verify FILE`). Everything but the
// spec is hash-linked to the proof: the bad receipt hashes to the proof's
// BadReceiptHash, the parent to the bad receipt's parent link, the
// consensus block to the bad receipt's consensus hash. The spec gives the
// domain's chain id and gas limit; a reader who doubts it compares its
// hash with the chain's genesis (the genesis header's parent hash).
type Evidence struct {
	Spec      *protocol.ChainSpec
	Parent    protocol.ExecutionReceipt
	Bad       protocol.ExecutionReceipt
	Consensus []byte // the consensus block that derived the bad receipt's domain block
	Proof     []byte
}

// evidenceMagic starts a proof file; the last byte is the format version.
var evidenceMagic = []byte("RCPTPRF\x01")

// MaxEvidenceBytes bounds a proof file.
const MaxEvidenceBytes = protocol.MaxProofBytes + protocol.MaxBlockBytes + 2*protocol.MaxReceiptBytes + 1<<20

// ErrEvidence reports a proof file that is not well formed or whose parts
// do not fit together.
var ErrEvidence = errors.New("proof: bad proof file")

// MarshalBinary encodes the evidence.
func (e *Evidence) MarshalBinary() ([]byte, error) {
	body, err := rlp.EncodeToBytes(e)
	if err != nil {
		return nil, err
	}
	return append(bytes.Clone(evidenceMagic), body...), nil
}

// DecodeEvidence decodes a proof file and checks that its parts fit
// together; it returns the decoded proof as well.
func DecodeEvidence(b []byte) (*Evidence, *protocol.FraudProof, error) {
	if len(b) > MaxEvidenceBytes {
		return nil, nil, fmt.Errorf("%w: %d bytes, limit %d", ErrEvidence, len(b), MaxEvidenceBytes)
	}
	if !bytes.HasPrefix(b, evidenceMagic[:7]) {
		return nil, nil, fmt.Errorf("%w: not a receiptd proof file", ErrEvidence)
	}
	if len(b) < 8 || b[7] != evidenceMagic[7] {
		return nil, nil, fmt.Errorf("%w: unsupported version", ErrEvidence)
	}
	e := new(Evidence)
	if err := rlp.DecodeBytes(b[8:], e); err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrEvidence, err)
	}
	if e.Spec == nil {
		return nil, nil, fmt.Errorf("%w: no chain spec", ErrEvidence)
	}
	p, err := protocol.DecodeProof(e.Proof)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrEvidence, err)
	}
	if h := e.Bad.Hash(); h != p.BadReceiptHash {
		return nil, nil, fmt.Errorf("%w: the receipt in the file is %s, the proof is against %s", ErrEvidence, h, p.BadReceiptHash)
	}
	return e, p, nil
}

type oneBlock struct{ b *protocol.Block }

func (o oneBlock) ConsensusBlock(h common.Hash) (*protocol.Block, error) {
	if o.b.Hash() != h {
		return nil, fmt.Errorf("the file holds consensus block %s, not %s", o.b.Hash(), h)
	}
	return o.b, nil
}

// VerifyEvidence checks a proof file offline: the proof against the
// consensus data the file carries. It returns the proof when it holds.
func VerifyEvidence(ctx context.Context, b []byte) (*protocol.FraudProof, error) {
	e, p, err := DecodeEvidence(b)
	if err != nil {
		return nil, err
	}
	block, err := protocol.DecodeBlock(e.Consensus)
	if err != nil {
		return nil, fmt.Errorf("%w: consensus block: %w", ErrEvidence, err)
	}
	st, err := protocol.EvidenceState(e.Spec, p.Domain, &e.Parent, &e.Bad)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrEvidence, err)
	}
	v, err := NewVerifier(oneBlock{block}, Config{})
	if err != nil {
		return nil, err
	}
	if err := v.Verify(ctx, st, p); err != nil {
		return nil, err
	}
	return p, nil
}
