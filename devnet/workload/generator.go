package workload

import (
	"crypto/ecdsa"
	"encoding/binary"
	"fmt"
	"math/big"
	"math/rand/v2"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/params"
	"github.com/holiman/uint256"
)

// Gas limit of each honest transaction kind. Each covers its kind's worst
// case (type-1 access list included, a fresh recipient or fresh slots) with
// a margin; the tests check every receipt against them.
const (
	GasTransfer uint64 = 21_000  // plain ETH transfer
	GasToken    uint64 = 80_000  // token transfer(); uses about 53,000
	GasStorage  uint64 = 240_000 // K = 8 fresh SSTOREs; uses about 201,000
	GasDeploy   uint64 = 180_000 // token deployment; uses about 128,000

	// MaxTxGas is the largest gas limit of an honest transaction. A block
	// whose gas limit is L holds any ⌊L / MaxTxGas⌋ consecutive txs of the
	// stream (125 for 30M); with DefaultMix the average gas limit is about
	// 90,000, so a bundle's declared gas is about 90,000 × its tx count.
	MaxTxGas = GasStorage
)

// Genesis balances.
var (
	// FundedBalance is each funded account's ETH balance at genesis, 10^24 wei:
	// about 10^9 of the costliest txs at a 4 gwei price.
	FundedBalance = new(big.Int).Exp(big.NewInt(10), big.NewInt(24), nil)
	// FundedTokens is each funded account's token balance at genesis, 10^30;
	// honest token transfers move at most 10^6, so no balance runs short.
	FundedTokens = new(uint256.Int).Exp(uint256.NewInt(10), uint256.NewInt(30))
)

// Fixed contract addresses, independent of the seed; the seed changes only keys.
var (
	tokenAddress   = common.BytesToAddress(crypto.Keccak256([]byte("receiptd/workload/token"))[12:])
	storageAddress = common.BytesToAddress(crypto.Keccak256([]byte("receiptd/workload/storage"))[12:])
)

type kind int

const (
	kindTransfer kind = iota
	kindToken
	kindStorage
	kindDeploy
)

// Generator emits a deterministic stream of signed, valid transactions and,
// on request, illegal or undecodable ones. It is not safe for concurrent use:
// one goroutine owns it.
type Generator struct {
	cfg     Config
	signer  types.Signer
	code    contracts
	keys    []*ecdsa.PrivateKey
	addrs   []common.Address
	nonces  []uint64   // next nonce of each funded account in the honest stream
	rng     *rand.Rand // drives the honest stream only
	weights [4]int     // indexed by kind
	total   int
	seq     uint64 // honest txs emitted so far
	fault   faultState
}

// New validates cfg, fills its defaults and derives the keys.
func New(cfg Config) (*Generator, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	cfg.ChainID = new(big.Int).Set(cfg.ChainID)
	g := &Generator{
		cfg:     cfg,
		signer:  types.NewCancunSigner(cfg.ChainID),
		code:    buildContracts(),
		keys:    make([]*ecdsa.PrivateKey, cfg.Accounts),
		addrs:   make([]common.Address, cfg.Accounts),
		nonces:  make([]uint64, cfg.Accounts),
		rng:     rand.New(rand.NewPCG(uint64(cfg.Seed), 0x776f726b6c6f6164)), // "workload"
		weights: [4]int{cfg.Mix.Transfer, cfg.Mix.Token, cfg.Mix.Storage, cfg.Mix.Deploy},
	}
	for _, w := range g.weights {
		g.total += w
	}
	for i := range g.keys {
		key, err := deriveKey(cfg.Seed, "funded", uint64(i))
		if err != nil {
			return nil, err
		}
		g.keys[i], g.addrs[i] = key, crypto.PubkeyToAddress(key.PublicKey)
	}
	fault, err := newFaultState(cfg.Seed)
	if err != nil {
		return nil, err
	}
	g.fault = fault
	return g, nil
}

// deriveKey returns the secp256k1 key keccak256(tag ‖ seed ‖ index ‖ attempt)
// for the first attempt that is a valid scalar.
func deriveKey(seed int64, tag string, index uint64) (*ecdsa.PrivateKey, error) {
	buf := make([]byte, 0, len(tag)+24)
	buf = append(buf, "receiptd/workload/"+tag...)
	buf = binary.BigEndian.AppendUint64(buf, uint64(seed))
	buf = binary.BigEndian.AppendUint64(buf, index)
	for attempt := uint64(0); attempt < 16; attempt++ {
		key, err := crypto.ToECDSA(crypto.Keccak256(binary.BigEndian.AppendUint64(buf, attempt)))
		if err == nil {
			return key, nil
		}
	}
	return nil, fmt.Errorf("derive %s key %d: no valid scalar in 16 attempts", tag, index)
}

// Signer is the Cancun signer of the configured chain id; it recovers the
// sender of every tx the Generator emits except IllegalWrongChainID and
// IllegalInvalidSignature.
func (g *Generator) Signer() types.Signer { return g.signer }

// TokenAddress is where Alloc places the token contract.
func (g *Generator) TokenAddress() common.Address { return tokenAddress }

// StorageAddress is where Alloc places the storage-heavy contract.
func (g *Generator) StorageAddress() common.Address { return storageAddress }

// Accounts returns the funded senders of the honest stream, in key order.
func (g *Generator) Accounts() []common.Address { return append([]common.Address(nil), g.addrs...) }

// TokenRuntime returns the token contract's code, as Alloc places it and as
// every deployment creates it.
func (g *Generator) TokenRuntime() []byte { return common.CopyBytes(g.code.tokenRuntime) }

// StorageRuntime returns the storage-heavy contract's code.
func (g *Generator) StorageRuntime() []byte { return common.CopyBytes(g.code.storageRuntime) }

// Alloc returns a fresh genesis allocation: every funded account with
// FundedBalance and FundedTokens, the fault account (nonce 1, see Illegal),
// the token contract with those balances in storage, and the storage
// contract. System contracts (EIP-4788) are the caller's to add.
func (g *Generator) Alloc() types.GenesisAlloc {
	alloc := make(types.GenesisAlloc, len(g.addrs)+3)
	balances := make(map[common.Hash]common.Hash, len(g.addrs)+1)
	tokens := common.Hash(FundedTokens.Bytes32())
	for _, addr := range g.addrs {
		alloc[addr] = types.Account{Balance: new(big.Int).Set(FundedBalance)}
		balances[TokenBalanceSlot(addr)] = tokens
	}
	alloc[g.fault.addr] = types.Account{Balance: new(big.Int).Set(FundedBalance), Nonce: faultNonce}
	balances[TokenBalanceSlot(g.fault.addr)] = tokens
	alloc[tokenAddress] = types.Account{Code: g.TokenRuntime(), Storage: balances, Nonce: 1, Balance: new(big.Int)}
	alloc[storageAddress] = types.Account{Code: g.StorageRuntime(), Nonce: 1, Balance: new(big.Int)}
	return alloc
}

// Next returns the next signed transaction of the honest stream and advances
// its sender's nonce. The sender, kind and tx type come from the seeded RNG;
// types 0, 1 and 2 appear in ratio 1:1:2.
//
// Fees are priced for baseFee, the base fee of the block the tx is meant
// for: the fee cap (or gas price) is 2 × baseFee + a 1–3 gwei tip, so the tx
// stays includable while the base fee at most doubles (about six full
// blocks). A nil or negative baseFee is taken as params.InitialBaseFee.
//
// Every tx succeeds (receipt status 1) when the stream is executed in order
// on the chain of Alloc, under Cancun rules, with the fee premise above and
// the block gas limit respected (see MaxTxGas).
func (g *Generator) Next(baseFee *big.Int) *types.Transaction {
	tx, _ := g.NextWithSender(baseFee)
	return tx
}

// NextWithSender is Next that also returns the sender, sparing the caller
// a signature recovery.
func (g *Generator) NextWithSender(baseFee *big.Int) (*types.Transaction, common.Address) {
	k := g.pickKind()
	i := g.rng.IntN(len(g.keys))
	from, nonce := g.addrs[i], g.nonces[i]
	price := feePrice(baseFee, g.rng.IntN(3)+1)
	tip := new(big.Int).Sub(price, doubled(baseFee))

	var (
		to     *common.Address
		value  = new(big.Int)
		data   []byte
		gas    uint64
		access types.AccessList
	)
	switch k {
	case kindTransfer:
		recipient := g.recipient()
		to, gas = &recipient, GasTransfer
		value.SetUint64(1 + g.rng.Uint64N(1e15))
	case kindToken:
		recipient := g.recipient()
		data = TransferCalldata(recipient, 1+g.rng.Uint64N(1_000_000))
		to, gas = &tokenAddress, GasToken
		access = types.AccessList{{Address: tokenAddress, StorageKeys: []common.Hash{TokenBalanceSlot(from)}}}
	case kindStorage:
		seed := storageSeed(g.seq)
		data = seed[:]
		to, gas = &storageAddress, GasStorage
		access = types.AccessList{{Address: storageAddress}}
	case kindDeploy:
		data, gas = common.CopyBytes(g.code.tokenInitCode), GasDeploy
	}

	var inner types.TxData
	switch g.rng.IntN(4) {
	case 0:
		inner = &types.LegacyTx{Nonce: nonce, GasPrice: price, Gas: gas, To: to, Value: value, Data: data}
	case 1:
		inner = &types.AccessListTx{ChainID: g.cfg.ChainID, Nonce: nonce, GasPrice: price, Gas: gas, To: to, Value: value, Data: data, AccessList: access}
	default:
		inner = &types.DynamicFeeTx{ChainID: g.cfg.ChainID, Nonce: nonce, GasTipCap: tip, GasFeeCap: price, Gas: gas, To: to, Value: value, Data: data}
	}
	g.nonces[i]++
	g.seq++
	// Signing with a valid key and a supported tx type cannot fail.
	return types.MustSignNewTx(g.keys[i], g.signer, inner), from
}

func (g *Generator) pickKind() kind {
	r := g.rng.IntN(g.total)
	for k, w := range g.weights {
		if r < w {
			return kind(k)
		}
		r -= w
	}
	panic("workload: weights do not sum to total") // unreachable: total is their sum
}

// recipient is a funded account or, as often, a fresh address, so transfers
// both circulate funds and grow the account set.
func (g *Generator) recipient() common.Address {
	if g.rng.IntN(2) == 0 {
		return g.addrs[g.rng.IntN(len(g.addrs))]
	}
	var b [24]byte
	for i := 0; i < 24; i += 8 {
		binary.BigEndian.PutUint64(b[i:], g.rng.Uint64())
	}
	return common.BytesToAddress(b[:20])
}

// TransferCalldata encodes transfer(to, amount) for the token contract.
func TransferCalldata(to common.Address, amount uint64) []byte {
	data := make([]byte, 68)
	copy(data, SelectorTransfer[:])
	copy(data[16:36], to[:])
	binary.BigEndian.PutUint64(data[60:], amount)
	return data
}

// BalanceOfCalldata encodes balanceOf(holder) for the token contract.
func BalanceOfCalldata(holder common.Address) []byte {
	data := make([]byte, 36)
	copy(data, SelectorBalanceOf[:])
	copy(data[16:36], holder[:])
	return data
}

func normBaseFee(baseFee *big.Int) *big.Int {
	if baseFee == nil || baseFee.Sign() < 0 {
		return big.NewInt(params.InitialBaseFee)
	}
	return baseFee
}

func doubled(baseFee *big.Int) *big.Int {
	return new(big.Int).Lsh(normBaseFee(baseFee), 1)
}

// feePrice is 2 × baseFee + tipGwei gwei.
func feePrice(baseFee *big.Int, tipGwei int) *big.Int {
	tip := new(big.Int).Mul(big.NewInt(int64(tipGwei)), big.NewInt(params.GWei))
	return tip.Add(tip, doubled(baseFee))
}
