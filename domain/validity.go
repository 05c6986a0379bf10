package domain

import (
	"fmt"
	"math"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/core/vm"
	"github.com/ethereum/go-ethereum/params"
	"github.com/holiman/uint256"

	"github.com/receiptd/receiptd/protocol"
)

// AccountReader reads the accounts the validity checks need from the parent
// block's final state. *state.StateDB satisfies it.
type AccountReader interface {
	GetNonce(common.Address) uint64
	GetBalance(common.Address) *uint256.Int
	GetCodeHash(common.Address) common.Hash
}

// account is a sender's state in the validity context.
type account struct {
	nonce   uint64
	balance uint256.Int
}

// validityContext runs DESIGN.md §1.5 step 1: every legal transaction sets
// its sender's nonce + 1 and debits its maximum cost; incoming value is never
// credited, so a later shuffle can only find more funds, never fewer.
type validityContext struct {
	config   *params.ChainConfig
	header   *types.Header
	rules    params.Rules
	state    AccountReader
	accounts map[common.Address]*account // committed: from Valid bundles
	seen     map[common.Hash]bool        // tx hashes kept by Valid bundles
}

func newValidityContext(cfg *params.ChainConfig, header *types.Header, state AccountReader) *validityContext {
	return &validityContext{
		config:   cfg,
		header:   header,
		rules:    cfg.Rules(header.Number, true, header.Time),
		state:    state,
		accounts: make(map[common.Address]*account),
		seen:     make(map[common.Hash]bool),
	}
}

// bundleResult is the verdict on one bundle and, if Valid, what it keeps.
type bundleResult struct {
	validity protocol.BundleValidity
	kept     []int // indexes of the kept (not duplicate) txs
}

// checkBundle judges one bundle in the running context and, if it is Valid,
// commits its debits and hashes. Priority (DESIGN.md §1.5): the lowest
// undecodable tx, then the lowest illegal tx, then the declared weight.
func (v *validityContext) checkBundle(b *PreparedBundle) bundleResult {
	for i, t := range b.Txs {
		if t.Tx == nil {
			return bundleResult{validity: protocol.Invalid(protocol.InvalidUndecodable, uint32(i))}
		}
	}
	var (
		local    = make(map[common.Address]*account) // this bundle's debits
		seenHere = make(map[common.Hash]bool)
		kept     []int
		weight   uint64
	)
	for i, t := range b.Txs {
		if weight += t.Tx.Gas(); weight < t.Tx.Gas() {
			weight = math.MaxUint64 // saturate: no declared weight matches
		}
		hash := t.Tx.Hash()
		if v.seen[hash] || seenHere[hash] {
			continue // a duplicate is skipped, not illegal
		}
		acc := local[t.Sender]
		if t.SenderErr == nil && acc == nil {
			acc = v.load(t.Sender)
			local[t.Sender] = acc
		}
		if err := v.checkTx(t, acc); err != nil {
			return bundleResult{validity: protocol.Invalid(protocol.InvalidIllegalTx, uint32(i))}
		}
		acc.nonce++
		acc.balance.Sub(&acc.balance, maxCost(t.Tx))
		seenHere[hash] = true
		kept = append(kept, i)
	}
	if weight != b.Bundle.Sealed.Header.DeclaredGas {
		return bundleResult{validity: protocol.Invalid(protocol.InvalidBundleWeight, 0)}
	}
	for addr, acc := range local {
		v.accounts[addr] = acc
	}
	digest := make([]protocol.KeptTx, len(kept))
	for k, i := range kept {
		digest[k] = protocol.KeptTx{Sender: b.Txs[i].Sender, Hash: b.Txs[i].Tx.Hash()}
		v.seen[digest[k].Hash] = true
	}
	return bundleResult{validity: protocol.Valid(protocol.BundleDigest(digest)), kept: kept}
}

// load returns a copy of the sender's committed context account, reading the
// parent state the first time.
func (v *validityContext) load(addr common.Address) *account {
	if acc, ok := v.accounts[addr]; ok {
		cp := *acc
		return &cp
	}
	acc := &account{nonce: v.state.GetNonce(addr)}
	if bal := v.state.GetBalance(addr); bal != nil {
		acc.balance.Set(bal)
	}
	if ch := v.state.GetCodeHash(addr); ch != (common.Hash{}) && ch != types.EmptyCodeHash {
		return nil // EIP-3607: a sender with code can send nothing
	}
	return acc
}

// maxCost is gasLimit × max(gasPrice, feeCap) + value; for the allowed tx
// types gasPrice is the fee cap. Overflow was ruled out by checkTx.
func maxCost(tx *types.Transaction) *uint256.Int {
	cost, _ := uint256.FromBig(tx.Cost())
	return cost
}

// checkTx applies go-ethereum's pre-checks (core/state_transition.go
// preCheck and buyGas, IntrinsicGas, vm.CheckMaxInitCodeSize) to t in the
// context, with no EVM. They are mirrored by hand because go-ethereum runs
// them only inside a state transition with an EVM and a StateDB; each
// returns go-ethereum's own error value. The order differs from preCheck's
// but not the verdict: any error makes the tx illegal.
// acc is nil when the sender could not be recovered or holds code.
func (v *validityContext) checkTx(t PreparedTx, acc *account) error {
	tx := t.Tx
	switch tx.Type() {
	case types.LegacyTxType, types.AccessListTxType, types.DynamicFeeTxType:
	default:
		return fmt.Errorf("%w: type %d", types.ErrTxTypeNotSupported, tx.Type())
	}
	if t.SenderErr != nil {
		return t.SenderErr
	}
	if acc == nil {
		return core.ErrSenderNoEOA
	}
	switch {
	case tx.Nonce() > acc.nonce:
		return core.ErrNonceTooHigh
	case tx.Nonce() < acc.nonce:
		return core.ErrNonceTooLow
	case acc.nonce == math.MaxUint64:
		return core.ErrNonceMax
	}
	if tx.Gas() > v.header.GasLimit {
		return core.ErrGasLimitReached
	}
	if tx.GasFeeCap().BitLen() > 256 {
		return core.ErrFeeCapVeryHigh
	}
	if tx.GasTipCap().BitLen() > 256 {
		return core.ErrTipVeryHigh
	}
	if tx.GasFeeCap().Cmp(tx.GasTipCap()) < 0 {
		return core.ErrTipAboveFeeCap
	}
	if tx.GasFeeCap().Cmp(v.header.BaseFee) < 0 {
		return core.ErrFeeCapTooLow
	}
	cost, overflow := uint256.FromBig(tx.Cost())
	if overflow || acc.balance.Lt(cost) {
		return core.ErrInsufficientFunds
	}
	value, overflow := uint256.FromBig(tx.Value())
	if overflow {
		return core.ErrInsufficientFunds
	}
	gas, err := core.IntrinsicGas(tx.Data(), tx.AccessList(), nil, t.Sender, tx.To(), value, v.rules)
	if err != nil {
		return err
	}
	if tx.Gas() < gas {
		return core.ErrIntrinsicGas
	}
	if tx.To() == nil {
		if err := vm.CheckMaxInitCodeSize(&v.rules, uint64(len(tx.Data()))); err != nil {
			return err
		}
	}
	return nil
}

// CheckTx reports the go-ethereum pre-check error t would meet as the first
// transaction of a block on state: the rule the validity stage applies,
// exported for tests and tools that explain a verdict.
func CheckTx(cfg *params.ChainConfig, header *types.Header, state AccountReader, signer types.Signer, tx *types.Transaction) error {
	v := newValidityContext(cfg, header, state)
	t := PreparedTx{Tx: tx}
	t.Sender, t.SenderErr = types.Sender(signer, tx)
	var acc *account
	if t.SenderErr == nil {
		acc = v.load(t.Sender)
	}
	return v.checkTx(t, acc)
}
