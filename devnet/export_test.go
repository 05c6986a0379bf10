package devnet

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/ethereum/go-ethereum/consensus/beacon"
	"github.com/ethereum/go-ethereum/consensus/ethash"
	"github.com/ethereum/go-ethereum/core"
	"github.com/ethereum/go-ethereum/core/rawdb"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/rlp"

	"github.com/receiptd/receiptd/audit"
)

// exportConfig has forks and faulty operators: the honest chain is what
// must export.
func exportConfig() Config {
	return Config{FastMode: true, KeepHistory: true, Seed: 31, Domains: 2, OperatorsPerDomain: 2, TxPerBlock: 20, ForkProbability: 0.3, Logger: silent}
}

// TestExportImportsIntoGeth imports each exported domain chain into
// go-ethereum's core.BlockChain from the written genesis.json, and audits
// it: same head hash and state root as the devnet's, every block valid.
func TestExportImportsIntoGeth(t *testing.T) {
	d := newTestDevnet(t, exportConfig(), 16)
	dir := t.TempDir()
	sum, err := writeExport(d, dir)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Head.Number != 16 || len(sum.Domains) != 2 {
		t.Fatalf("summary %+v", sum)
	}
	for _, ds := range sum.Domains {
		want := d.DomainChain(ds.ID)
		if len(want) < 5 {
			t.Fatalf("domain %d derived only %d blocks in 16 slots", ds.ID, len(want))
		}
		last := want[len(want)-1]
		genesis := readGenesis(t, filepath.Join(ds.Dir, GenesisFileName))
		chainRLP, err := os.ReadFile(filepath.Join(ds.Dir, DomainChainName))
		if err != nil {
			t.Fatal(err)
		}
		blocks := decodeDomainBlocks(t, chainRLP)
		if len(blocks) != len(want) {
			t.Fatalf("domain %d: chain.rlp holds %d blocks, devnet derived %d", ds.ID, len(blocks), len(want))
		}

		bc, err := core.NewBlockChain(rawdb.NewMemoryDatabase(), genesis, beacon.New(ethash.NewFaker()), core.DefaultConfig())
		if err != nil {
			t.Fatal(err)
		}
		if n, err := bc.InsertChain(blocks); err != nil {
			t.Fatalf("domain %d: geth rejects block %d: %v", ds.ID, n, err)
		}
		head := bc.CurrentBlock()
		bc.Stop()
		if head.Hash() != last.Hash() || head.Root != last.Root() {
			t.Fatalf("domain %d: geth head %s root %s, devnet %s root %s", ds.ID, head.Hash(), head.Root, last.Hash(), last.Root())
		}

		var headFile struct{ Number uint64 }
		raw, _ := os.ReadFile(filepath.Join(ds.Dir, HeadFileName))
		if err := json.Unmarshal(raw, &headFile); err != nil || headFile.Number != last.NumberU64() || ds.Hash != last.Hash() {
			t.Fatalf("head.json %s (%v)", raw, err)
		}

		var invalid []audit.BlockReport
		s, err := audit.Run(context.Background(), genesis, bytes.NewReader(chainRLP), audit.Config{}, func(r audit.BlockReport) error {
			if r.Verdict != audit.VerdictValid {
				invalid = append(invalid, r)
			}
			return nil
		})
		if err != nil || len(invalid) > 0 || s.Valid != len(want) || s.HeadHash != last.Hash() {
			t.Fatalf("domain %d audit: %+v, invalid %+v, err %v", ds.ID, s, invalid, err)
		}
		t.Logf("domain %d: %d blocks, %d txs, head %s", ds.ID, len(blocks), ds.Txs, last.Hash())
	}

	// The chain file holds the canonical chain.
	f, err := os.Open(sum.ChainFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cr, err := NewChainReader(f)
	if err != nil {
		t.Fatal(err)
	}
	if cr.Network().Spec.Hash() != d.Network().Spec.Hash() {
		t.Fatal("chain file network differs")
	}
	for n := uint64(1); ; n++ {
		b, err := cr.Next()
		if err == io.EOF {
			if n != 17 {
				t.Fatalf("chain file ends after #%d", n-1)
			}
			break
		}
		want, _ := d.BlockByNumber(n)
		if err != nil || b.Hash() != want.Hash() {
			t.Fatalf("chain file #%d: %v", n, err)
		}
	}
}

func TestExportRunsTheDevnet(t *testing.T) {
	cfg := testConfig(32)
	dir := t.TempDir()
	sum, err := Export(context.Background(), cfg, 4, dir)
	if err != nil {
		t.Fatal(err)
	}
	again := newTestDevnet(t, cfg, 4) // the devnet is deterministic
	chain := again.DomainChain(1)
	if sum.Head.Hash != again.Head().Hash() || sum.Domains[0].Hash != chain[len(chain)-1].Hash() {
		t.Fatalf("export head %s / %s, a devnet of the same config %s / %s",
			sum.Head.Hash, sum.Domains[0].Hash, again.Head().Hash(), chain[len(chain)-1].Hash())
	}
	for _, name := range []string{ChainFileName, filepath.Join(DomainDir(1), GenesisFileName), filepath.Join(DomainDir(1), DomainChainName)} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Error(err)
		}
	}
	if _, err := Export(context.Background(), cfg, 0, dir); err == nil {
		t.Error("export of 0 blocks succeeded")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Export(ctx, cfg, 3, t.TempDir()); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled export: %v", err)
	}
}

func readGenesis(t *testing.T, path string) *core.Genesis {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	g, err := audit.LoadGenesis(f)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func decodeDomainBlocks(t *testing.T, data []byte) []*types.Block {
	t.Helper()
	s := rlp.NewStream(bytes.NewReader(data), uint64(len(data)))
	var out []*types.Block
	for {
		b := new(types.Block)
		if err := s.Decode(b); err == io.EOF {
			return out
		} else if err != nil {
			t.Fatalf("chain.rlp block %d: %v", len(out), err)
		}
		out = append(out, b)
	}
}
