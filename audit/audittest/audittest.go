// Package audittest builds geth-format chains for tests of the audit package
// and of `receiptd audit`: a genesis per fork configuration, blocks made by
// go-ethereum's own chain generator (core.GenerateChain), and export bytes
// laid out as `geth export` writes them. It must be imported by tests only
// and must not import other receiptd packages.
package audittest

import (
	"bytes"
	"crypto/ecdsa"
	"encoding/json"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/consensus/beacon"
	"github.com/ethereum/go-ethereum/consensus/ethash"
	"github.com/ethereum/go-ethereum/core"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethdb"
	"github.com/ethereum/go-ethereum/params"
	"github.com/ethereum/go-ethereum/rlp"
)

// Fork names a chain configuration.
type Fork string

// Fork configurations the tests cover.
const (
	// PreMerge is London with proof of work (difficulty > 0), terminal total
	// difficulty out of reach, as params.TestChainConfig.
	PreMerge Fork = "pre-merge"
	// Cancun has every fork through Cancun at genesis and is merged from
	// genesis (the receiptd domain configuration).
	Cancun Fork = "cancun"
	// Osaka is params.MergedTestChainConfig: Prague and Osaka at genesis.
	Osaka Fork = "osaka"
)

// Forks lists every Fork.
func Forks() []Fork { return []Fork{PreMerge, Cancun, Osaka} }

// Key funds every transaction the generator makes.
func Key() *ecdsa.PrivateKey {
	k, err := crypto.HexToECDSA("b71c71a67e1177ad4e901695e1b4b9ee17ae16c6668d313eac2f96dbcda3f291")
	if err != nil {
		panic(err) // a constant key
	}
	return k
}

// Genesis returns a genesis for fork funding Key.
func Genesis(fork Fork) (*core.Genesis, error) {
	var config *params.ChainConfig
	switch fork {
	case PreMerge:
		c := *params.TestChainConfig
		config = &c
	case Cancun:
		c := *params.MergedTestChainConfig
		c.PragueTime, c.OsakaTime = nil, nil
		c.BlobScheduleConfig = &params.BlobScheduleConfig{Cancun: params.DefaultCancunBlobConfig}
		config = &c
	case Osaka:
		c := *params.MergedTestChainConfig
		config = &c
	default:
		return nil, fmt.Errorf("unknown fork %q", fork)
	}
	alloc := types.GenesisAlloc{
		crypto.PubkeyToAddress(Key().PublicKey): {Balance: new(big.Int).Mul(big.NewInt(1e6), big.NewInt(params.Ether))},
	}
	if config.IsCancun(common.Big0, 0) {
		for addr, acc := range core.SystemContractAllocs() {
			alloc[addr] = acc
		}
	}
	return &core.Genesis{Config: config, Alloc: alloc, GasLimit: 30_000_000, BaseFee: big.NewInt(params.InitialBaseFee), Difficulty: big.NewInt(1)}, nil
}

// GenesisJSON encodes g as `geth init` takes it.
func GenesisJSON(g *core.Genesis) ([]byte, error) {
	return json.MarshalIndent(g, "", "  ")
}

// counterCode returns the init code of a contract whose every call adds one
// to slot 1 and logs 32 bytes of memory: calls change storage and the bloom.
func counterCode() []byte {
	return []byte{
		0x60, 0x0f, 0x60, 0x0c, 0x60, 0x00, 0x39, 0x60, 0x0f, 0x60, 0x00, 0xf3, // copy the runtime, return it
		0x60, 0x01, 0x54, 0x60, 0x01, 0x01, 0x60, 0x01, 0x55, // slot1 += 1
		0x60, 0x20, 0x60, 0x00, 0xa0, 0x00, // LOG0(0, 32); STOP
	}
}

// Chain is a generated chain and what is needed to extend it.
type Chain struct {
	Genesis      *core.Genesis
	GenesisBlock *types.Block
	Blocks       []*types.Block // Blocks[i] is block number i+1
	db           ethdb.Database // holds the state of every block
}

// Generate makes n blocks on g with go-ethereum's chain generator: block 1
// deploys a counter contract, every block then carries txs transfers and
// txs calls of it.
func Generate(g *core.Genesis, n, txs int) *Chain {
	key := Key()
	from := crypto.PubkeyToAddress(key.PublicKey)
	counter := crypto.CreateAddress(from, 0)
	db, blocks, _ := core.GenerateChainWithGenesis(g, beacon.New(ethash.NewFaker()), n, func(i int, b *core.BlockGen) {
		signer := b.Signer()
		send := func(to *common.Address, gas uint64, value *big.Int, data []byte) {
			nonce := b.TxNonce(from)
			var inner types.TxData
			if nonce%2 == 0 {
				inner = &types.LegacyTx{Nonce: nonce, To: to, Gas: gas, GasPrice: new(big.Int).Mul(b.BaseFee(), common.Big2), Value: value, Data: data}
			} else {
				inner = &types.DynamicFeeTx{ChainID: g.Config.ChainID, Nonce: nonce, To: to, Gas: gas, GasFeeCap: new(big.Int).Mul(b.BaseFee(), common.Big2), GasTipCap: common.Big1, Value: value, Data: data}
			}
			b.AddTx(types.MustSignNewTx(key, signer, inner))
		}
		if i == 0 {
			send(nil, 200_000, common.Big0, counterCode())
		}
		for j := 0; j < txs; j++ {
			to := common.BigToAddress(big.NewInt(int64(1000 + i*txs + j)))
			send(&to, 21_000, big.NewInt(int64(j+1)), nil)
			send(&counter, 60_000, common.Big0, nil)
		}
	})
	return &Chain{Genesis: g, GenesisBlock: g.ToBlock(), Blocks: blocks, db: db}
}

// Fork makes n blocks on block number parent of c that differ from c's own:
// each carries one transfer to an address c never pays.
func (c *Chain) Fork(parent uint64, n int) []*types.Block {
	key := Key()
	from := crypto.PubkeyToAddress(key.PublicKey)
	base := c.GenesisBlock
	if parent > 0 {
		base = c.Blocks[parent-1]
	}
	blocks, _ := core.GenerateChain(c.Genesis.Config, base, beacon.New(ethash.NewFaker()), c.db, n, func(i int, b *core.BlockGen) {
		to := common.BigToAddress(big.NewInt(int64(900_000 + i)))
		b.AddTx(types.MustSignNewTx(key, b.Signer(), &types.LegacyTx{Nonce: b.TxNonce(from), To: &to, Gas: 21_000, GasPrice: new(big.Int).Mul(b.BaseFee(), common.Big2), Value: common.Big1}))
	})
	return blocks
}

// Export lays blocks out as `geth export` writes them: the genesis block
// first, then each block as an RLP list.
func Export(genesis *types.Block, blocks []*types.Block) ([]byte, error) {
	var buf bytes.Buffer
	for _, b := range append([]*types.Block{genesis}, blocks...) {
		rec := exportBlock{Header: b.Header(), Txs: b.Transactions(), Uncles: b.Uncles(), Withdrawals: b.Withdrawals()}
		if err := rlp.Encode(&buf, &rec); err != nil {
			return nil, fmt.Errorf("encode block #%d: %w", b.NumberU64(), err)
		}
	}
	return buf.Bytes(), nil
}

// exportBlock mirrors go-ethereum's cmd/utils export record.
type exportBlock struct {
	Header      *types.Header
	Txs         []*types.Transaction
	Uncles      []*types.Header
	Withdrawals []*types.Withdrawal `rlp:"optional"`
}

// Tamper returns b with its header changed by f and its body unchanged;
// nothing is re-signed or recomputed.
func Tamper(b *types.Block, f func(h *types.Header)) *types.Block {
	h := b.Header()
	f(h)
	return types.NewBlockWithHeader(h).WithBody(*b.Body())
}
