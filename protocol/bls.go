package protocol

import (
	"errors"
	"fmt"

	blst "github.com/supranational/blst/bindings/go"
)

// BLS signatures (DESIGN.md §1.3, §1.4).
//
// The scheme is the IETF BLS signature draft's basic scheme over BLS12-381 in
// the min-pk setting, as Ethereum's consensus layer uses it: public keys are
// compressed G1 points (48 bytes), signatures compressed G2 points (96 bytes),
// messages are hashed to G2 with the ciphersuite below. The implementation is
// supranational/blst.
//
// Verification is strict: a key or signature must be a canonical compressed
// encoding of a point on the curve, in the prime-order subgroup, and not the
// point at infinity. So a valid signature is the only valid signature of its
// message under its key (BLS signatures are unique), which the election relies
// on: an operator cannot grind its election output.
//
// What is signed, each under the same ciphersuite:
//   - a bundle: the 32-byte header hash (BundleHeader.Hash);
//   - a receipt submission: the 32-byte ReceiptSubmission.SigningHash;
//   - an election: ElectionMessage, an RLP list that is never 32 bytes long,
//     so an election proof can never pass for a bundle or submission signature.

// blsDST is the domain separation tag of the basic-scheme ciphersuite for
// min-pk BLS12-381 signatures.
const blsDST = "BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_NUL_"

// MinKeyMaterial is the least input keying material GenerateKey accepts.
const MinKeyMaterial = 32

var (
	// ErrBadPublicKey reports a public key that is not a usable BLS12-381 G1
	// key: not a canonical compressed point, not in the subgroup, or infinity.
	ErrBadPublicKey = errors.New("bad BLS public key")
	// ErrBadSignature reports a signature that is malformed (not a canonical
	// compressed G2 point, not in the subgroup, infinity) or does not verify
	// for the message under the key.
	ErrBadSignature = errors.New("bad BLS signature")
)

// SecretKey is an operator's BLS12-381 secret key. Only GenerateKey makes a
// usable one; the zero value signs nothing valid. A SecretKey is safe for
// concurrent use.
type SecretKey struct {
	sk blst.SecretKey
}

// GenerateKey derives a secret key from input keying material with the BLS
// signature draft's KeyGen (HKDF-SHA-256 based). The same ikm always gives the
// same key. ikm must hold at least MinKeyMaterial bytes and, for a real key,
// that much entropy; devnets and tests may derive it from a seed.
func GenerateKey(ikm []byte) (*SecretKey, error) {
	if len(ikm) < MinKeyMaterial {
		return nil, fmt.Errorf("generate BLS key: %d bytes of keying material, need at least %d", len(ikm), MinKeyMaterial)
	}
	sk := blst.KeyGen(ikm)
	if sk == nil {
		return nil, errors.New("generate BLS key: key derivation failed")
	}
	key := &SecretKey{sk: *sk}
	sk.Zeroize() // blst's copy; ours lives as long as the SecretKey
	return key, nil
}

// PublicKey is the compressed G1 public key of sk.
func (sk *SecretKey) PublicKey() PublicKey {
	var pk PublicKey
	copy(pk[:], new(blst.P1Affine).From(&sk.sk).Compress())
	return pk
}

// Sign signs msg (hashed to G2 with the ciphersuite's DST) and returns the
// compressed signature. Signing is deterministic.
func (sk *SecretKey) Sign(msg []byte) Signature { return sk.signDST(msg, blsDST) }

func (sk *SecretKey) signDST(msg []byte, dst string) Signature {
	var sig Signature
	copy(sig[:], new(blst.P2Affine).Sign(&sk.sk, msg, []byte(dst)).Compress())
	return sig
}

// VerifySignature checks that sig is pk's signature over msg. It returns nil
// on success, an error wrapping ErrBadPublicKey if pk is not a valid key, and
// one wrapping ErrBadSignature if sig is malformed or does not verify.
func VerifySignature(pk PublicKey, msg []byte, sig Signature) error {
	return verifyDST(pk, msg, sig, blsDST)
}

func verifyDST(pk PublicKey, msg []byte, sig Signature, dst string) error {
	p, err := decodePublicKey(pk)
	if err != nil {
		return err
	}
	s, err := decodeSignature(sig)
	if err != nil {
		return err
	}
	// Both points are already validated, so blst's own checks are skipped.
	if !s.Verify(false, p, false, msg, []byte(dst)) {
		return fmt.Errorf("%w: does not verify under key %s", ErrBadSignature, pk)
	}
	return nil
}

// ValidatePublicKey reports whether pk is a usable key: a canonical
// compressed G1 point in the subgroup and not infinity. Registering an
// operator should check its key once with this; VerifySignature checks it
// again on every call.
func ValidatePublicKey(pk PublicKey) error {
	_, err := decodePublicKey(pk)
	return err
}

// The compressed encodings flag infinity in the second-highest bit of the
// first byte; the only valid infinity encoding is 0xc0 followed by zeros.
const infinityFlag = 0x40

func decodePublicKey(pk PublicKey) (*blst.P1Affine, error) {
	p := new(blst.P1Affine).Uncompress(pk[:])
	switch {
	case p == nil:
		return nil, fmt.Errorf("%w: not a compressed G1 point", ErrBadPublicKey)
	case pk[0]&infinityFlag != 0:
		return nil, fmt.Errorf("%w: point at infinity", ErrBadPublicKey)
	case !p.KeyValidate():
		return nil, fmt.Errorf("%w: not in the G1 subgroup", ErrBadPublicKey)
	}
	return p, nil
}

func decodeSignature(sig Signature) (*blst.P2Affine, error) {
	s := new(blst.P2Affine).Uncompress(sig[:])
	switch {
	case s == nil:
		return nil, fmt.Errorf("%w: not a compressed G2 point", ErrBadSignature)
	case sig[0]&infinityFlag != 0:
		return nil, fmt.Errorf("%w: point at infinity", ErrBadSignature)
	case !s.SigValidate(true):
		return nil, fmt.Errorf("%w: not in the G2 subgroup", ErrBadSignature)
	}
	return s, nil
}

// SignBundle seals h: the operator's signature over the header hash.
func SignBundle(sk *SecretKey, h *BundleHeader) SealedBundleHeader {
	hash := h.Hash()
	return SealedBundleHeader{Header: *h, Signature: sk.Sign(hash[:])}
}

// VerifyBundleSignature checks that s.Signature is pk's signature over the
// hash of s.Header. Errors wrap ErrBadPublicKey or ErrBadSignature.
func VerifyBundleSignature(pk PublicKey, s *SealedBundleHeader) error {
	hash := s.Header.Hash()
	if err := VerifySignature(pk, hash[:], s.Signature); err != nil {
		return fmt.Errorf("bundle %s of operator %d: %w", hash, s.Header.Operator, err)
	}
	return nil
}

// SignSubmission sets s.Signature to sk's signature over s.SigningHash().
func SignSubmission(sk *SecretKey, s *ReceiptSubmission) {
	hash := s.SigningHash()
	s.Signature = sk.Sign(hash[:])
}

// VerifySubmissionSignature checks that s.Signature is pk's signature over
// s.SigningHash(). Errors wrap ErrBadPublicKey or ErrBadSignature.
func VerifySubmissionSignature(pk PublicKey, s *ReceiptSubmission) error {
	hash := s.SigningHash()
	if err := VerifySignature(pk, hash[:], s.Signature); err != nil {
		return fmt.Errorf("receipt submission of operator %d: %w", s.Operator, err)
	}
	return nil
}
