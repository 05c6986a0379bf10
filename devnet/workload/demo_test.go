package workload_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"math/big"
	"os"
	"path/filepath"
	"testing"

	"github.com/ethereum/go-ethereum/consensus/beacon"
	"github.com/ethereum/go-ethereum/consensus/ethash"
	"github.com/ethereum/go-ethereum/core"
	"github.com/ethereum/go-ethereum/rlp"

	"github.com/receiptd/receiptd/devnet/workload"
	"github.com/receiptd/receiptd/domain"
)

var update = flag.Bool("update", false, "rewrite the demo chain under testdata/chains/demo")

// demoDir holds the chain the README's audit demo reads: a Cancun domain
// chain of the default workload mix, as `geth init` and `geth import` take it.
const demoDir = "../../testdata/chains/demo"

// TestDemoChainFixture regenerates the demo chain and checks that the
// committed files are exactly what the generator makes, so the fixture can
// be trusted and rebuilt: go test ./devnet/workload -run DemoChain -update.
func TestDemoChainFixture(t *testing.T) {
	const chainID, blocks, txsPerBlock = 1001, 24, 100
	g, err := workload.New(workload.Config{Seed: 1, ChainID: big.NewInt(chainID)})
	if err != nil {
		t.Fatal(err)
	}
	genesis, err := domain.NewGenesis(domain.GenesisSpec{ChainID: big.NewInt(chainID), Alloc: g.Alloc()})
	if err != nil {
		t.Fatal(err)
	}
	_, chain, _ := core.GenerateChainWithGenesis(genesis, beacon.New(ethash.NewFaker()), blocks, func(_ int, b *core.BlockGen) {
		for range txsPerBlock {
			b.AddTx(g.Next(b.BaseFee()))
		}
	})
	var rlpOut bytes.Buffer
	for _, b := range chain {
		if err := rlp.Encode(&rlpOut, b); err != nil {
			t.Fatal(err)
		}
	}
	genesisJSON, err := json.MarshalIndent(genesis, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{"genesis.json": append(genesisJSON, '\n'), "chain.rlp": rlpOut.Bytes()}
	for name, want := range files {
		path := filepath.Join(demoDir, name)
		if *update {
			if err := os.WriteFile(path, want, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (regenerate with -update)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from what the generator makes (regenerate with -update)", path)
		}
	}
}
