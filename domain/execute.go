package domain

import (
	"context"
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/consensus"
	"github.com/ethereum/go-ethereum/consensus/beacon"
	"github.com/ethereum/go-ethereum/consensus/ethash"
	"github.com/ethereum/go-ethereum/core"
	"github.com/ethereum/go-ethereum/core/state"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/core/vm"
	"github.com/ethereum/go-ethereum/params"
	"github.com/ethereum/go-ethereum/trie"
	"github.com/holiman/uint256"

	"github.com/receiptd/receiptd/protocol"
)

var (
	// ErrUnknownParent reports a header whose parent the HeaderReader lacks.
	ErrUnknownParent = errors.New("domain: unknown parent header")
	// ErrUnknownAncestor reports a BLOCKHASH lookup of an ancestor the
	// HeaderReader lacks; go-ethereum would have read a zero hash.
	ErrUnknownAncestor = errors.New("domain: unknown ancestor header")
	// ErrApplyTx reports a transaction go-ethereum refused to apply.
	ErrApplyTx = errors.New("domain: transaction not applicable")
)

// HeaderReader gives the ancestors of the block being executed: its parent,
// and those BLOCKHASH reads (up to 256 back).
type HeaderReader interface {
	// GetHeader returns the header with the given hash and number, or nil.
	GetHeader(hash common.Hash, number uint64) *types.Header
}

// Fees are what a block's transactions paid, in wei (DESIGN.md §1.6).
type Fees struct {
	// Operators is Σ gasUsed × min(tipCap, feeCap − baseFee): the tips,
	// credited to the block's coinbase.
	Operators *uint256.Int
	// Burned is Σ gasUsed × baseFee.
	Burned *uint256.Int
}

// Result is one executed domain block.
type Result struct {
	// Block is the complete block: Root is the final state root, TxHash,
	// ReceiptHash, Bloom, GasUsed and an empty withdrawals list are set.
	Block *types.Block
	// Receipts are the transactions' receipts, BlockHash filled in.
	Receipts types.Receipts
	// Trace holds the state root after initialisation, after each
	// transaction and after finalisation: len(txs)+2 entries.
	Trace []common.Hash
	// TraceRoot is protocol.TraceRoot(Trace).
	TraceRoot common.Hash
	// GasUsed is the block's gas used.
	GasUsed uint64
	// Fees are the tips and the burned base fee.
	Fees Fees
}

// Executor executes domain blocks. It is immutable and safe for concurrent
// use; every call needs its own *state.StateDB.
type Executor struct {
	config    *params.ChainConfig
	vmConfig  vm.Config
	engine    consensus.Engine
	jumpDests vm.JumpDestCache // shared, concurrency-safe analysis cache
}

// NewExecutor returns an Executor for chain config cfg (normally
// ChainConfig's) with EVM settings vmCfg (zero for none; a tracer in it sees
// every call).
func NewExecutor(cfg *params.ChainConfig, vmCfg vm.Config) (*Executor, error) {
	if cfg == nil || cfg.ChainID == nil {
		return nil, errors.New("domain: new executor: nil chain config or chain id")
	}
	return &Executor{
		config:    cfg,
		vmConfig:  vmCfg,
		engine:    beacon.New(ethash.NewFaker()),
		jumpDests: core.NewJumpDestCache(),
	}, nil
}

// Config returns the executor's chain config.
func (e *Executor) Config() *params.ChainConfig { return e.config }

// Signer returns the signer of header's block. Calling types.Sender with it
// on a transaction caches the sender, so a worker pool can recover senders
// before Execute, which then does no signature recovery.
func (e *Executor) Signer(header *types.Header) types.Signer {
	return types.MakeSigner(e.config, header.Number, header.Time)
}

// Execute runs header's block of txs on sdb, the parent block's final state,
// as go-ethereum's state processor does, and records the trace. sdb ends in
// the block's final state, ready for StateStore.Commit. A transaction that
// fails to apply fails the call with ErrApplyTx and its index: the caller
// checks validity beforehand (DESIGN.md §1.5 step 1).
func (e *Executor) Execute(ctx context.Context, chain HeaderReader, header *types.Header, txs []*types.Transaction, sdb *state.StateDB) (*Result, error) {
	if chain == nil || sdb == nil {
		return nil, errors.New("domain: execute: nil header reader or state")
	}
	if err := checkHeader(e.config, header); err != nil {
		return nil, fmt.Errorf("domain: execute: %w", err)
	}
	number := header.Number.Uint64()
	parent := chain.GetHeader(header.ParentHash, number-1)
	if parent == nil {
		return nil, fmt.Errorf("%w: block %d parent %x", ErrUnknownParent, number, header.ParentHash)
	}
	r := e.newRun(ctx, chain, header, sdb)
	defer r.release()

	trace := make([]common.Hash, 0, len(txs)+2)
	root, err := r.initialise(ctx, parent)
	if err != nil {
		return nil, fmt.Errorf("domain: block %d: initialise: %w", number, err)
	}
	trace = append(trace, root)

	var (
		gp       = core.NewGasPool(header.GasLimit)
		receipts = make(types.Receipts, 0, len(txs))
		tips     = new(uint256.Int)
		tip, gas uint256.Int
	)
	for i, tx := range txs {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("domain: block %d: %w", number, err)
		}
		receipt, msg, err := r.applyTx(ctx, i, tx, gp)
		if err != nil {
			return nil, fmt.Errorf("domain: block %d: %w", number, err)
		}
		receipts = append(receipts, receipt)
		// min(tipCap, feeCap − baseFee); the fee cap covers the base fee, or
		// go-ethereum would have refused the transaction.
		tip.Sub(msg.GasFeeCap, r.baseFee)
		if msg.GasTipCap.Lt(&tip) {
			tip.Set(msg.GasTipCap)
		}
		tips.Add(tips, tip.Mul(&tip, gas.SetUint64(receipt.GasUsed)))

		if root, err = r.root(); err != nil {
			return nil, fmt.Errorf("domain: block %d: tx %d: %w", number, i, err)
		}
		trace = append(trace, root)
	}
	if root, err = r.finalise(ctx, len(txs)); err != nil {
		return nil, fmt.Errorf("domain: block %d: finalise: %w", number, err)
	}
	trace = append(trace, root)

	gasUsed := gp.Used()
	h := *header // NewBlock deep-copies it
	h.Root, h.GasUsed = root, gasUsed
	block := types.NewBlock(&h, &types.Body{Transactions: txs, Withdrawals: []*types.Withdrawal{}}, receipts, trie.NewStackTrie(nil))
	hash := block.Hash()
	for _, receipt := range receipts {
		receipt.BlockHash = hash
		for _, log := range receipt.Logs {
			log.BlockHash = hash
		}
	}
	return &Result{
		Block:     block,
		Receipts:  receipts,
		Trace:     trace,
		TraceRoot: protocol.TraceRoot(trace),
		GasUsed:   gasUsed,
		Fees: Fees{
			Operators: tips,
			Burned:    new(uint256.Int).Mul(r.baseFee, uint256.NewInt(gasUsed)),
		},
	}, nil
}

// run is the execution of one block on one StateDB, step by step; Execute
// runs every step, ExecuteStep and BuildStepWitness one.
type run struct {
	config  *params.ChainConfig
	engine  consensus.Engine
	header  *types.Header
	rules   params.Rules
	signer  types.Signer
	baseFee *uint256.Int
	sdb     *state.StateDB
	evm     *vm.EVM
	chain   *chainContext
	stop    func() bool // stops the context's abort of evm
}

// newRun prepares the execution of header's block on sdb; header must have
// passed checkHeader. Ending ctx aborts the EVM mid-transaction, and every
// step then fails with ctx's error: a transaction runs until its gas is
// spent, and a block's gas limit is whatever the chain spec says (a proof
// file's own spec could otherwise keep its verification running for as
// long as a huge gas limit lasts).
func (e *Executor) newRun(ctx context.Context, headers HeaderReader, header *types.Header, sdb *state.StateDB) *run {
	chain := &chainContext{config: e.config, engine: e.engine, headers: headers}
	var vmdb vm.StateDB = sdb
	if hooks := e.vmConfig.Tracer; hooks != nil {
		vmdb = state.NewHookedState(sdb, hooks)
	}
	evm := vm.NewEVM(core.NewEVMBlockContext(header, chain, &header.Coinbase), vmdb, e.config, e.vmConfig)
	evm.SetJumpDestCache(e.jumpDests)
	return &run{
		config:  e.config,
		engine:  e.engine,
		header:  header,
		rules:   evm.GetRules(),
		signer:  e.Signer(header),
		baseFee: uint256.MustFromBig(header.BaseFee), // checkHeader bounds it
		sdb:     sdb,
		evm:     evm,
		chain:   chain,
		stop:    context.AfterFunc(ctx, evm.Cancel),
	}
}

func (r *run) release() {
	r.stop()
	r.evm.Release()
}

// root returns the current state root, or the error that made the state
// or the chain incomplete while the step ran.
func (r *run) root() (common.Hash, error) {
	root := r.sdb.IntermediateRoot(r.rules)
	if err := r.sdb.Error(); err != nil {
		return common.Hash{}, fmt.Errorf("%w: %w", ErrMissingState, err)
	}
	if r.chain.missing != nil {
		return common.Hash{}, r.chain.missing
	}
	return root, nil
}

// initialise runs go-ethereum's pre-execution: the EIP-4788 system call.
func (r *run) initialise(ctx context.Context, parent *types.Header) (common.Hash, error) {
	core.PreExecution(ctx, r.header.ParentBeaconRoot, parent, r.config, r.evm, r.header.Number, r.header.Time)
	if err := ctx.Err(); err != nil { // the system call may have been aborted
		return common.Hash{}, err
	}
	return r.root()
}

// applyTx applies transaction i. Its sender is recovered here unless the
// transaction's sender cache already holds it for r.signer.
func (r *run) applyTx(ctx context.Context, i int, tx *types.Transaction, gp *core.GasPool) (*types.Receipt, *core.Message, error) {
	if tx == nil {
		return nil, nil, fmt.Errorf("%w: tx %d is nil", ErrApplyTx, i)
	}
	if tx.Type() > types.DynamicFeeTxType {
		return nil, nil, fmt.Errorf("%w: tx %d (%x): type %d is not allowed in a domain", ErrApplyTx, i, tx.Hash(), tx.Type())
	}
	msg, err := core.TransactionToMessage(tx, r.signer, r.header.BaseFee)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: tx %d (%x): %w", ErrApplyTx, i, tx.Hash(), err)
	}
	r.sdb.SetTxContext(tx.Hash(), i, uint32(i+1))
	// The block hash is not known before the final root; Execute fills it in.
	receipt, _, err := core.ApplyTransactionWithEVM(ctx, msg, gp, r.sdb, r.header.Number, common.Hash{}, r.header.Time, tx, r.evm)
	if cerr := ctx.Err(); cerr != nil { // an aborted transaction's receipt is not its result
		return nil, nil, fmt.Errorf("tx %d (%x): %w", i, tx.Hash(), cerr)
	}
	if err != nil {
		// State that could not be read looks empty to go-ethereum's checks;
		// the unreadable state, not their verdict, is the cause.
		if dbErr := r.sdb.Error(); dbErr != nil {
			return nil, nil, fmt.Errorf("%w: tx %d (%x): %w", ErrMissingState, i, tx.Hash(), dbErr)
		}
		return nil, nil, fmt.Errorf("%w: tx %d (%x): %w", ErrApplyTx, i, tx.Hash(), err)
	}
	return receipt, msg, nil
}

// finalise runs go-ethereum's post-execution (no withdrawals; logs are only
// read from Prague on, which a domain never reaches) and the engine's
// Finalize, after n transactions.
func (r *run) finalise(ctx context.Context, n int) (common.Hash, error) {
	withdrawals := []*types.Withdrawal{}
	if _, _, err := core.PostExecution(ctx, r.config, r.header.Number, r.header.Time, nil, withdrawals, r.evm, uint32(n+1)); err != nil {
		if cerr := ctx.Err(); cerr != nil { // aborted: the context, not the system call, is the cause
			return common.Hash{}, cerr
		}
		return common.Hash{}, fmt.Errorf("post-execution: %w", err)
	}
	r.engine.Finalize(r.chain, r.header, r.evm.StateDB, &types.Body{Withdrawals: withdrawals})
	if err := ctx.Err(); err != nil {
		return common.Hash{}, err
	}
	return r.root()
}

// chainContext gives go-ethereum's EVM and engine the chain they read:
// headers from a HeaderReader, and nothing else. It remembers a failed
// lookup, which BLOCKHASH would otherwise turn into a zero hash.
type chainContext struct {
	config  *params.ChainConfig
	engine  consensus.Engine
	headers HeaderReader
	missing error
}

var _ core.ChainContext = (*chainContext)(nil)

func (c *chainContext) Config() *params.ChainConfig { return c.config }
func (c *chainContext) Engine() consensus.Engine    { return c.engine }

func (c *chainContext) GetHeader(hash common.Hash, number uint64) *types.Header {
	h := c.headers.GetHeader(hash, number)
	if h == nil && c.missing == nil {
		c.missing = fmt.Errorf("%w: block %d hash %x", ErrUnknownAncestor, number, hash)
	}
	return h
}

// The lookups below serve chain-following code go-ethereum's execution does
// not run for domain (proof-of-stake, Cancun) blocks.
func (c *chainContext) CurrentHeader() *types.Header              { return nil }
func (c *chainContext) GetHeaderByNumber(uint64) *types.Header    { return nil }
func (c *chainContext) GetHeaderByHash(common.Hash) *types.Header { return nil }
