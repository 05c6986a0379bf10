package devnet

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core"
	"github.com/ethereum/go-ethereum/core/rawdb"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/core/vm"
	"github.com/ethereum/go-ethereum/ethdb"

	"github.com/receiptd/receiptd/domain"
	"github.com/receiptd/receiptd/protocol"
)

// domainRuntime executes one domain's blocks for every fork: the state
// store (shared by forks, content-addressed), the headers BLOCKHASH reads,
// the executor and the mempool.
type domainRuntime struct {
	id       protocol.DomainID
	genesis  *core.Genesis
	gasLimit uint64
	exec     *domain.Executor
	store    *domain.StateStore
	signer   types.Signer
	headers  map[common.Hash]*types.Header
	pool     *mempool
	roots    map[common.Hash]int // committed roots and their references
	db       ethdb.Database
	flushed  uint64 // newest domain block whose state was flushed
}

func newDomainRuntime(id protocol.DomainID, genesis *core.Genesis, pool *mempool, stateDir string) (*domainRuntime, *types.Block, error) {
	exec, err := domain.NewExecutor(genesis.Config, vm.Config{})
	if err != nil {
		return nil, nil, err
	}
	db := rawdb.NewMemoryDatabase()
	if stateDir != "" {
		dir := filepath.Join(stateDir, fmt.Sprintf("domain-%d", id))
		if err := os.RemoveAll(dir); err != nil {
			return nil, nil, err
		}
		if db, err = domain.OpenPebble(dir); err != nil {
			return nil, nil, err
		}
	}
	store, block, err := domain.OpenStateStore(db, genesis)
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	r := &domainRuntime{
		id: id, genesis: genesis, gasLimit: genesis.GasLimit, exec: exec, store: store,
		signer:  types.LatestSigner(genesis.Config),
		headers: map[common.Hash]*types.Header{block.Hash(): block.Header()},
		pool:    pool,
		roots:   map[common.Hash]int{},
		db:      db,
	}
	return r, block, nil
}

// GetHeader implements domain.HeaderReader.
func (r *domainRuntime) GetHeader(hash common.Hash, number uint64) *types.Header {
	if h := r.headers[hash]; h != nil && h.Number.Uint64() == number {
		return h
	}
	return nil
}

// derive derives and executes the domain block consensus block c makes on
// top of parent's view, and returns the child view with the honest receipt.
func (r *domainRuntime) derive(ctx context.Context, c *protocol.Block, parent *domainFork, confirmed uint64) (*domainFork, error) {
	prepared, err := domain.Prepare(ctx, r.signer, c, r.id, 0)
	if err != nil {
		return nil, err
	}
	sdb, err := r.store.StateAt(parent.head.Root)
	if err != nil {
		return nil, err
	}
	d, err := domain.Derive(r.genesis.Config, prepared, parent.head, sdb, r.gasLimit)
	if err != nil {
		return nil, err
	}
	res, err := r.exec.Execute(ctx, r, d.Header, d.Txs, sdb)
	if err != nil {
		return nil, fmt.Errorf("devnet: domain %d: %w", r.id, err)
	}
	root, err := r.store.Commit(sdb, res.Block.Header())
	if err != nil {
		return nil, err
	}
	r.roots[root]++
	n := res.Block.NumberU64()
	prev := parent.honest[n-1]
	if prev == nil {
		return nil, fmt.Errorf("devnet: domain %d: no honest receipt for #%d", r.id, n-1)
	}
	honest := make(map[uint64]*protocol.ExecutionReceipt, len(parent.honest)+1)
	for k, v := range parent.honest {
		if k+1 >= confirmed { // keep the confirmed one's parent link too
			honest[k] = v
		}
	}
	honest[n] = domain.NewReceipt(d, res, prev.Hash())
	header := res.Block.Header()
	r.headers[header.Hash()] = header
	return &domainFork{head: header, derived: res.Block, honest: honest}, nil
}

// carry returns the child view of a consensus block that derives nothing.
func carry(parent *domainFork) *domainFork {
	return &domainFork{head: parent.head, honest: parent.honest}
}

// release drops the state of every committed root not in live.
func (r *domainRuntime) release(live map[common.Hash]bool) error {
	for root, refs := range r.roots {
		if live[root] {
			continue
		}
		for range refs {
			if err := r.store.Release(root); err != nil {
				return err
			}
		}
		delete(r.roots, root)
	}
	return nil
}

// flushFinal writes the state of a final domain block to disk every 32
// blocks, when the devnet keeps its state on disk, and forgets headers
// BLOCKHASH can no longer read.
func (r *domainRuntime) flushFinal(head *types.Header, onDisk bool) error {
	n := head.Number.Uint64()
	if onDisk && n >= r.flushed+32 {
		if err := r.store.Flush(head.Root); err != nil {
			return err
		}
		r.flushed = n
	}
	for h, hdr := range r.headers {
		if hdr.Number.Uint64()+300 < n {
			delete(r.headers, h)
		}
	}
	return nil
}

func (r *domainRuntime) close() error {
	if err := r.store.Close(); err != nil {
		return err
	}
	return r.db.Close()
}

// nonceReader returns the nonces of the state at root.
func (r *domainRuntime) nonceReader(root common.Hash) (func(common.Address) uint64, error) {
	sdb, err := r.store.StateAt(root)
	if err != nil {
		return nil, err
	}
	return sdb.GetNonce, nil
}
