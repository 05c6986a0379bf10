package bench

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/consensus"
	"github.com/ethereum/go-ethereum/consensus/beacon"
	"github.com/ethereum/go-ethereum/consensus/ethash"
	"github.com/ethereum/go-ethereum/core"
	"github.com/ethereum/go-ethereum/core/rawdb"
	"github.com/ethereum/go-ethereum/core/state"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/core/vm"
	"github.com/ethereum/go-ethereum/params"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/ethereum/go-ethereum/triedb"
	"github.com/ethereum/go-ethereum/triedb/hashdb"

	"github.com/receiptd/receiptd/audit"
	"github.com/receiptd/receiptd/domain"
)

// domainChain is an exported domain chain loaded in memory.
type domainChain struct {
	genesis *core.Genesis
	blocks  []*types.Block
	txs     int
}

func loadDomainChain(dir string) (*domainChain, error) {
	gf, err := os.Open(filepath.Join(dir, "genesis.json"))
	if err != nil {
		return nil, err
	}
	defer gf.Close()
	genesis, err := audit.LoadGenesis(gf)
	if err != nil {
		return nil, err
	}
	cf, err := os.Open(filepath.Join(dir, "chain.rlp"))
	if err != nil {
		return nil, err
	}
	defer cf.Close()
	c := &domainChain{genesis: genesis}
	s := rlp.NewStream(cf, 0)
	for {
		b := new(types.Block)
		if err := s.Decode(b); err == io.EOF {
			break
		} else if err != nil {
			return nil, fmt.Errorf("%s: block %d: %w", dir, len(c.blocks)+1, err)
		}
		c.blocks = append(c.blocks, b)
		c.txs += len(b.Transactions())
	}
	return c, nil
}

// headerChain is the go-ethereum chain context the bare executor needs:
// parent and BLOCKHASH lookups.
type headerChain struct {
	headers map[common.Hash]*types.Header
	engine  consensus.Engine
	config  *params.ChainConfig
}

func (c *headerChain) Config() *params.ChainConfig { return c.config }
func (c *headerChain) Engine() consensus.Engine    { return c.engine }
func (c *headerChain) CurrentHeader() *types.Header {
	return nil
}
func (c *headerChain) GetHeader(h common.Hash, n uint64) *types.Header { return c.headers[h] }
func (c *headerChain) GetHeaderByNumber(uint64) *types.Header          { return nil }
func (c *headerChain) GetHeaderByHash(h common.Hash) *types.Header     { return c.headers[h] }

// bareExecute runs the transactions of the domain chain exported in dir
// with go-ethereum alone, on one goroutine, with a state root after every
// transaction: the trace's work and nothing else (no derivation, no
// checks, no index), committing each block's state to an in-memory trie
// database. The blocks are decoded
// afresh from the chain file, outside the timer. With senders false,
// go-ethereum recovers each sender as it applies the transaction, as it
// does for any transaction it has not seen (this is the baseline the
// targets use: a verifier must recover every sender too). With senders
// true they are recovered beforehand and not timed: execution alone.
func bareExecute(ctx context.Context, dir string, senders bool) (time.Duration, error) {
	c, err := loadDomainChain(dir)
	if err != nil {
		return 0, err
	}
	db := rawdb.NewMemoryDatabase()
	// The same trie database settings as the follower's state store, so
	// the comparison is of the work, not of the cache.
	tdb := triedb.NewDatabase(db, &triedb.Config{HashDB: &hashdb.Config{CleanCacheSize: domain.CleanCacheBytes}})
	gblock, err := c.genesis.Commit(db, tdb, nil)
	if err != nil {
		return 0, err
	}
	sdbDB := state.NewDatabase(tdb, state.NewCodeDB(db))
	sdb, err := state.New(gblock.Root(), sdbDB)
	if err != nil {
		return 0, err
	}
	cfg := c.genesis.Config
	if senders {
		signer := types.LatestSigner(cfg)
		for _, b := range c.blocks {
			for _, tx := range b.Transactions() {
				if _, err := types.Sender(signer, tx); err != nil {
					return 0, err
				}
			}
		}
	}
	headers := map[common.Hash]*types.Header{gblock.Hash(): gblock.Header()}
	chain := &headerChain{headers: headers, engine: beacon.New(ethash.NewFaker()), config: cfg}
	start := time.Now()
	for _, b := range c.blocks {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		header := b.Header()
		evm := vm.NewEVM(core.NewEVMBlockContext(header, chain, nil), sdb, cfg, vm.Config{})
		core.ProcessBeaconBlockRoot(*header.ParentBeaconRoot, evm, nil)
		rules := cfg.Rules(header.Number, true, header.Time)
		sdb.IntermediateRoot(rules)
		gp := core.NewGasPool(header.GasLimit)
		for i, tx := range b.Transactions() {
			sdb.SetTxContext(tx.Hash(), i, uint32(i+1))
			if _, _, err := core.ApplyTransaction(ctx, evm, gp, sdb, header, tx); err != nil {
				return 0, fmt.Errorf("bare: block %d tx %d: %w", header.Number, i, err)
			}
			sdb.IntermediateRoot(rules)
		}
		evm.Release()
		// Commit per block, as any executor must to keep a state across
		// blocks (the follower commits to the same in-memory trie database).
		root, err := sdb.Commit(rules, header.Number.Uint64())
		if err != nil {
			return 0, err
		}
		if root != header.Root {
			return 0, fmt.Errorf("bare: block %d: root %s, header %s", header.Number, root, header.Root)
		}
		if sdb, err = state.New(root, sdbDB); err != nil {
			return 0, err
		}
		headers[b.Hash()] = header
	}
	return time.Since(start), nil
}
