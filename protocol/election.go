package protocol

import (
	"errors"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rlp"
)

// Bundle-producer election (DESIGN.md §1.3).
//
// For each slot an operator signs ElectionMessage(domain, slot, randomness),
// where randomness is that of the consensus block K = 1 back. The signature
// is the election proof; keccak of its 96 bytes is the output, read as a
// big-endian integer in [0, 2^256). The operator wins the slot iff
//
//	output × totalStake × q < p × stake × 2^256
//
// so a winning output is uniform below 2^256 × (p/q) × (stake/totalStake),
// and the chance of winning is p/q × stake/totalStake (capped at 1). The
// comparison is exact. Since a BLS signature is unique for its key and
// message, the operator has exactly one output per slot and cannot grind it.

// ElectionTag opens every election message.
const ElectionTag = "bundle_producer_election"

var (
	// ErrBadElectionProof reports an election proof that is not the
	// operator's valid signature over the election message.
	ErrBadElectionProof = errors.New("bad election proof")
	// ErrNotElected reports a valid election proof whose output does not win
	// the slot for the operator's stake.
	ErrNotElected = errors.New("operator not elected")
)

// SlotProbability is p/q, the chance that a slot has a bundle producer when
// all stake takes part: Num = p, Den = q.
type SlotProbability struct {
	Num, Den uint64
}

// Validate reports whether 0 < p ≤ q.
func (p SlotProbability) Validate() error {
	if p.Num == 0 || p.Den == 0 || p.Num > p.Den {
		return fmt.Errorf("slot probability %d/%d: need 0 < p ≤ q", p.Num, p.Den)
	}
	return nil
}

// String formats p as "p/q".
func (p SlotProbability) String() string { return fmt.Sprintf("%d/%d", p.Num, p.Den) }

// ElectionMessage is what an operator signs to claim a slot:
//
//	rlp([ElectionTag, domain, slot, randomness])
//
// with domain and slot as RLP integers and randomness as a 32-byte string.
// Its length is 62 to 74 bytes, never the 32 of a signed hash.
func ElectionMessage(domain DomainID, slot uint64, randomness common.Hash) []byte {
	w := rlp.NewEncoderBuffer(nil)
	list := w.List()
	w.WriteString(ElectionTag)
	w.WriteUint64(uint64(domain))
	w.WriteUint64(slot)
	w.WriteBytes(randomness[:])
	w.ListEnd(list)
	return w.ToBytes()
}

// ElectionProof is sk's signature over ElectionMessage(domain, slot,
// randomness).
func ElectionProof(sk *SecretKey, domain DomainID, slot uint64, randomness common.Hash) Signature {
	return sk.Sign(ElectionMessage(domain, slot, randomness))
}

// ElectionOutput is keccak256 of the proof's 96 bytes.
func ElectionOutput(proof Signature) common.Hash {
	return crypto.Keccak256Hash(proof[:])
}

// IsElected reports whether output wins a slot for an operator holding stake
// of totalStake, at slot probability prob: output × totalStake × q <
// p × stake × 2^256, in exact arithmetic. Zero stake, zero total stake or an
// invalid prob never wins. A stake above totalStake is not rejected here
// (VerifyElection rejects it); it only raises the odds.
func IsElected(output common.Hash, stake, totalStake uint64, prob SlotProbability) bool {
	if stake == 0 || totalStake == 0 || prob.Validate() != nil {
		return false
	}
	lhs := new(big.Int).SetBytes(output[:])
	lhs.Mul(lhs, new(big.Int).SetUint64(totalStake))
	lhs.Mul(lhs, new(big.Int).SetUint64(prob.Den))

	rhs := new(big.Int).SetUint64(prob.Num)
	rhs.Mul(rhs, new(big.Int).SetUint64(stake))
	rhs.Lsh(rhs, 256)
	return lhs.Cmp(rhs) < 0
}

// VerifyElection checks an operator's claim to a slot: proof must be pk's
// valid signature over ElectionMessage(domain, slot, randomness) (else the
// error wraps ErrBadElectionProof, and ErrBadPublicKey or ErrBadSignature
// beside it), and its output must win for stake of totalStake at prob (else
// ErrNotElected, as for zero stake). Inconsistent inputs (invalid prob, stake
// above totalStake) give an error that wraps neither sentinel: they are a
// fault of the caller's registry, not of the operator's proof.
func VerifyElection(pk PublicKey, domain DomainID, slot uint64, randomness common.Hash,
	proof Signature, stake, totalStake uint64, prob SlotProbability) error {
	if err := prob.Validate(); err != nil {
		return fmt.Errorf("election of slot %d: %w", slot, err)
	}
	if stake > totalStake {
		return fmt.Errorf("election of slot %d: stake %d above total stake %d", slot, stake, totalStake)
	}
	if err := VerifySignature(pk, ElectionMessage(domain, slot, randomness), proof); err != nil {
		return fmt.Errorf("%w: domain %d slot %d: %w", ErrBadElectionProof, domain, slot, err)
	}
	if !IsElected(ElectionOutput(proof), stake, totalStake, prob) {
		return fmt.Errorf("%w: domain %d slot %d, stake %d of %d at %s", ErrNotElected, domain, slot, stake, totalStake, prob)
	}
	return nil
}
