package domain

import (
	"errors"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/consensus/misc"
	"github.com/ethereum/go-ethereum/consensus/misc/eip1559"
	"github.com/ethereum/go-ethereum/consensus/misc/eip4844"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/params"
)

// FeeRecipient is the coinbase of every domain block: the address
// keccak256("receiptd/domain/fee-recipient")[12:]. Nobody holds its key, so
// the tips it collects only move by protocol rule (fees are paid to
// operators when an ER is confirmed, DESIGN.md §1.6).
var FeeRecipient = common.HexToAddress("0xb4ba5Ab83bae445C86ceefE2A70D09Ea8B7B4536")

// feeRecipientLabel is the preimage FeeRecipient is derived from; a test
// pins the two together.
const feeRecipientLabel = "receiptd/domain/fee-recipient"

// ErrInvalidHeaderSpec reports a HeaderSpec from which no valid header follows.
var ErrInvalidHeaderSpec = errors.New("domain: invalid header spec")

// HeaderSpec is what a domain header takes from outside its parent
// (DESIGN.md §1.5 step 3).
type HeaderSpec struct {
	// Parent is the previous domain block's header. Required.
	Parent *types.Header
	// Time is the block timestamp, the consensus block's; it must exceed
	// the parent's.
	Time uint64
	// PrevRandao is the consensus block's randomness.
	PrevRandao common.Hash
	// BeaconRoot is the consensus block's hash, stored by EIP-4788.
	BeaconRoot common.Hash
	// Coinbase receives the tips; domain blocks use FeeRecipient.
	Coinbase common.Address
	// GasLimit is the block gas limit; 0 keeps the parent's. It may move
	// from the parent's by less than parent/1024 per block (EIP-1559).
	GasLimit uint64
}

// NewHeader returns the header of the block after s.Parent, before
// execution: Root, ReceiptHash, Bloom, GasUsed and TxHash are left for the
// executor. Base fee and excess blob gas follow EIP-1559 and EIP-4844, and
// the Cancun fields are set as geth's beacon engine requires.
func NewHeader(cfg *params.ChainConfig, s HeaderSpec) (*types.Header, error) {
	parent := s.Parent
	if parent == nil || parent.Number == nil {
		return nil, fmt.Errorf("%w: no parent header", ErrInvalidHeaderSpec)
	}
	if parent.BaseFee == nil {
		return nil, fmt.Errorf("%w: parent %d has no base fee", ErrInvalidHeaderSpec, parent.Number)
	}
	number := new(big.Int).Add(parent.Number, common.Big1)
	if err := checkFork(cfg, number, s.Time); err != nil {
		return nil, err
	}
	if s.Time <= parent.Time {
		return nil, fmt.Errorf("%w: time %d not after parent time %d", ErrInvalidHeaderSpec, s.Time, parent.Time)
	}
	gasLimit := s.GasLimit
	if gasLimit == 0 {
		gasLimit = parent.GasLimit
	}
	if err := misc.VerifyGaslimit(parent.GasLimit, gasLimit); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidHeaderSpec, err)
	}
	var (
		beaconRoot    = s.BeaconRoot
		blobGasUsed   uint64
		excessBlobGas = eip4844.CalcExcessBlobGas(cfg, parent, s.Time)
	)
	return &types.Header{
		ParentHash:       parent.Hash(),
		UncleHash:        types.EmptyUncleHash,
		Coinbase:         s.Coinbase,
		Difficulty:       new(big.Int),
		Number:           number,
		GasLimit:         gasLimit,
		Time:             s.Time,
		Extra:            []byte{},
		MixDigest:        s.PrevRandao,
		BaseFee:          eip1559.CalcBaseFee(cfg, parent),
		WithdrawalsHash:  &types.EmptyWithdrawalsHash,
		BlobGasUsed:      &blobGasUsed,
		ExcessBlobGas:    &excessBlobGas,
		ParentBeaconRoot: &beaconRoot,
	}, nil
}

// checkHeader reports whether h can be executed as a domain block: the
// fields NewHeader sets must be present, in particular those go-ethereum's
// execution reads without checking.
func checkHeader(cfg *params.ChainConfig, h *types.Header) error {
	switch {
	case h == nil:
		return fmt.Errorf("%w: nil header", ErrInvalidHeaderSpec)
	case h.Number == nil || h.Number.Sign() <= 0:
		return fmt.Errorf("%w: header number %v is not positive", ErrInvalidHeaderSpec, h.Number)
	case h.Difficulty == nil || h.Difficulty.Sign() != 0:
		return fmt.Errorf("%w: header difficulty %v is not 0", ErrInvalidHeaderSpec, h.Difficulty)
	case h.BaseFee == nil || h.BaseFee.Sign() < 0 || h.BaseFee.BitLen() > 256:
		return fmt.Errorf("%w: header base fee %v is missing or out of range", ErrInvalidHeaderSpec, h.BaseFee)
	case h.ParentBeaconRoot == nil:
		return fmt.Errorf("%w: header has no parent beacon root", ErrInvalidHeaderSpec)
	case h.ExcessBlobGas == nil || h.BlobGasUsed == nil:
		return fmt.Errorf("%w: header lacks blob gas fields", ErrInvalidHeaderSpec)
	}
	return checkFork(cfg, h.Number, h.Time)
}
