package audit

import (
	"context"
	"fmt"
	"io"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core"
	"github.com/ethereum/go-ethereum/core/rawdb"
	"github.com/ethereum/go-ethereum/core/state"
	"github.com/ethereum/go-ethereum/core/vm"
	"github.com/ethereum/go-ethereum/triedb"
	"golang.org/x/sync/errgroup"
	"golang.org/x/sync/semaphore"
)

// BlockReport is the judgement on one item of the stream: one JSON line.
type BlockReport struct {
	Type    string       `json:"type"`   // always "block"
	Index   int          `json:"index"`  // position in the stream, from 0
	Offset  int64        `json:"offset"` // byte offset in the (gunzipped) stream
	Number  *uint64      `json:"number"` // nil when the item is not a block
	Hash    *common.Hash `json:"hash"`   // nil when the item is not a block
	Verdict Verdict      `json:"verdict"`
	Reason  Reason       `json:"reason,omitempty"`
	Detail  string       `json:"detail,omitempty"`
	Gas     uint64       `json:"gas"` // gas used the header declares
	Txs     int          `json:"txs"`
}

// Summary closes an audit: one JSON line.
type Summary struct {
	Type       string      `json:"type"` // always "summary"
	HeadNumber uint64      `json:"head_number"`
	HeadHash   common.Hash `json:"head_hash"`
	StateRoot  common.Hash `json:"state_root"` // the head's
	Items      int         `json:"items"`      // records read, blocks or not
	Decoded    int         `json:"decoded"`    // records that decode as blocks
	Valid      int         `json:"valid"`
	Invalid    int         `json:"invalid"`
	// Executed counts blocks executed and accepted (not known ones); Txs and
	// Gas are theirs.
	Executed       int     `json:"executed"`
	Txs            uint64  `json:"txs"`
	Gas            uint64  `json:"gas"`
	ElapsedSeconds float64 `json:"elapsed_seconds"`
	MgasPerSecond  float64 `json:"mgas_per_s"`
	TxPerSecond    float64 `json:"tx_per_s"`
}

// Run audits the geth export stream r on top of genesis, calling report for
// every item in stream order from a single goroutine. A bad block is a
// report, not an error; the error is for unusable input (bad genesis),
// cancellation, a failing report and failures of the auditor itself.
func Run(ctx context.Context, genesis *core.Genesis, r io.Reader, cfg Config, report func(BlockReport) error) (Summary, error) {
	cfg.EnsureDefaults()
	if err := cfg.Validate(); err != nil {
		return Summary{}, fmt.Errorf("audit config: %w", err)
	}
	if err := checkGenesis(genesis); err != nil {
		return Summary{}, err
	}
	if genesis.IsUBT() {
		return Summary{}, fmt.Errorf("%w: binary-trie genesis is not supported", ErrBadGenesis)
	}
	start := cfg.Now()
	db := rawdb.NewMemoryDatabase()
	tdb := triedb.NewDatabase(db, triedb.HashDefaults)
	defer tdb.Close()
	gblock, err := genesis.Commit(db, tdb, nil)
	if err != nil {
		return Summary{}, fmt.Errorf("%w: commit: %w", ErrBadGenesis, err)
	}
	engine := newEngine(genesis, db)
	defer engine.Close()
	c := newChain(genesis.Config, engine, gblock, cfg.Retain)
	ex := &executor{
		chain:       c,
		processor:   core.NewStateProcessor(c),
		validator:   core.NewBlockValidator(genesis.Config, nil),
		jumpDests:   core.NewJumpDestCache(),
		precompiles: vm.NewPrecompileCache(),
	}
	ex.keeper, err = newStateKeeper(c, tdb, state.NewDatabase(tdb, state.NewCodeDB(db)), cfg.CheckpointInterval, gblock)
	if err != nil {
		return Summary{}, err
	}
	ex.keeper.replay = ex.replay

	var sum Summary
	prog := newProgress(cfg.Progress, cfg.ProgressInterval, cfg.Now, start)
	in := make(chan *pending, lookaheadBlocks)
	budget := semaphore.NewWeighted(lookaheadBytes)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		return feed(gctx, newBlockReader(r, cfg.MaxBlockBytes), genesis.Config, cfg.Workers, budget, lookaheadBytes, in)
	})
	g.Go(func() error {
		for p := range in {
			if err := p.wait(gctx); err != nil {
				return err
			}
			rep, err := judge(gctx, ex, p.rec, p.roots, &sum)
			budget.Release(p.weight)
			if err != nil {
				return err
			}
			if err := report(rep); err != nil {
				return fmt.Errorf("report block: %w", err)
			}
			prog.tick(c.head.NumberU64(), sum.Executed, sum.Gas)
		}
		return gctx.Err()
	})
	if err := g.Wait(); err != nil {
		return sum, err
	}
	elapsed := cfg.Now().Sub(start).Seconds()
	sum.Type = "summary"
	sum.HeadNumber, sum.HeadHash, sum.StateRoot = c.head.NumberU64(), c.head.Hash(), c.head.Root()
	sum.ElapsedSeconds = elapsed
	if elapsed > 0 {
		sum.MgasPerSecond = float64(sum.Gas) / 1e6 / elapsed
		sum.TxPerSecond = float64(sum.Txs) / elapsed
	}
	return sum, nil
}

// judge verifies one record and counts it into sum.
func judge(ctx context.Context, ex *executor, rec record, roots bodyRoots, sum *Summary) (BlockReport, error) {
	rep := BlockReport{Type: "block", Index: rec.index, Offset: rec.offset}
	sum.Items++
	j := judgement{verdict: VerdictInvalid, reason: rec.reason, detail: rec.detail}
	if b := rec.block; b != nil {
		sum.Decoded++
		number, hash := b.NumberU64(), b.Hash()
		rep.Number, rep.Hash = &number, &hash
		rep.Gas, rep.Txs = b.GasUsed(), len(b.Transactions())
		var err error
		if j, err = ex.verify(ctx, b, roots); err != nil {
			return rep, fmt.Errorf("verify block #%d %x: %w", number, hash, err)
		}
		if j.verdict == VerdictValid && j.reason == ReasonNone {
			sum.Executed++
			sum.Txs += uint64(len(b.Transactions()))
			sum.Gas += b.GasUsed()
		}
	}
	rep.Verdict, rep.Reason, rep.Detail = j.verdict, j.reason, j.detail
	if j.verdict == VerdictValid {
		sum.Valid++
	} else {
		sum.Invalid++
	}
	return rep, nil
}
