package protocol

import (
	"encoding/hex"
	"fmt"
)

// DomainID names a domain (an execution chain) registered on consensus.
type DomainID uint32

// OperatorID names a staked operator.
type OperatorID uint64

// BLS12-381 sizes in the min-pk setting: public keys in G1, signatures in G2.
const (
	PublicKeySize = 48
	SignatureSize = 96
)

// PublicKey is a compressed BLS12-381 G1 public key.
type PublicKey [PublicKeySize]byte

// Signature is a compressed BLS12-381 G2 signature. An election proof is a
// Signature too: the operator's signature over the election message.
type Signature [SignatureSize]byte

func (k PublicKey) String() string { return "0x" + hex.EncodeToString(k[:]) }
func (s Signature) String() string { return "0x" + hex.EncodeToString(s[:]) }

// InvalidKind says why a bundle is Invalid. The zero value is not a kind.
type InvalidKind uint8

const (
	// InvalidUndecodable: an extrinsic is not a decodable EIP-2718 transaction
	// of an allowed type (0, 1 or 2).
	InvalidUndecodable InvalidKind = iota + 1
	// InvalidIllegalTx: a transaction fails one of go-ethereum's pre-checks in
	// the running validity context (nonce, cost, intrinsic gas, init code size,
	// fee cap below base fee, chain id, signature).
	InvalidIllegalTx
	// InvalidBundleWeight: declared gas differs from the sum of gas limits.
	InvalidBundleWeight
)

func (k InvalidKind) String() string {
	switch k {
	case InvalidUndecodable:
		return "Undecodable"
	case InvalidIllegalTx:
		return "IllegalTx"
	case InvalidBundleWeight:
		return "InvalidBundleWeight"
	}
	return fmt.Sprintf("InvalidKind(%d)", uint8(k))
}

func (k InvalidKind) valid() bool { return k >= InvalidUndecodable && k <= InvalidBundleWeight }
