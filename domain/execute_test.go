package domain

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/consensus/beacon"
	"github.com/ethereum/go-ethereum/consensus/ethash"
	"github.com/ethereum/go-ethereum/core"
	"github.com/ethereum/go-ethereum/core/rawdb"
	"github.com/ethereum/go-ethereum/core/state"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/core/vm"
	"github.com/ethereum/go-ethereum/core/vm/program"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/params"
	"github.com/holiman/uint256"

	"github.com/receiptd/receiptd/protocol"
)

// The shared fixture: a domain chain of fixtureBlocks blocks built with the
// Executor, mixing transfers, two contract deployments, storage-writing calls
// with logs, a failing call and calls reading BLOCKHASH.

const (
	fixtureBlocks  = 6
	fixtureChainID = 4242
	genesisTime    = 1_700_000_000
	slotSeconds    = 6
)

var gwei = big.NewInt(params.GWei)

// testChain is an in-memory HeaderReader.
type testChain map[common.Hash]*types.Header

func (c testChain) GetHeader(hash common.Hash, number uint64) *types.Header {
	if h := c[hash]; h != nil && h.Number.Uint64() == number {
		return h
	}
	return nil
}

func testKey(i int) *ecdsa.PrivateKey {
	key, err := crypto.ToECDSA(crypto.Keccak256([]byte(fmt.Sprintf("receiptd/domain/test-key/%d", i))))
	if err != nil {
		panic(err)
	}
	return key
}

func testAddr(i int) common.Address { return crypto.PubkeyToAddress(testKey(i).PublicKey) }

// storageCode stores calldata[32:64] at slot calldata[0:32], bumps a
// counter at slot 1000 and logs the counter's old value as a topic.
func storageCode() []byte {
	return program.New().
		Push(32).Op(vm.CALLDATALOAD).Push(0).Op(vm.CALLDATALOAD).Op(vm.SSTORE).
		Push(1000).Op(vm.SLOAD).Push(0).Push(0).Op(vm.LOG1).
		Push(1000).Op(vm.SLOAD).Push(1).Op(vm.ADD).Push(1000).Op(vm.SSTORE).
		Op(vm.STOP).Bytes()
}

// blockHashCode stores BLOCKHASH(NUMBER−1) at slot NUMBER and
// BLOCKHASH(NUMBER−3) at slot NUMBER+2^64.
func blockHashCode() []byte {
	return program.New().
		Push(1).Op(vm.NUMBER).Op(vm.SUB).Op(vm.BLOCKHASH).Op(vm.NUMBER).Op(vm.SSTORE).
		Push(3).Op(vm.NUMBER).Op(vm.SUB).Op(vm.BLOCKHASH).
		Push(new(big.Int).Lsh(common.Big1, 64)).Op(vm.NUMBER).Op(vm.ADD).Op(vm.SSTORE).
		Op(vm.STOP).Bytes()
}

func deployCode(runtime []byte) []byte { return program.New().ReturnViaCodeCopy(runtime).Bytes() }

func testGenesis(t testing.TB, funded int) *core.Genesis {
	t.Helper()
	alloc := types.GenesisAlloc{}
	for i := range funded {
		alloc[testAddr(i)] = types.Account{Balance: new(big.Int).Mul(big.NewInt(1e6), big.NewInt(params.Ether))}
	}
	g, err := NewGenesis(GenesisSpec{ChainID: big.NewInt(fixtureChainID), Timestamp: genesisTime, Alloc: alloc})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

type fixture struct {
	genesis *core.Genesis
	exec    *Executor
	store   *StateStore
	chain   testChain
	gblock  *types.Block
	blocks  []*types.Block
	txs     [][]*types.Transaction
	results []*Result
}

// newFixture builds the fixture chain into an in-memory StateStore, every
// block's final state committed and referenced.
func newFixture(t testing.TB) *fixture {
	t.Helper()
	f := &fixture{genesis: testGenesis(t, 4), chain: testChain{}}
	var err error
	if f.exec, err = NewExecutor(f.genesis.Config, vm.Config{}); err != nil {
		t.Fatal(err)
	}
	if f.store, f.gblock, err = OpenStateStore(rawdb.NewMemoryDatabase(), f.genesis); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.store.Close() })
	f.chain[f.gblock.Hash()] = f.gblock.Header()
	parent := f.gblock.Header()
	for n := 1; n <= fixtureBlocks; n++ {
		header := nextHeader(t, f.genesis.Config, parent)
		txs := fixtureTxs(f.genesis.Config, n)
		sdb, err := f.store.StateAt(parent.Root)
		if err != nil {
			t.Fatal(err)
		}
		res, err := f.exec.Execute(context.Background(), f.chain, header, txs, sdb)
		if err != nil {
			t.Fatalf("block %d: %v", n, err)
		}
		root, err := f.store.Commit(sdb, header)
		if err != nil || root != res.Block.Root() {
			t.Fatalf("block %d: commit root %x (err %v), executed root %x", n, root, err, res.Block.Root())
		}
		f.blocks, f.txs, f.results = append(f.blocks, res.Block), append(f.txs, txs), append(f.results, res)
		f.chain[res.Block.Hash()] = res.Block.Header()
		parent = res.Block.Header()
	}
	return f
}

// execute runs header's block on a fresh StateDB at root.
func (f *fixture) execute(t testing.TB, header *types.Header, txs []*types.Transaction, root common.Hash) *Result {
	t.Helper()
	sdb, err := f.store.StateAt(root)
	if err != nil {
		t.Fatal(err)
	}
	res, err := f.exec.Execute(context.Background(), f.chain, header, txs, sdb)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func nextHeader(t testing.TB, cfg *params.ChainConfig, parent *types.Header) *types.Header {
	t.Helper()
	n := parent.Number.Uint64() + 1
	h, err := NewHeader(cfg, HeaderSpec{
		Parent:     parent,
		Time:       parent.Time + slotSeconds,
		PrevRandao: crypto.Keccak256Hash([]byte("randomness"), new(big.Int).SetUint64(n).Bytes()),
		BeaconRoot: crypto.Keccak256Hash([]byte("consensus block"), new(big.Int).SetUint64(n).Bytes()),
		Coinbase:   FeeRecipient,
	})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// fixtureTxs returns block n's transactions; keys 0 and 1 deploy the
// contracts in block 1 and call them afterwards, key 2 and 3 transfer.
func fixtureTxs(cfg *params.ChainConfig, n int) []*types.Transaction {
	var (
		signer    = types.LatestSigner(cfg)
		storage   = crypto.CreateAddress(testAddr(0), 0)
		blockHash = crypto.CreateAddress(testAddr(1), 0)
		feeCap    = new(big.Int).Mul(big.NewInt(20), gwei)
		tip       = new(big.Int).Mul(big.NewInt(int64(n)), gwei)
		nonce     = uint64(n - 1)
		chainID   = cfg.ChainID
	)
	recipient := common.BigToAddress(big.NewInt(int64(0xbeef00 + n)))
	dyn := func(key, nonce int, to *common.Address, gas uint64, value *big.Int, data []byte) *types.Transaction {
		return types.MustSignNewTx(testKey(key), signer, &types.DynamicFeeTx{ChainID: chainID, Nonce: uint64(nonce), GasTipCap: tip, GasFeeCap: feeCap, Gas: gas, To: to, Value: value, Data: data})
	}
	legacy := func(key, nonce int, to *common.Address, gas uint64, data []byte) *types.Transaction {
		return types.MustSignNewTx(testKey(key), signer, &types.LegacyTx{Nonce: uint64(nonce), GasPrice: new(big.Int).Mul(big.NewInt(3), gwei), Gas: gas, To: to, Data: data})
	}
	transfer := types.MustSignNewTx(testKey(2), signer, &types.AccessListTx{
		ChainID: chainID, Nonce: nonce, GasPrice: new(big.Int).Mul(big.NewInt(2), gwei), Gas: 30_000, To: &recipient,
		Value: big.NewInt(int64(n) * params.GWei), AccessList: types.AccessList{{Address: storage, StorageKeys: []common.Hash{{31: 1}}}},
	})
	if n == 1 {
		return []*types.Transaction{
			dyn(0, 0, nil, 200_000, nil, deployCode(storageCode())),
			legacy(1, 0, nil, 200_000, deployCode(blockHashCode())),
			transfer,
		}
	}
	call := common.LeftPadBytes(big.NewInt(int64(n)).Bytes(), 32)
	call = append(call, common.LeftPadBytes(big.NewInt(int64(7*n)).Bytes(), 32)...)
	return []*types.Transaction{
		dyn(0, 2*n-3, &storage, 120_000, nil, call),
		legacy(1, n-1, &blockHash, 100_000, nil),
		transfer,
		dyn(0, 2*n-2, &storage, 25_000, nil, call), // runs out of gas in SSTORE
		types.MustSignNewTx(testKey(3), signer, &types.DynamicFeeTx{ChainID: chainID, Nonce: uint64(n - 2), GasTipCap: big.NewInt(0), GasFeeCap: feeCap, Gas: 21_000, To: &recipient, Value: big.NewInt(1)}),
	}
}

// TestChainImportsIntoGeth checks the Executor's chain against go-ethereum's
// own block import: same head hash and state root, and the fees land where
// Result says they do.
func TestChainImportsIntoGeth(t *testing.T) {
	f := newFixture(t)
	bc, err := core.NewBlockChain(rawdb.NewMemoryDatabase(), f.genesis, beacon.New(ethash.NewFaker()), core.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer bc.Stop()
	if n, err := bc.InsertChain(f.blocks); err != nil {
		t.Fatalf("geth rejected block %d: %v", n+1, err)
	}
	head, last := bc.CurrentBlock(), f.blocks[len(f.blocks)-1]
	if head.Hash() != last.Hash() || head.Root != last.Root() {
		t.Fatalf("geth head %x root %x, want %x root %x", head.Hash(), head.Root, last.Hash(), last.Root())
	}
	gethState, err := bc.State()
	if err != nil {
		t.Fatal(err)
	}
	tips := new(uint256.Int)
	var failed int
	for i, res := range f.results {
		tips.Add(tips, res.Fees.Operators)
		want := new(uint256.Int).Mul(uint256.MustFromBig(res.Block.BaseFee()), uint256.NewInt(res.GasUsed))
		if !res.Fees.Burned.Eq(want) || res.GasUsed != res.Block.GasUsed() {
			t.Errorf("block %d: burned %v gas %d, want %v gas %d", i+1, res.Fees.Burned, res.GasUsed, want, res.Block.GasUsed())
		}
		for _, r := range res.Receipts {
			if r.Status == types.ReceiptStatusFailed {
				failed++
			}
			if r.BlockHash != res.Block.Hash() {
				t.Errorf("block %d: receipt block hash %x, want %x", i+1, r.BlockHash, res.Block.Hash())
			}
		}
	}
	if got := gethState.GetBalance(FeeRecipient); !got.Eq(tips) || tips.IsZero() {
		t.Errorf("fee recipient holds %v in geth, Σ operator fees %v", got, tips)
	}
	if failed != fixtureBlocks-1 {
		t.Errorf("%d failed receipts, want the %d out-of-gas calls", failed, fixtureBlocks-1)
	}
	blockHashContract := crypto.CreateAddress(testAddr(1), 0)
	if got := gethState.GetState(blockHashContract, common.BigToHash(big.NewInt(fixtureBlocks))); got != f.blocks[fixtureBlocks-2].Hash() {
		t.Errorf("BLOCKHASH(parent) stored %x, want %x", got, f.blocks[fixtureBlocks-2].Hash())
	}
}

// TestTraceMatchesBareExecution checks each trace entry against plain
// go-ethereum execution with an IntermediateRoot after every transaction.
func TestTraceMatchesBareExecution(t *testing.T) {
	f := newFixture(t)
	parentRoot := f.gblock.Root()
	for i, res := range f.results {
		if len(res.Trace) != len(f.txs[i])+2 {
			t.Fatalf("block %d: trace of %d entries for %d txs", i+1, len(res.Trace), len(f.txs[i]))
		}
		sdb, err := f.store.StateAt(parentRoot)
		if err != nil {
			t.Fatal(err)
		}
		bare, err := bareExecute(f.exec.Config(), f.chain, res.Block.Header(), f.txs[i], sdb)
		if err != nil {
			t.Fatal(err)
		}
		for k, root := range bare {
			if res.Trace[k] != root {
				t.Errorf("block %d: trace[%d] = %x, go-ethereum %x", i+1, k, res.Trace[k], root)
			}
		}
		n := len(res.Trace)
		if res.Trace[n-1] != res.Trace[n-2] || res.Trace[n-1] != res.Block.Root() || res.Trace[0] == parentRoot {
			t.Errorf("block %d: trace ends %x %x, root %x; trace[0] %x, parent root %x", i+1, res.Trace[n-2], res.Trace[n-1], res.Block.Root(), res.Trace[0], parentRoot)
		}
		if res.TraceRoot != protocol.TraceRoot(res.Trace) {
			t.Errorf("block %d: trace root %x, want %x", i+1, res.TraceRoot, protocol.TraceRoot(res.Trace))
		}
		parentRoot = res.Block.Root()
	}
}

// TestExecuteDeterministic runs the last fixture block again, sequentially
// and from concurrent goroutines on separate state DBs.
func TestExecuteDeterministic(t *testing.T) {
	f := newFixture(t)
	last := len(f.blocks) - 1
	header, txs, parentRoot := f.blocks[last].Header(), f.txs[last], f.blocks[last-1].Root()
	header.Root, header.GasUsed, header.Bloom, header.ReceiptHash, header.TxHash = common.Hash{}, 0, types.Bloom{}, common.Hash{}, common.Hash{}
	want := f.results[last]

	const workers = 4
	results := make([]*Result, workers+1)
	results[0] = f.execute(t, header, txs, parentRoot)
	var wg sync.WaitGroup
	errs := make([]error, workers+1)
	for w := 1; w <= workers; w++ {
		wg.Go(func() {
			sdb, err := f.store.StateAt(parentRoot)
			if err == nil {
				results[w], err = f.exec.Execute(context.Background(), f.chain, header, txs, sdb)
			}
			errs[w] = err
		})
	}
	wg.Wait()
	for w, res := range results {
		if errs[w] != nil {
			t.Fatalf("run %d: %v", w, errs[w])
		}
		if res.Block.Hash() != want.Block.Hash() || res.TraceRoot != want.TraceRoot || !res.Fees.Operators.Eq(want.Fees.Operators) {
			t.Errorf("run %d: block %x trace root %x, want %x %x", w, res.Block.Hash(), res.TraceRoot, want.Block.Hash(), want.TraceRoot)
		}
	}
}

func TestExecuteRejects(t *testing.T) {
	f := newFixture(t)
	cfg := f.exec.Config()
	parent := f.blocks[1].Header()
	signer := types.LatestSigner(cfg)
	storage := crypto.CreateAddress(testAddr(0), 0)
	good := fixtureTxs(cfg, 3)
	blob := types.MustSignNewTx(testKey(3), signer, &types.BlobTx{
		ChainID: uint256.NewInt(fixtureChainID), Nonce: 1, GasTipCap: uint256.NewInt(1), GasFeeCap: uint256.NewInt(1e11),
		Gas: 21_000, To: storage, BlobFeeCap: uint256.NewInt(1e9), BlobHashes: []common.Hash{{0: 1}},
	})
	tests := []struct {
		name    string
		header  func(*types.Header)
		chain   HeaderReader
		txs     []*types.Transaction
		wantErr error
		wantMsg string
	}{
		{name: "nonce too high", txs: []*types.Transaction{good[0], good[0]}, wantErr: ErrApplyTx, wantMsg: "tx 1 "},
		{name: "blob tx", txs: []*types.Transaction{blob}, wantErr: ErrApplyTx, wantMsg: "type 3"},
		{name: "nil tx", txs: []*types.Transaction{nil}, wantErr: ErrApplyTx, wantMsg: "tx 0 is nil"},
		{name: "unknown parent", chain: testChain{}, wantErr: ErrUnknownParent},
		{name: "blockhash beyond the known chain", chain: testChain{parent.Hash(): parent}, txs: good[1:2], wantErr: ErrUnknownAncestor},
		{name: "proof of work", header: func(h *types.Header) { h.Difficulty = big.NewInt(1) }, wantErr: ErrInvalidHeaderSpec},
		{name: "no beacon root", header: func(h *types.Header) { h.ParentBeaconRoot = nil }, wantErr: ErrInvalidHeaderSpec},
		{name: "huge base fee", header: func(h *types.Header) { h.BaseFee = new(big.Int).Lsh(common.Big1, 256) }, wantErr: ErrInvalidHeaderSpec},
		{name: "prague", header: func(h *types.Header) { h.Time = 1 << 40 }, wantErr: ErrUnsupportedFork},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			header := nextHeader(t, cfg, parent)
			if tt.header != nil {
				tt.header(header)
			}
			chain := tt.chain
			if chain == nil {
				chain = f.chain
			}
			exec := f.exec
			if tt.wantErr == ErrUnsupportedFork {
				pragueCfg := ChainConfig(cfg.ChainID)
				pragueTime := uint64(1 << 39)
				pragueCfg.PragueTime = &pragueTime
				exec, _ = NewExecutor(pragueCfg, vm.Config{})
			}
			sdb, err := f.store.StateAt(parent.Root)
			if err != nil {
				t.Fatal(err)
			}
			_, err = exec.Execute(context.Background(), chain, header, tt.txs, sdb)
			if !errors.Is(err, tt.wantErr) || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Fatalf("error %v, want %v containing %q", err, tt.wantErr, tt.wantMsg)
			}
		})
	}
}

// bareExecute is plain go-ethereum: the EIP-4788 call, then ApplyTransaction
// and IntermediateRoot per transaction. It returns the roots after the
// system call and after each transaction.
func bareExecute(cfg *params.ChainConfig, chain HeaderReader, header *types.Header, txs []*types.Transaction, sdb *state.StateDB) ([]common.Hash, error) {
	var (
		ctx   = context.Background()
		cc    = &chainContext{config: cfg, engine: beacon.New(ethash.NewFaker()), headers: chain}
		evm   = vm.NewEVM(core.NewEVMBlockContext(header, cc, nil), sdb, cfg, vm.Config{})
		rules = evm.GetRules()
		gp    = core.NewGasPool(header.GasLimit)
		roots = make([]common.Hash, 0, len(txs)+1)
	)
	defer evm.Release()
	core.ProcessBeaconBlockRoot(*header.ParentBeaconRoot, evm, nil)
	roots = append(roots, sdb.IntermediateRoot(rules))
	for i, tx := range txs {
		sdb.SetTxContext(tx.Hash(), i, uint32(i+1))
		if _, _, err := core.ApplyTransaction(ctx, evm, gp, sdb, header, tx); err != nil {
			return nil, err
		}
		roots = append(roots, sdb.IntermediateRoot(rules))
	}
	return roots, nil
}

// benchTransfers is a block of n transfers from n funded senders, senders
// already recovered, on a fresh store.
func benchTransfers(b *testing.B, n int) (*Executor, *StateStore, testChain, *types.Header, []*types.Transaction, common.Hash) {
	b.Helper()
	genesis := testGenesis(b, n)
	exec, err := NewExecutor(genesis.Config, vm.Config{})
	if err != nil {
		b.Fatal(err)
	}
	store, gblock, err := OpenStateStore(rawdb.NewMemoryDatabase(), genesis)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { store.Close() })
	header := nextHeader(b, genesis.Config, gblock.Header())
	signer := exec.Signer(header)
	txs := make([]*types.Transaction, n)
	for i := range txs {
		to := common.BigToAddress(big.NewInt(int64(0x10000 + i)))
		txs[i] = types.MustSignNewTx(testKey(i), signer, &types.DynamicFeeTx{
			ChainID: genesis.Config.ChainID, GasTipCap: gwei, GasFeeCap: new(big.Int).Mul(big.NewInt(10), gwei),
			Gas: 21_000, To: &to, Value: big.NewInt(1),
		})
		if _, err := types.Sender(signer, txs[i]); err != nil {
			b.Fatal(err)
		}
	}
	return exec, store, testChain{gblock.Hash(): gblock.Header()}, header, txs, gblock.Root()
}

const benchTxs = 200

func BenchmarkExecute(b *testing.B) {
	exec, store, chain, header, txs, parentRoot := benchTransfers(b, benchTxs)
	ctx := context.Background()
	for b.Loop() {
		sdb, err := store.StateAt(parentRoot)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := exec.Execute(ctx, chain, header, txs, sdb); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*benchTxs)/b.Elapsed().Seconds(), "tx/s")
}

func BenchmarkBareExecute(b *testing.B) {
	exec, store, chain, header, txs, parentRoot := benchTransfers(b, benchTxs)
	for b.Loop() {
		sdb, err := store.StateAt(parentRoot)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := bareExecute(exec.Config(), chain, header, txs, sdb); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*benchTxs)/b.Elapsed().Seconds(), "tx/s")
}

// A transaction that loops until its gas is spent stops when the context
// ends, whatever the gas limit: a proof file's own chain spec may name one
// that would last for hours.
func TestExecuteStopsWhenTheContextEnds(t *testing.T) {
	loop := common.HexToAddress("0x100f")
	g, err := NewGenesis(GenesisSpec{ChainID: big.NewInt(fixtureChainID), Timestamp: genesisTime, GasLimit: 1 << 40,
		Alloc: types.GenesisAlloc{
			testAddr(0): {Balance: new(big.Int).Mul(big.NewInt(1e6), big.NewInt(params.Ether))},
			loop:        {Code: program.New().Op(vm.JUMPDEST).Push(0).Op(vm.JUMP).Bytes()},
		}})
	if err != nil {
		t.Fatal(err)
	}
	store, gblock, err := OpenStateStore(rawdb.NewMemoryDatabase(), g)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	exec, err := NewExecutor(g.Config, vm.Config{})
	if err != nil {
		t.Fatal(err)
	}
	header := nextHeader(t, g.Config, gblock.Header())
	tx := types.MustSignNewTx(testKey(0), types.LatestSigner(g.Config), &types.DynamicFeeTx{
		ChainID: g.Config.ChainID, GasTipCap: gwei, GasFeeCap: new(big.Int).Mul(big.NewInt(20), gwei), Gas: 1 << 39, To: &loop})
	sdb, err := store.StateAt(gblock.Root())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := exec.Execute(ctx, testChain{gblock.Hash(): gblock.Header()}, header, []*types.Transaction{tx}, sdb)
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("execute: %v, want the context's deadline", err)
		}
	case <-time.After(time.Minute): // a hang detector, not a timing check
		t.Fatal("still executing a minute after the context ended")
	}
}
