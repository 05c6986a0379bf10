package workload

import (
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/consensus/beacon"
	"github.com/ethereum/go-ethereum/consensus/ethash"
	"github.com/ethereum/go-ethereum/core"
	"github.com/ethereum/go-ethereum/core/rawdb"
	"github.com/ethereum/go-ethereum/core/state"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/core/vm"
	"github.com/ethereum/go-ethereum/params"
)

var testChainID = big.NewInt(1337)

// cancunConfig is the domain chain config of DESIGN.md 1.1: every fork
// through Cancun at genesis, Prague and later unset.
func cancunConfig() *params.ChainConfig {
	cfg := *params.MergedTestChainConfig
	cfg.ChainID = testChainID
	cfg.PragueTime, cfg.OsakaTime, cfg.BogotaTime, cfg.UBTTime = nil, nil, nil, nil
	cfg.BlobScheduleConfig = &params.BlobScheduleConfig{Cancun: params.DefaultCancunBlobConfig}
	return &cfg
}

func newTestGenerator(t testing.TB, cfg Config) *Generator {
	t.Helper()
	if cfg.ChainID == nil {
		cfg.ChainID = testChainID
	}
	g, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return g
}

// testGenesis is g's Alloc plus the EIP-4788 beacon-roots contract.
func testGenesis(g *Generator) *core.Genesis {
	alloc := g.Alloc()
	alloc[params.BeaconRootsAddress] = types.Account{Nonce: 1, Code: params.BeaconRootsCode, Balance: common.Big0}
	return &core.Genesis{
		Config:     cancunConfig(),
		GasLimit:   30_000_000,
		BaseFee:    big.NewInt(params.InitialBaseFee),
		Difficulty: common.Big0,
		Alloc:      alloc,
	}
}

// testChain is a chain generated from g's stream and inserted into a
// core.BlockChain, which validated every block.
type testChain struct {
	genesis  *core.Genesis
	bc       *core.BlockChain
	blocks   []*types.Block
	receipts []types.Receipts
}

func buildChain(t *testing.T, g *Generator, blocks, txsPerBlock int) *testChain {
	t.Helper()
	genesis := testGenesis(g)
	engine := beacon.New(ethash.NewFaker())
	_, chain, receipts := core.GenerateChainWithGenesis(genesis, engine, blocks, func(_ int, b *core.BlockGen) {
		for range txsPerBlock {
			b.AddTx(g.Next(b.BaseFee())) // panics on any invalid tx
		}
	})
	bc, err := core.NewBlockChain(rawdb.NewMemoryDatabase(), genesis, engine, nil)
	if err != nil {
		t.Fatalf("NewBlockChain: %v", err)
	}
	t.Cleanup(bc.Stop)
	if n, err := bc.InsertChain(chain); err != nil {
		t.Fatalf("InsertChain: block %d: %v", n, err)
	}
	if got, want := bc.CurrentBlock().Hash(), chain[len(chain)-1].Hash(); got != want {
		t.Fatalf("head = %x, want %x", got, want)
	}
	return &testChain{genesis: genesis, bc: bc, blocks: chain, receipts: receipts}
}

func (c *testChain) state(t *testing.T) *state.StateDB {
	t.Helper()
	st, err := c.bc.State()
	if err != nil {
		t.Fatalf("head state: %v", err)
	}
	return st
}

// call runs a static call against the head state.
func (c *testChain) call(t *testing.T, to common.Address, data []byte) ([]byte, error) {
	t.Helper()
	evm := vm.NewEVM(core.NewEVMBlockContext(c.bc.CurrentBlock(), c.bc, nil), c.state(t), c.bc.Config(), vm.Config{})
	ret, _, err := evm.StaticCall(common.Address{}, to, data, vm.NewGasBudget(1_000_000, 0))
	return ret, err
}
