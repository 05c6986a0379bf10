package domain

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"math/big"
	"os"
	"path/filepath"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core"
	"github.com/ethereum/go-ethereum/core/rawdb"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/params"
	"github.com/ethereum/go-ethereum/triedb"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

func TestChainConfigForks(t *testing.T) {
	cfg := ChainConfig(big.NewInt(7))
	if err := cfg.CheckConfigForkOrder(); err != nil {
		t.Fatal(err)
	}
	zero, later := big.NewInt(0), uint64(1<<40)
	checks := []struct {
		name string
		got  bool
		want bool
	}{
		{"london at 0", cfg.IsLondon(zero), true},
		{"merge netsplit at 0", cfg.MergeNetsplitBlock != nil && cfg.MergeNetsplitBlock.Sign() == 0, true},
		{"shanghai at 0", cfg.IsShanghai(zero, 0), true},
		{"cancun at 0", cfg.IsCancun(zero, 0), true},
		{"prague never", cfg.IsPrague(big.NewInt(1<<40), later), false},
		{"osaka never", cfg.IsOsaka(big.NewInt(1<<40), later), false},
		{"ttd 0", cfg.TerminalTotalDifficulty.Sign() == 0, true},
		{"cancun blobs", cfg.BlobScheduleConfig.Cancun != nil && cfg.BlobScheduleConfig.Cancun.Max == 6, true},
		{"no prague blobs", cfg.BlobScheduleConfig.Prague == nil, true},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: %v, want %v", c.name, c.got, c.want)
		}
	}
	if err := checkFork(cfg, big.NewInt(1), 0); err != nil {
		t.Errorf("domain config fails its own fork check: %v", err)
	}
	// The config is the caller's: changing it leaves the next one alone.
	cfg.BlobScheduleConfig.Cancun.Max = 1
	if ChainConfig(big.NewInt(7)).BlobScheduleConfig.Cancun.Max != 6 || params.DefaultCancunBlobConfig.Max != 6 {
		t.Error("ChainConfig shares state between calls")
	}
}

// TestGenesisGolden pins the genesis JSON `geth init` takes and checks that
// go-ethereum's genesis setup of that JSON yields the block NewGenesis and
// OpenStateStore give.
func TestGenesisGolden(t *testing.T) {
	g := testGenesis(t, 2)
	enc, err := json.MarshalIndent(g, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "genesis.json")
	if *update {
		if err := os.WriteFile(golden, append(enc, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(append(enc, '\n'), want) {
		t.Fatalf("genesis JSON differs from %s (run with -update if intended):\n%s", golden, enc)
	}
	var decoded core.Genesis
	if err := json.Unmarshal(want, &decoded); err != nil {
		t.Fatal(err)
	}
	db := rawdb.NewMemoryDatabase()
	_, gethHash, _, err := core.SetupGenesisBlock(db, triedb.NewDatabase(db, triedb.HashDefaults), &decoded)
	if err != nil {
		t.Fatal(err)
	}
	store, block, err := OpenStateStore(rawdb.NewMemoryDatabase(), g)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if gethHash != g.ToBlock().Hash() || gethHash != block.Hash() {
		t.Fatalf("geth genesis %x, NewGenesis %x, OpenStateStore %x", gethHash, g.ToBlock().Hash(), block.Hash())
	}
	h := block.Header()
	if h.BaseFee.Uint64() != params.InitialBaseFee || h.Difficulty.Sign() != 0 || *h.ExcessBlobGas != 0 ||
		*h.BlobGasUsed != 0 || h.GasLimit != DefaultGasLimit || h.Time != genesisTime || h.WithdrawalsHash == nil {
		t.Errorf("genesis header %+v", h)
	}
	sdb, err := store.StateAt(block.Root())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(sdb.GetCode(params.BeaconRootsAddress), params.BeaconRootsCode) {
		t.Error("genesis lacks the EIP-4788 beacon-roots contract")
	}
}

func TestNewGenesisRejects(t *testing.T) {
	tests := []struct {
		name string
		spec GenesisSpec
	}{
		{"no chain id", GenesisSpec{}},
		{"zero chain id", GenesisSpec{ChainID: big.NewInt(0)}},
		{"gas limit too low", GenesisSpec{ChainID: big.NewInt(1), GasLimit: params.MinGasLimit - 1}},
		{"beacon roots in alloc", GenesisSpec{ChainID: big.NewInt(1), Alloc: types.GenesisAlloc{params.BeaconRootsAddress: {Balance: common.Big1}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if g, err := NewGenesis(tt.spec); err == nil {
				t.Fatalf("accepted, genesis %+v", g)
			}
		})
	}
	// The caller's alloc is left as it was.
	alloc := types.GenesisAlloc{common.Address{1}: {Balance: common.Big1}}
	if _, err := NewGenesis(GenesisSpec{ChainID: big.NewInt(1), Alloc: alloc}); err != nil || len(alloc) != 1 {
		t.Fatalf("err %v, alloc now %d entries", err, len(alloc))
	}
	if err := checkFork(nil, common.Big1, 0); !errors.Is(err, ErrUnsupportedFork) {
		t.Fatalf("nil config: %v", err)
	}
}
