package audit_test

import (
	"bytes"
	"context"
	"io"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"syscall"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/consensus"
	"github.com/ethereum/go-ethereum/consensus/beacon"
	"github.com/ethereum/go-ethereum/consensus/ethash"
	"github.com/ethereum/go-ethereum/core"
	"github.com/ethereum/go-ethereum/core/history"
	"github.com/ethereum/go-ethereum/core/rawdb"
	"github.com/ethereum/go-ethereum/core/state"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/core/vm"
	"github.com/ethereum/go-ethereum/ethdb"
	"github.com/ethereum/go-ethereum/ethdb/pebble"
	"github.com/ethereum/go-ethereum/params"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/ethereum/go-ethereum/triedb"
	"github.com/receiptd/receiptd/audit"
	"github.com/receiptd/receiptd/audit/audittest"
	"github.com/receiptd/receiptd/devnet/workload"
)

const benchTxs = 20_000

// benchChain generates a Cancun chain of at least benchTxs mixed txs
// (transfers, token calls, storage calls, deployments) from devnet/workload,
// and returns its genesis, export bytes, tx count and gas.
func benchChain(b *testing.B) (*core.Genesis, []byte, int, uint64) {
	b.Helper()
	g, err := audittest.Genesis(audittest.Cancun)
	if err != nil {
		b.Fatal(err)
	}
	wl, err := workload.New(workload.Config{Seed: 7, ChainID: g.Config.ChainID})
	if err != nil {
		b.Fatal(err)
	}
	for addr, acc := range wl.Alloc() {
		g.Alloc[addr] = acc
	}
	perBlock := int(g.GasLimit / workload.MaxTxGas)
	blocks := (benchTxs + perBlock - 1) / perBlock
	_, chain, _ := core.GenerateChainWithGenesis(g, beacon.New(ethash.NewFaker()), blocks, func(i int, bg *core.BlockGen) {
		for range perBlock {
			bg.AddTx(wl.Next(bg.BaseFee()))
		}
	})
	data, err := audittest.Export(g.ToBlock(), chain)
	if err != nil {
		b.Fatal(err)
	}
	var txs int
	var gas uint64
	for _, blk := range chain {
		txs += len(blk.Transactions())
		gas += blk.GasUsed()
	}
	return g, data, txs, gas
}

// BenchmarkAudit measures, in one run over the same export bytes: (a) audit.Run;
// (b) go-ethereum's core.BlockChain.InsertChain on a fresh memory database
// with core.DefaultConfig (hash scheme), blocks decoded from the bytes as
// `geth import` does: geth at its fastest, nothing written to disk;
// (d) the same import configured as `geth import` configures it: pebble on
// disk, path scheme, snapshots, geth's default caches; (c) bare in-memory
// execution: one state.New at genesis, the txs applied in order, one
// IntermediateRoot per block (blocks decoded outside the timer, senders
// recovered inline). All four run at the process's GC setting (GOGC, 100
// by default). Then (a), (b) and (d) run again as the two binaries set the
// collector: audit at GOGC 200 (cmd/receiptd), geth at GOGC 50 (`geth
// --gogc`, whose default is 50): the "-shipped" figures.
func BenchmarkAudit(b *testing.B) {
	g, data, txs, gas := benchChain(b)
	const receiptdGC, gethGC = 200, 50
	phases := []struct {
		name string
		gc   int // 0: the process's setting
		time func() time.Duration
	}{
		{"audit", 0, func() time.Duration { return timeAudit(b, g, data) }},
		{"geth", 0, func() time.Duration { return timeGethImport(b, g, data) }},
		{"bare", 0, func() time.Duration { return timeBare(b, g, data) }},
		{"geth-disk", 0, func() time.Duration { return timeGethDiskImport(b, g, data) }},
		{"audit-shipped", receiptdGC, func() time.Duration { return timeAudit(b, g, data) }},
		{"geth-shipped", gethGC, func() time.Duration { return timeGethImport(b, g, data) }},
		{"geth-disk-shipped", gethGC, func() time.Duration { return timeGethDiskImport(b, g, data) }},
	}
	spent := make(map[string]time.Duration, len(phases))
	// The cores each phase kept busy: its process CPU time over its wall
	// time, each taken around the whole phase. A phase near 2 (this
	// machine's cores) is bound by the work it does; one near 1 waits on
	// a sequential part.
	cpu, wall := make(map[string]time.Duration, len(phases)), make(map[string]time.Duration, len(phases))
	for b.Loop() {
		for _, p := range phases {
			// Collect the previous phase's garbage so that no phase pays
			// for another.
			runtime.GC()
			cpu0, wall0 := processCPU(b), time.Now()
			if p.gc != 0 {
				old := debug.SetGCPercent(p.gc)
				spent[p.name] += p.time()
				debug.SetGCPercent(old)
			} else {
				spent[p.name] += p.time()
			}
			cpu[p.name] += processCPU(b) - cpu0
			wall[p.name] += time.Since(wall0)
		}
	}
	n := float64(b.N)
	b.ReportMetric(float64(txs), "txs")
	for _, p := range phases {
		s := spent[p.name].Seconds() / n
		b.ReportMetric(float64(txs)/s, p.name+"-tx/s")
		b.ReportMetric(float64(gas)/1e6/s, p.name+"-Mgas/s")
		b.ReportMetric(cpu[p.name].Seconds()/wall[p.name].Seconds(), p.name+"-cores")
	}
	ratio := func(num, den string) float64 { return spent[num].Seconds() / spent[den].Seconds() }
	b.ReportMetric(ratio("geth", "audit"), "audit/geth")
	b.ReportMetric(ratio("geth-disk", "audit"), "audit/geth-disk")
	b.ReportMetric(ratio("bare", "audit"), "audit/bare")
	b.ReportMetric(ratio("geth-shipped", "audit-shipped"), "audit/geth-shipped")
	b.ReportMetric(ratio("geth-disk-shipped", "audit-shipped"), "audit/geth-disk-shipped")
}

// processCPU is the CPU time, user and system, the process has used.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func timeAudit(b *testing.B, g *core.Genesis, data []byte) time.Duration {
	start := time.Now()
	sum, err := audit.Run(context.Background(), g, bytes.NewReader(data), audit.Config{}, func(audit.BlockReport) error { return nil })
	d := time.Since(start)
	if err != nil || sum.Invalid != 0 {
		b.Fatalf("audit: %v, %d invalid", err, sum.Invalid)
	}
	return d
}

// decodeBlocks decodes the export as geth import does, skipping block 0.
func decodeBlocks(b *testing.B, data []byte) []*types.Block {
	s := rlp.NewStream(bytes.NewReader(data), 0)
	var blocks []*types.Block
	for {
		var blk types.Block
		if err := s.Decode(&blk); err == io.EOF {
			return blocks
		} else if err != nil {
			b.Fatal(err)
		}
		if blk.NumberU64() > 0 {
			blocks = append(blocks, &blk)
		}
	}
}

func timeGethImport(b *testing.B, g *core.Genesis, data []byte) time.Duration {
	return timeImport(b, g, data, rawdb.NewMemoryDatabase, core.DefaultConfig())
}

// timeGethDiskImport imports as `geth import` does on a fresh data
// directory: pebble on disk with a file freezer, the path scheme (geth's
// default for a new database), snapshots on, and eth/ethconfig's default
// cache sizes (copied here: ethconfig imports beacon/engine, which this
// module cannot build).
func timeGethDiskImport(b *testing.B, g *core.Genesis, data []byte) time.Duration {
	dir := b.TempDir()
	open := func() ethdb.Database {
		kv, err := pebble.New(filepath.Join(dir, "chaindata"), 1024, 512, "", false)
		if err != nil {
			b.Fatal(err)
		}
		db, err := rawdb.Open(kv, rawdb.OpenOptions{Ancient: filepath.Join(dir, "chaindata", "ancient")})
		if err != nil {
			b.Fatal(err)
		}
		return db
	}
	return timeImport(b, g, data, open, &core.BlockChainConfig{
		TrieCleanLimit:  614,
		TrieDirtyLimit:  1024,
		TrieTimeLimit:   60 * time.Minute,
		SnapshotLimit:   409,
		StateScheme:     rawdb.PathScheme,
		StateHistory:    params.FullImmutabilityThreshold,
		TrienodeHistory: -1,
		HistoryPolicy:   history.HistoryPolicy{Mode: history.KeepAll},
		TxLookupLimit:   -1,
	})
}

// timeImport times decoding the export, opening the database and
// core.BlockChain.InsertChain, as `geth import` does. The timer stops when
// InsertChain returns, before Stop writes anything out, so geth is not
// charged for its shutdown.
func timeImport(b *testing.B, g *core.Genesis, data []byte, open func() ethdb.Database, cfg *core.BlockChainConfig) time.Duration {
	start := time.Now()
	blocks := decodeBlocks(b, data)
	db := open()
	defer db.Close()
	bc, err := core.NewBlockChain(db, g, beacon.New(ethash.NewFaker()), cfg)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := bc.InsertChain(blocks); err != nil {
		b.Fatal(err)
	}
	d := time.Since(start)
	if head := bc.CurrentBlock(); head.Hash() != blocks[len(blocks)-1].Hash() {
		b.Fatalf("geth head #%d", head.Number)
	}
	bc.Stop()
	return d
}

func timeBare(b *testing.B, g *core.Genesis, data []byte) time.Duration {
	blocks := decodeBlocks(b, data)
	db := rawdb.NewMemoryDatabase()
	tdb := triedb.NewDatabase(db, triedb.HashDefaults)
	gb, err := g.Commit(db, tdb, nil)
	if err != nil {
		b.Fatal(err)
	}
	hc := &headers{config: g.Config, engine: beacon.New(ethash.NewFaker()), byHash: map[common.Hash]*types.Header{gb.Hash(): gb.Header()}}
	start := time.Now()
	st, err := state.New(gb.Root(), state.NewDatabase(tdb, state.NewCodeDB(db)))
	if err != nil {
		b.Fatal(err)
	}
	for _, blk := range blocks {
		h := blk.Header()
		evm := vm.NewEVM(core.NewEVMBlockContext(h, hc, nil), st, g.Config, vm.Config{})
		if root := blk.BeaconRoot(); root != nil {
			core.ProcessBeaconBlockRoot(*root, evm, nil)
		}
		signer := types.MakeSigner(g.Config, h.Number, h.Time)
		gp := core.NewGasPool(h.GasLimit)
		for i, tx := range blk.Transactions() {
			msg, err := core.TransactionToMessage(tx, signer, h.BaseFee)
			if err != nil {
				b.Fatal(err)
			}
			st.SetTxContext(tx.Hash(), i, uint32(i+1))
			if _, _, err := core.ApplyTransactionWithEVM(context.Background(), msg, gp, st, h.Number, blk.Hash(), h.Time, tx, evm); err != nil {
				b.Fatal(err)
			}
		}
		if root := st.IntermediateRoot(g.Config.Rules(h.Number, true, h.Time)); root != h.Root {
			b.Fatalf("bare execution of #%d: root %x, want %x", h.Number, root, h.Root)
		}
		hc.byHash[blk.Hash()] = h
	}
	return time.Since(start)
}

// headers is the chain context bare execution needs (BLOCKHASH, coinbase).
type headers struct {
	config *params.ChainConfig
	engine consensus.Engine
	byHash map[common.Hash]*types.Header
}

func (h *headers) Config() *params.ChainConfig                 { return h.config }
func (h *headers) Engine() consensus.Engine                    { return h.engine }
func (h *headers) CurrentHeader() *types.Header                { return nil }
func (h *headers) GetHeaderByNumber(uint64) *types.Header      { return nil }
func (h *headers) GetHeaderByHash(x common.Hash) *types.Header { return h.byHash[x] }
func (h *headers) GetHeader(x common.Hash, _ uint64) *types.Header {
	return h.byHash[x]
}

// BenchmarkRun measures audit.Run alone on the same chain, for profiling.
func BenchmarkRun(b *testing.B) {
	g, data, txs, gas := benchChain(b)
	var d time.Duration
	for b.Loop() {
		runtime.GC()
		d += timeAudit(b, g, data)
	}
	s := d.Seconds() / float64(b.N)
	b.ReportMetric(float64(txs)/s, "tx/s")
	b.ReportMetric(float64(gas)/1e6/s, "Mgas/s")
}
