package workload

import (
	"crypto/ecdsa"
	"errors"
	"fmt"
	"math/big"
	"math/rand/v2"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/params"
)

// IllegalKind names a way a faulty operator's tx fails go-ethereum's
// pre-checks. The zero value is invalid.
type IllegalKind uint8

// The illegal kinds, each with the go-ethereum check that rejects it when the
// tx is applied (core.ApplyTransaction) in a block of the Alloc chain.
const (
	_ IllegalKind = iota
	// IllegalNonceTooHigh: nonce far above the sender's; state transition
	// preCheck returns core.ErrNonceTooHigh.
	IllegalNonceTooHigh
	// IllegalNonceTooLow: nonce below the sender's; preCheck returns
	// core.ErrNonceTooLow.
	IllegalNonceTooLow
	// IllegalInsufficientFunds: an unfunded key sends value; buyGas returns
	// core.ErrInsufficientFunds (gas × price + value above the balance).
	IllegalInsufficientFunds
	// IllegalFeeCapTooLow: a type-2 tx whose fee cap is baseFee − 1; preCheck
	// returns core.ErrFeeCapTooLow.
	IllegalFeeCapTooLow
	// IllegalWrongChainID: signed for chain id + 1; types.Sender (in
	// core.TransactionToMessage) returns types.ErrInvalidChainId.
	IllegalWrongChainID
	// IllegalIntrinsicGas: a transfer with gas limit 20,999; the state
	// transition returns core.ErrIntrinsicGas.
	IllegalIntrinsicGas
	// IllegalInitCodeTooLarge: a creation whose init code is one byte over
	// EIP-3860's params.MaxInitCodeSize; preCheck returns
	// vm.ErrMaxInitCodeSizeExceeded.
	IllegalInitCodeTooLarge
	// IllegalInvalidSignature: a type-2 tx whose signature is malleated to a
	// high s; types.Sender returns types.ErrInvalidSig (EIP-2).
	IllegalInvalidSignature

	illegalKindEnd
)

// IllegalKinds lists every valid IllegalKind.
func IllegalKinds() []IllegalKind {
	kinds := make([]IllegalKind, 0, illegalKindEnd-1)
	for k := IllegalNonceTooHigh; k < illegalKindEnd; k++ {
		kinds = append(kinds, k)
	}
	return kinds
}

func (k IllegalKind) String() string {
	switch k {
	case IllegalNonceTooHigh:
		return "nonce-too-high"
	case IllegalNonceTooLow:
		return "nonce-too-low"
	case IllegalInsufficientFunds:
		return "insufficient-funds"
	case IllegalFeeCapTooLow:
		return "fee-cap-too-low"
	case IllegalWrongChainID:
		return "wrong-chain-id"
	case IllegalIntrinsicGas:
		return "intrinsic-gas-too-low"
	case IllegalInitCodeTooLarge:
		return "init-code-too-large"
	case IllegalInvalidSignature:
		return "invalid-signature"
	default:
		return fmt.Sprintf("IllegalKind(%d)", uint8(k))
	}
}

// ErrUnknownIllegalKind is returned by Illegal for a kind outside IllegalKinds.
var ErrUnknownIllegalKind = errors.New("unknown illegal kind")

// faultNonce is the fault account's genesis nonce. Illegal txs are never
// included, so the account's nonce stays faultNonce forever: nonce 0 is
// always too low, faultNonce is always right, and no other check than the
// named one can fail, whatever the honest stream did meanwhile.
const faultNonce = 1

// faultNonceGap is how far IllegalNonceTooHigh skips; honest txs never reach it.
const faultNonceGap = 1 << 20

// faultState is what Illegal uses, apart from the honest stream: a funded
// fault account the honest stream never sends from, an unfunded key, and an
// RNG of their own, so calling Illegal changes no honest tx.
type faultState struct {
	key, unfunded *ecdsa.PrivateKey
	addr          common.Address
	rng           *rand.Rand
}

func newFaultState(seed int64) (faultState, error) {
	key, err := deriveKey(seed, "fault", 0)
	if err != nil {
		return faultState{}, err
	}
	unfunded, err := deriveKey(seed, "unfunded", 0)
	if err != nil {
		return faultState{}, err
	}
	return faultState{
		key:      key,
		unfunded: unfunded,
		addr:     crypto.PubkeyToAddress(key.PublicKey),
		rng:      rand.New(rand.NewPCG(uint64(seed), 0x6661756c74)), // "fault"
	}, nil
}

// FaultAccount is the funded sender of the illegal txs (genesis nonce 1).
func (g *Generator) FaultAccount() common.Address { return g.fault.addr }

// Illegal returns a signed tx that fails exactly the go-ethereum pre-check
// kind names, in any block of the Alloc chain whose base fee is baseFee (nil
// or negative: params.InitialBaseFee). Every call returns a distinct tx, so
// two illegal txs are never duplicates of each other. Illegal never touches
// the honest stream: Next returns the same txs whether or not it is called.
// IllegalFeeCapTooLow needs baseFee ≥ 1.
func (g *Generator) Illegal(kind IllegalKind, baseFee *big.Int) (*types.Transaction, error) {
	f := &g.fault
	baseFee = normBaseFee(baseFee)
	price := feePrice(baseFee, 1)
	to := common.BytesToAddress(crypto.Keccak256([]byte("receiptd/workload/sink")))
	inner := &types.DynamicFeeTx{
		ChainID:   g.cfg.ChainID,
		Nonce:     faultNonce,
		GasTipCap: big.NewInt(params.GWei),
		GasFeeCap: price,
		Gas:       GasTransfer,
		To:        &to,
		Value:     big.NewInt(1 + f.rng.Int64N(1e15)), // makes each call distinct
	}
	key, signer := f.key, g.signer
	switch kind {
	case IllegalNonceTooHigh:
		inner.Nonce = faultNonce + faultNonceGap
	case IllegalNonceTooLow:
		inner.Nonce = faultNonce - 1
	case IllegalInsufficientFunds:
		key, inner.Nonce = f.unfunded, 0
		inner.Value.Add(inner.Value, big.NewInt(params.Ether))
	case IllegalFeeCapTooLow:
		if baseFee.Sign() == 0 {
			return nil, fmt.Errorf("illegal %v: base fee is 0, no fee cap lies below it", kind)
		}
		inner.GasFeeCap = new(big.Int).Sub(baseFee, common.Big1)
		inner.GasTipCap = new(big.Int)
	case IllegalWrongChainID:
		inner.ChainID = new(big.Int).Add(g.cfg.ChainID, common.Big1)
		signer = types.NewCancunSigner(inner.ChainID)
	case IllegalIntrinsicGas:
		inner.Gas = params.TxGas - 1
	case IllegalInitCodeTooLarge:
		inner.To = nil
		inner.Data = make([]byte, params.MaxInitCodeSize+1)
		inner.Gas = 300_000 // above the 252,686 intrinsic gas of that init code
	case IllegalInvalidSignature:
		return g.malleated(inner)
	default:
		return nil, fmt.Errorf("illegal tx: %w: %v", ErrUnknownIllegalKind, kind)
	}
	tx, err := types.SignNewTx(key, signer, inner)
	if err != nil {
		return nil, fmt.Errorf("sign illegal %v tx: %w", kind, err)
	}
	return tx, nil
}

// secp256k1N is the order of the secp256k1 group.
var secp256k1N = crypto.S256().Params().N

// malleated signs inner and replaces s by N − s (flipping the recovery id):
// the same signer recovers, but EIP-2 forbids s above N/2.
func (g *Generator) malleated(inner *types.DynamicFeeTx) (*types.Transaction, error) {
	tx := types.NewTx(inner)
	sig, err := crypto.Sign(g.signer.Hash(tx).Bytes(), g.fault.key)
	if err != nil {
		return nil, fmt.Errorf("sign illegal %v tx: %w", IllegalInvalidSignature, err)
	}
	s := new(big.Int).SetBytes(sig[32:64])
	new(big.Int).Sub(secp256k1N, s).FillBytes(sig[32:64])
	sig[64] ^= 1
	tx, err = tx.WithSignature(g.signer, sig)
	if err != nil {
		return nil, fmt.Errorf("malleate illegal %v tx: %w", IllegalInvalidSignature, err)
	}
	return tx, nil
}
