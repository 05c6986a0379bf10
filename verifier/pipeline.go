package verifier

import (
	"context"
	"fmt"
	"maps"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/core/vm"
	"github.com/ethereum/go-ethereum/ethdb"

	"github.com/receiptd/receiptd/domain"
	"github.com/receiptd/receiptd/protocol"
)

// domainView is what the follower knows of one domain after a consensus
// block: the newest domain block and the honest receipts of the pending
// window. Views are values the follower snapshots per consensus block, so
// they are copy-on-write: a map is never modified once a view holding it
// is stored.
type domainView struct {
	Head   *types.Header
	Honest map[uint64]*protocol.ExecutionReceipt
	// Bad holds pending receipts judged invalid, so that a receipt built on
	// one is judged to descend from it. The value is true when the receipt's
	// own claims are wrong, false when it only descends from a bad one.
	Bad map[common.Hash]bool
	// Exec keeps the executions of pending domain blocks, for proofs. It
	// is not checkpointed: after a restart, blocks executed before it have
	// none, and the challenger executes such a block again when it needs
	// its proof (Follower.reexecuted).
	Exec map[uint64]*executed
}

// domainPipeline derives and executes one domain's blocks. It belongs to
// the follower's goroutine; executeBlock for different domains may run
// concurrently (each touches only its own pipeline).
type domainPipeline struct {
	id          protocol.DomainID
	genesis     *core.Genesis
	gasLimit    uint64
	exec        *domain.Executor
	db          ethdb.Database
	store       *domain.StateStore
	signer      types.Signer
	headers     map[common.Hash]*types.Header
	roots       map[common.Hash]uint64 // referenced roots → domain number
	flushed     flushedState           // the newest on the followed chain
	flushEvery  uint64
	pruneEvery  uint64 // flushes between prunes (see Config.PruneEvery)
	pruneDue    bool   // a flush asked for a prune the follower has not run
	genesisRoot common.Hash
	pruned      int // trie nodes deleted from disk since the pipeline opened
}

// flushedState names a domain state written to disk.
type flushedState struct {
	root   common.Hash
	number uint64
}

func newDomainPipeline(id protocol.DomainID, genesis *core.Genesis, db ethdb.Database, flushEvery, pruneEvery uint64) (*domainPipeline, *types.Block, error) {
	exec, err := domain.NewExecutor(genesis.Config, vm.Config{})
	if err != nil {
		return nil, nil, err
	}
	store, gblock, err := domain.OpenStateStore(db, genesis)
	if err != nil {
		return nil, nil, err
	}
	p := &domainPipeline{
		id: id, genesis: genesis, gasLimit: genesis.GasLimit, exec: exec, db: db, store: store,
		signer:     types.LatestSigner(genesis.Config),
		headers:    map[common.Hash]*types.Header{gblock.Hash(): gblock.Header()},
		roots:      map[common.Hash]uint64{},
		flushEvery: flushEvery,
		pruneEvery: pruneEvery,
	}
	p.flushed.root, p.genesisRoot = gblock.Root(), gblock.Root()
	return p, gblock, nil
}

// GetHeader implements domain.HeaderReader over the headers seen.
func (p *domainPipeline) GetHeader(hash common.Hash, number uint64) *types.Header {
	if h := p.headers[hash]; h != nil && h.Number.Uint64() == number {
		return h
	}
	return nil
}

// executed is one derived and executed domain block.
type executed struct {
	prepared   *domain.Prepared
	derivation *domain.Derivation
	result     *domain.Result
	honest     *protocol.ExecutionReceipt
}

// executeBlock derives the domain block consensus block c makes on top of
// view, executes it, commits its state (flushing it when its number is
// due) and returns it with the child view.
func (p *domainPipeline) executeBlock(ctx context.Context, prepared *domain.Prepared, view domainView) (*executed, domainView, error) {
	ex, next, err := p.execute(ctx, prepared, view)
	if err != nil {
		return nil, view, err
	}
	n := ex.result.Block.NumberU64()
	if p.flushEvery > 0 && n%p.flushEvery == 0 {
		if err := p.flush(ex.result.Block.Root(), n); err != nil {
			return nil, view, err
		}
		// By number, not by count, so that restarts do not put it off.
		if p.pruneEvery > 0 && (n/p.flushEvery)%p.pruneEvery == 0 {
			p.pruneDue = true
		}
	}
	return ex, next, nil
}

// execute is executeBlock without the flush: the state stays in memory,
// referenced until release drops blocks below its number. Blocks executed
// again for a proof (Follower.reexecuted) use it, so that the newest flushed state
// never moves back.
func (p *domainPipeline) execute(ctx context.Context, prepared *domain.Prepared, view domainView) (*executed, domainView, error) {
	sdb, err := p.store.StateAt(view.Head.Root)
	if err != nil {
		return nil, view, fmt.Errorf("domain %d: parent state: %w", p.id, err)
	}
	d, err := domain.Derive(p.genesis.Config, prepared, view.Head, sdb, p.gasLimit)
	if err != nil {
		return nil, view, fmt.Errorf("domain %d: derive: %w", p.id, err)
	}
	res, err := p.exec.Execute(ctx, p, d.Header, d.Txs, sdb)
	if err != nil {
		return nil, view, fmt.Errorf("domain %d: execute: %w", p.id, err)
	}
	header := res.Block.Header()
	root, err := p.store.Commit(sdb, header)
	if err != nil {
		return nil, view, fmt.Errorf("domain %d: commit state: %w", p.id, err)
	}
	n := header.Number.Uint64()
	if _, held := p.roots[root]; held {
		// Executed before, on a fork a reorg returned to or again for a
		// proof: Commit took a second reference, and release drops one.
		if err := p.store.Release(root); err != nil {
			return nil, view, fmt.Errorf("domain %d: %w", p.id, err)
		}
	}
	p.roots[root] = n
	p.headers[res.Block.Hash()] = header
	var parentHash common.Hash
	if prev := view.Honest[n-1]; prev != nil {
		parentHash = prev.Hash()
	}
	honest := domain.NewReceipt(d, res, parentHash)
	next := domainView{Head: header, Honest: maps.Clone(view.Honest), Bad: view.Bad, Exec: maps.Clone(view.Exec)}
	ex := &executed{prepared: prepared, derivation: d, result: res, honest: honest}
	next.Honest[n] = honest
	if next.Exec == nil {
		next.Exec = map[uint64]*executed{}
	}
	next.Exec[n] = ex
	return ex, next, nil
}

// trim returns the view without honest receipts below the confirmed
// number and without bad marks for receipts no longer pending.
func (v domainView) trim(confirmed uint64, tree *protocol.BlockTree) domainView {
	out := domainView{Head: v.Head, Honest: make(map[uint64]*protocol.ExecutionReceipt, len(v.Honest)),
		Bad: map[common.Hash]bool{}, Exec: make(map[uint64]*executed, len(v.Exec))}
	for n, r := range v.Honest {
		if n+1 >= confirmed {
			out.Honest[n] = r
		}
	}
	for n, ex := range v.Exec {
		if n > confirmed {
			out.Exec[n] = ex
		}
	}
	for h, own := range v.Bad {
		if st, _, ok := tree.Status(h); ok && st == protocol.ReceiptPending {
			out.Bad[h] = own
		}
	}
	return out
}

// release dereferences the states of domain blocks below keep.
func (p *domainPipeline) release(keep uint64) error {
	for root, n := range p.roots {
		if n >= keep || root == p.flushed.root {
			continue
		}
		if err := p.store.Release(root); err != nil {
			return fmt.Errorf("domain %d: release state %d: %w", p.id, n, err)
		}
		delete(p.roots, root)
	}
	p.forgetHeaders(keep - min(keep, 300))
	return nil
}

// forgetHeaders drops the headers of blocks below n, but for genesis's: a
// rollback to the genesis snapshot, a restore or a proof may start there.
func (p *domainPipeline) forgetHeaders(n uint64) {
	for h, hdr := range p.headers {
		if m := hdr.Number.Uint64(); m > 0 && m < n {
			delete(p.headers, h)
		}
	}
}

// flush makes the state at root durable and records it.
func (p *domainPipeline) flush(root common.Hash, n uint64) error {
	if err := p.store.Flush(root); err != nil {
		return fmt.Errorf("domain %d: flush state: %w", p.id, err)
	}
	p.flushed.root, p.flushed.number = root, n
	return nil
}

func (p *domainPipeline) close() error {
	if err := p.store.Close(); err != nil {
		return err
	}
	return p.db.Close()
}
