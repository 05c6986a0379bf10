package devnet

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/rlp"

	"github.com/receiptd/receiptd/internal/atomicfile"
	"github.com/receiptd/receiptd/protocol"
)

// What Export writes into its directory:
//
//	consensus.chain        the canonical consensus chain (see ChainReader)
//	domain-<id>/genesis.json  the domain's genesis, as `geth init` takes it
//	domain-<id>/chain.rlp     its honest domain blocks 1..head, as `geth
//	                          export` writes them (concatenated block RLP)
//	domain-<id>/head.json     {"number", "hash", "stateRoot"} of the last
//	                          block: what `geth import` must end at
const (
	ChainFileName   = "consensus.chain"
	GenesisFileName = "genesis.json"
	DomainChainName = "chain.rlp"
	HeadFileName    = "head.json"
)

// DomainDir is the directory Export writes a domain's files to.
func DomainDir(id protocol.DomainID) string { return fmt.Sprintf("domain-%d", id) }

// ExportSummary is what Export wrote.
type ExportSummary struct {
	Dir       string          `json:"dir"`
	Seed      int64           `json:"seed"`
	Head      BlockRef        `json:"head"` // the consensus head
	Reorgs    int             `json:"reorgs"`
	ChainFile string          `json:"chainFile"`
	Domains   []DomainSummary `json:"domains"`
}

// BlockRef names a block.
type BlockRef struct {
	Number uint64      `json:"number"`
	Hash   common.Hash `json:"hash"`
}

// DomainSummary is one exported domain chain: the head.json content and
// where the files are.
type DomainSummary struct {
	ID        protocol.DomainID `json:"id"`
	Dir       string            `json:"dir"`
	Number    uint64            `json:"number"`
	Hash      common.Hash       `json:"hash"`
	StateRoot common.Hash       `json:"stateRoot"`
	Txs       int               `json:"txs"`
}

// Export runs a devnet of cfg in fast mode for the given number of slots
// (the consensus head ends at that number) and writes the canonical chain
// and every domain's honest chain to dir, which it creates. Each file is
// written under a temporary name and renamed, so a failed export leaves no
// file that looks whole.
func Export(ctx context.Context, cfg Config, blocks int, dir string) (*ExportSummary, error) {
	if blocks < 1 {
		return nil, fmt.Errorf("devnet: export: %d blocks, want at least 1", blocks)
	}
	cfg.FastMode, cfg.KeepHistory = true, true
	d, err := New(cfg)
	if err != nil {
		return nil, err
	}
	for i := range blocks {
		if _, err := d.Step(ctx); err != nil {
			return nil, fmt.Errorf("devnet: export: slot %d: %w", i+1, err)
		}
	}
	return writeExport(d, dir)
}

// writeExport writes d's canonical chain and honest domain chains to dir.
// Call it from the goroutine that drives d.
func writeExport(d *Devnet, dir string) (*ExportSummary, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("devnet: export: %w", err)
	}
	head := d.Head()
	sum := &ExportSummary{
		Dir: dir, Seed: d.cfg.Seed, Head: BlockRef{Number: head.Header.Number, Hash: head.Hash()},
		Reorgs: d.Stats().Reorgs, ChainFile: filepath.Join(dir, ChainFileName),
	}
	if err := writeFile(sum.ChainFile, func(w io.Writer) error {
		cw, err := NewChainWriter(w, d.Network())
		if err != nil {
			return err
		}
		for n := uint64(1); n <= head.Header.Number; n++ {
			b, err := d.BlockByNumber(n)
			if err != nil {
				return err
			}
			if err := cw.Write(b); err != nil {
				return err
			}
		}
		return cw.Close()
	}); err != nil {
		return nil, err
	}
	for _, dc := range d.Network().Spec.Domains {
		ds, err := exportDomain(d, dc, filepath.Join(dir, DomainDir(dc.ID)))
		if err != nil {
			return nil, err
		}
		sum.Domains = append(sum.Domains, *ds)
	}
	return sum, nil
}

// exportDomain writes one domain's genesis, chain and head.
func exportDomain(d *Devnet, dc protocol.DomainConfig, dir string) (*DomainSummary, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("devnet: export: %w", err)
	}
	chain := d.DomainChain(dc.ID)
	sum := &DomainSummary{ID: dc.ID, Dir: dir, Hash: dc.GenesisHash, StateRoot: dc.GenesisRoot}
	parent := dc.GenesisHash
	for i, b := range chain {
		if b.NumberU64() != uint64(i+1) || b.ParentHash() != parent {
			return nil, fmt.Errorf("devnet: export: domain %d: block #%d does not follow #%d %s", dc.ID, b.NumberU64(), i, parent)
		}
		parent = b.Hash()
		sum.Txs += len(b.Transactions())
	}
	if len(chain) > 0 {
		last := chain[len(chain)-1]
		sum.Number, sum.Hash, sum.StateRoot = last.NumberU64(), last.Hash(), last.Root()
	}
	genesis, err := json.MarshalIndent(d.Network().Geneses[dc.ID], "", "  ")
	if err != nil {
		return nil, fmt.Errorf("devnet: export: domain %d genesis: %w", dc.ID, err)
	}
	head, err := json.MarshalIndent(struct {
		Number    uint64      `json:"number"`
		Hash      common.Hash `json:"hash"`
		StateRoot common.Hash `json:"stateRoot"`
	}{sum.Number, sum.Hash, sum.StateRoot}, "", "  ")
	if err != nil {
		return nil, err
	}
	files := []struct {
		name  string
		write func(io.Writer) error
	}{
		{GenesisFileName, func(w io.Writer) error { _, err := w.Write(append(genesis, '\n')); return err }},
		{DomainChainName, func(w io.Writer) error { return writeBlocks(w, chain) }},
		{HeadFileName, func(w io.Writer) error { _, err := w.Write(append(head, '\n')); return err }},
	}
	for _, f := range files {
		if err := writeFile(filepath.Join(dir, f.name), f.write); err != nil {
			return nil, err
		}
	}
	return sum, nil
}

// writeBlocks writes blocks as `geth export` does: each block's RLP, one
// after another.
func writeBlocks(w io.Writer, blocks []*types.Block) error {
	for _, b := range blocks {
		if err := rlp.Encode(w, b); err != nil {
			return fmt.Errorf("encode domain block #%d: %w", b.NumberU64(), err)
		}
	}
	return nil
}

// writeFile writes path through a temporary file that it renames into
// place once written and synced (atomicfile).
func writeFile(path string, write func(io.Writer) error) error {
	if err := atomicfile.Write(path, 0o644, write); err != nil {
		return fmt.Errorf("devnet: export: %w", err)
	}
	return nil
}
