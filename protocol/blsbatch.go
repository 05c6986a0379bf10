package protocol

import (
	"crypto/rand"

	"github.com/ethereum/go-ethereum/common"
	blst "github.com/supranational/blst/bindings/go"
)

// Checking many BLS signatures at once.
//
// A follower checks every signature of a consensus block: per bundle the
// seal and the election proof, per receipt submission the seal. One at a
// time, each costs two Miller loops and a final exponentiation. A batch
// checks n of them with n+1 Miller loops and one final exponentiation:
// it weights signature i by a secret random 64-bit scalar r_i and checks
// e(Σ r_i·sig_i, g1) = Π e(r_i·pk_i, H(msg_i)) (blst's
// MultipleAggregateVerify). The weights make the batch as strict as the
// single checks but for a 2^-63 chance per batch: without them, two wrong
// signatures whose errors cancel could pass together. They come from
// crypto/rand, after the signatures are fixed, so a block's author cannot
// aim at them.
//
// A batch only answers "all valid or not": when it fails, the caller checks
// the signatures one by one (VerifySignature and friends) to name the bad
// one, so a verdict reads the same whichever way it was reached.

// VerifyingKey is a public key decoded and validated once, for checking
// many signatures without decoding it each time. It is immutable and safe
// for concurrent use.
type VerifyingKey struct {
	pk PublicKey
	p  *blst.P1Affine
}

// ParsePublicKey decodes and validates pk as ValidatePublicKey does.
// Errors wrap ErrBadPublicKey.
func ParsePublicKey(pk PublicKey) (*VerifyingKey, error) {
	p, err := decodePublicKey(pk)
	if err != nil {
		return nil, err
	}
	return &VerifyingKey{pk: pk, p: p}, nil
}

// PublicKey returns the key's compressed encoding.
func (k *VerifyingKey) PublicKey() PublicKey { return k.pk }

// SignatureBatch collects signatures to check together. The zero value is
// an empty batch; a batch belongs to one goroutine.
type SignatureBatch struct {
	keys []*blst.P1Affine
	msgs []blst.Message
	sigs []*blst.P2Affine
	// malformed is set when a signature did not decode: the batch cannot
	// pass, and Verify says so without any pairing.
	malformed bool
}

// Add queues sig as k's signature over msg. msg is kept, not copied.
func (b *SignatureBatch) Add(k *VerifyingKey, msg []byte, sig Signature) {
	s, err := decodeSignature(sig)
	if err != nil {
		b.malformed = true
		return
	}
	b.keys = append(b.keys, k.p)
	b.msgs = append(b.msgs, msg)
	b.sigs = append(b.sigs, s)
}

// AddBundle queues a bundle's seal and election proof under its operator's
// key k, given the randomness of the consensus block before the one
// carrying it: what CheckBundleSignatures checks.
func (b *SignatureBatch) AddBundle(k *VerifyingKey, x *Bundle, parentRandomness common.Hash) {
	h := &x.Sealed.Header
	hash := h.Hash()
	b.Add(k, hash[:], x.Sealed.Signature)
	b.Add(k, ElectionMessage(h.Domain, h.Slot, parentRandomness), h.ElectionProof)
}

// AddSubmission queues a receipt submission's seal under its operator's
// key k: what VerifySubmissionSignature checks.
func (b *SignatureBatch) AddSubmission(k *VerifyingKey, s *ReceiptSubmission) {
	hash := s.SigningHash()
	b.Add(k, hash[:], s.Signature)
}

// Len is the number of signatures queued.
func (b *SignatureBatch) Len() int { return len(b.sigs) }

// Verify reports whether every queued signature is valid; an empty batch
// is. Valid signatures always pass; a batch holding a wrong one passes
// with probability 2^-63 (the weights, above). False means at least one is
// malformed or wrong: check them one by one to learn which.
func (b *SignatureBatch) Verify() bool {
	switch {
	case b.malformed:
		return false
	case len(b.sigs) == 0:
		return true
	case len(b.sigs) == 1:
		// One signature gains nothing from weighting.
		return b.sigs[0].Verify(false, b.keys[0], false, b.msgs[0], []byte(blsDST))
	}
	// Keys and signatures were validated when decoded: blst's own
	// checks are skipped. blst may call batchWeight from several
	// goroutines.
	return new(blst.P2Affine).MultipleAggregateVerify(b.sigs, false, b.keys, false,
		b.msgs, []byte(blsDST), batchWeight, batchWeightBits)
}

// batchWeightBits is the size of a batch weight: a forged batch passes with
// probability 2^-63 (2^-64 less the forced low bit).
const batchWeightBits = 64

// batchWeight sets s to a fresh random nonzero 64-bit weight. crypto/rand's
// Read never fails (it aborts the program if the system's source does).
func batchWeight(s *blst.Scalar) {
	var be [32]byte // big-endian scalar; only the low 8 bytes are set
	rand.Read(be[24:])
	be[31] |= 1 // nonzero: a zero weight would drop its signature
	s.FromBEndian(be[:])
}
