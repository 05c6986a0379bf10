package domain

import (
	"context"
	"math/big"
	"slices"
	"sync"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/consensus/beacon"
	"github.com/ethereum/go-ethereum/consensus/ethash"
	"github.com/ethereum/go-ethereum/core"
	"github.com/ethereum/go-ethereum/core/rawdb"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/core/vm"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/params"

	"github.com/receiptd/receiptd/protocol"
)

const dvDomain protocol.DomainID = 1

// dvEnv derives a domain chain from consensus blocks the test writes.
type dvEnv struct {
	t       testing.TB
	genesis *core.Genesis
	exec    *Executor
	store   *StateStore
	chain   testChain
	head    *types.Header
	receipt common.Hash
	signer  types.Signer
	cnum    uint64
	blocks  []*types.Block
}

func newDvEnv(t testing.TB) *dvEnv {
	t.Helper()
	e := &dvEnv{t: t, genesis: testGenesis(t, 8), chain: testChain{}}
	var err error
	if e.exec, err = NewExecutor(e.genesis.Config, vm.Config{}); err != nil {
		t.Fatal(err)
	}
	var gblock *types.Block
	if e.store, gblock, err = OpenStateStore(rawdb.NewMemoryDatabase(), e.genesis); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.store.Close() })
	e.head = gblock.Header()
	e.chain[gblock.Hash()] = e.head
	e.signer = types.LatestSigner(e.genesis.Config)
	return e
}

// transfer signs a 1-wei dynamic-fee transfer from key i.
func (e *dvEnv) transfer(i int, nonce uint64) *types.Transaction {
	return types.MustSignNewTx(testKey(i), e.signer, &types.DynamicFeeTx{
		ChainID: e.genesis.Config.ChainID, Nonce: nonce, Gas: params.TxGas,
		GasFeeCap: big.NewInt(10 * params.GWei), GasTipCap: big.NewInt(params.GWei),
		To: &common.Address{0xee}, Value: common.Big1,
	})
}

func raw(t testing.TB, txs ...*types.Transaction) [][]byte {
	out := make([][]byte, len(txs))
	for i, tx := range txs {
		b, err := tx.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		out[i] = b
	}
	return out
}

// bundle makes a bundle of domain d declaring the true gas of the
// extrinsics that decode, plus extra.
func bundle(d protocol.DomainID, extra int64, xs [][]byte) *protocol.Bundle {
	var gas int64
	for _, x := range xs {
		var tx types.Transaction
		if tx.UnmarshalBinary(x) == nil {
			gas += int64(tx.Gas())
		}
	}
	return &protocol.Bundle{
		Sealed: protocol.SealedBundleHeader{Header: protocol.BundleHeader{
			Domain: d, DeclaredGas: uint64(gas + extra),
			ExtrinsicsRoot: protocol.ExtrinsicsRoot(xs), ExtrinsicsSize: protocol.ExtrinsicsSize(xs),
		}},
		Extrinsics: xs,
	}
}

func (e *dvEnv) consensus(bundles ...*protocol.Bundle) *protocol.Block {
	e.cnum++
	c := &protocol.Block{
		Header: protocol.Header{Number: e.cnum, Slot: e.cnum, Timestamp: genesisTime + 6*e.cnum,
			Randomness: crypto.Keccak256Hash(big.NewInt(int64(e.cnum)).Bytes())},
		Body: protocol.Body{Bundles: bundles},
	}
	c.Seal()
	return c
}

// derive derives, executes and commits the domain block c makes.
func (e *dvEnv) derive(c *protocol.Block) (*Derivation, *Result, *protocol.ExecutionReceipt) {
	e.t.Helper()
	p, err := Prepare(context.Background(), e.signer, c, dvDomain, 2)
	if err != nil {
		e.t.Fatal(err)
	}
	sdb, err := e.store.StateAt(e.head.Root)
	if err != nil {
		e.t.Fatal(err)
	}
	d, err := Derive(e.genesis.Config, p, e.head, sdb, e.genesis.GasLimit)
	if err != nil {
		e.t.Fatal(err)
	}
	res, err := e.exec.Execute(context.Background(), e.chain, d.Header, d.Txs, sdb)
	if err != nil {
		e.t.Fatalf("execute derived block: %v", err)
	}
	if _, err := e.store.Commit(sdb, res.Block.Header()); err != nil {
		e.t.Fatal(err)
	}
	er := NewReceipt(d, res, e.receipt)
	e.head, e.receipt = res.Block.Header(), er.Hash()
	e.chain[res.Block.Hash()] = e.head
	e.blocks = append(e.blocks, res.Block)
	return d, res, er
}

func hashes(txs []*types.Transaction) []common.Hash {
	out := make([]common.Hash, len(txs))
	for i, tx := range txs {
		out[i] = tx.Hash()
	}
	slices.SortFunc(out, func(a, b common.Hash) int { return a.Cmp(b) })
	return out
}

// Validity, duplicates and the running context, bundle by bundle.
func TestDeriveValidity(t *testing.T) {
	type want struct {
		validity []protocol.BundleValidity // Digest ignored for Valid entries
		kept     func(e *dvEnv) []*types.Transaction
	}
	cases := []struct {
		name    string
		bundles func(e *dvEnv) []*protocol.Bundle
		want    want
	}{
		{
			name: "running nonces across bundles",
			bundles: func(e *dvEnv) []*protocol.Bundle {
				return []*protocol.Bundle{
					bundle(dvDomain, 0, raw(t, e.transfer(0, 0), e.transfer(1, 0))),
					bundle(dvDomain, 0, raw(t, e.transfer(0, 1))),
				}
			},
			want: want{
				validity: []protocol.BundleValidity{{}, {}},
				kept: func(e *dvEnv) []*types.Transaction {
					return []*types.Transaction{e.transfer(0, 0), e.transfer(1, 0), e.transfer(0, 1)}
				},
			},
		},
		{
			name: "undecodable beats an earlier illegal tx",
			bundles: func(e *dvEnv) []*protocol.Bundle {
				xs := raw(t, e.transfer(0, 0), e.transfer(1, 5))
				return []*protocol.Bundle{bundle(dvDomain, 0, append(xs, []byte{0x02, 0xff, 0x00}))}
			},
			want: want{validity: []protocol.BundleValidity{protocol.Invalid(protocol.InvalidUndecodable, 2)}},
		},
		{
			name: "first illegal tx by index",
			bundles: func(e *dvEnv) []*protocol.Bundle {
				return []*protocol.Bundle{bundle(dvDomain, 0, raw(t, e.transfer(0, 0), e.transfer(1, 3), e.transfer(2, 9)))}
			},
			want: want{validity: []protocol.BundleValidity{protocol.Invalid(protocol.InvalidIllegalTx, 1)}},
		},
		{
			name: "weight checked last",
			bundles: func(e *dvEnv) []*protocol.Bundle {
				return []*protocol.Bundle{bundle(dvDomain, 1, raw(t, e.transfer(0, 0)))}
			},
			want: want{validity: []protocol.BundleValidity{protocol.Invalid(protocol.InvalidBundleWeight, 0)}},
		},
		{
			name: "an invalid bundle's debits are discarded",
			bundles: func(e *dvEnv) []*protocol.Bundle {
				return []*protocol.Bundle{
					bundle(dvDomain, 0, raw(t, e.transfer(0, 0), e.transfer(1, 7))),
					bundle(dvDomain, 0, raw(t, e.transfer(0, 0))),
				}
			},
			want: want{
				validity: []protocol.BundleValidity{protocol.Invalid(protocol.InvalidIllegalTx, 1), {}},
				kept:     func(e *dvEnv) []*types.Transaction { return []*types.Transaction{e.transfer(0, 0)} },
			},
		},
		{
			name: "duplicates across and within bundles are skipped, not illegal",
			bundles: func(e *dvEnv) []*protocol.Bundle {
				return []*protocol.Bundle{
					bundle(dvDomain, 0, raw(t, e.transfer(0, 0), e.transfer(0, 0))),
					bundle(dvDomain, 0, raw(t, e.transfer(0, 0), e.transfer(0, 1))),
				}
			},
			want: want{
				validity: []protocol.BundleValidity{{}, {}},
				kept: func(e *dvEnv) []*types.Transaction {
					return []*types.Transaction{e.transfer(0, 0), e.transfer(0, 1)}
				},
			},
		},
		{
			name: "other domains' bundles are not inboxed",
			bundles: func(e *dvEnv) []*protocol.Bundle {
				return []*protocol.Bundle{
					bundle(dvDomain+1, 0, raw(t, e.transfer(2, 0))),
					bundle(dvDomain, 0, raw(t, e.transfer(3, 0))),
				}
			},
			want: want{
				validity: []protocol.BundleValidity{{}},
				kept:     func(e *dvEnv) []*types.Transaction { return []*types.Transaction{e.transfer(3, 0)} },
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newDvEnv(t)
			bundles := tc.bundles(e)
			d, res, er := e.derive(e.consensus(bundles...))
			if len(d.Inboxed) != len(tc.want.validity) {
				t.Fatalf("%d inboxed entries, want %d", len(d.Inboxed), len(tc.want.validity))
			}
			for i, w := range tc.want.validity {
				got := d.Inboxed[i].Validity
				if got.IsValid() != w.IsValid() || (!w.IsValid() && got != w) {
					t.Errorf("bundle %d: %v, want %v", i, got, w)
				}
			}
			var kept []*types.Transaction
			if tc.want.kept != nil {
				kept = tc.want.kept(e)
			}
			if got, want := hashes(res.Block.Transactions()), hashes(kept); !slices.Equal(got, want) {
				t.Errorf("block txs %v, want %v", got, want)
			}
			for i, r := range res.Receipts {
				if r.Status != types.ReceiptStatusSuccessful {
					t.Errorf("tx %d failed", i)
				}
			}
			if err := er.CheckTrace(); err != nil {
				t.Errorf("honest receipt: %v", err)
			}
		})
	}
}

// The digest of a Valid bundle covers exactly the txs it keeps.
func TestDeriveDigest(t *testing.T) {
	e := newDvEnv(t)
	a, b := e.transfer(0, 0), e.transfer(1, 0)
	d, _, _ := e.derive(e.consensus(bundle(dvDomain, 0, raw(t, a)), bundle(dvDomain, 0, raw(t, a, b))))
	want := protocol.BundleDigest([]protocol.KeptTx{{Sender: testAddr(1), Hash: b.Hash()}})
	if got := d.Inboxed[1].Validity.Digest; got != want {
		t.Fatalf("digest %s, want digest of the one kept tx %s", got, want)
	}
}

// The shuffle is a permutation that keeps every sender's order.
func TestShuffleKeepsSenderOrder(t *testing.T) {
	e := newDvEnv(t)
	var (
		txs     []*types.Transaction
		senders []common.Address
	)
	for n := range 40 {
		k := n % 5
		txs = append(txs, e.transfer(k, uint64(n/5)))
		senders = append(senders, testAddr(k))
	}
	for r := range 50 {
		out := Shuffle(common.Hash{byte(r)}, txs, senders)
		if !slices.Equal(hashes(out), hashes(txs)) {
			t.Fatalf("randomness %d: not a permutation", r)
		}
		next := map[common.Address]uint64{}
		for _, tx := range out {
			from, _ := types.Sender(e.signer, tx)
			if tx.Nonce() != next[from] {
				t.Fatalf("randomness %d: sender %s nonce %d, want %d", r, from, tx.Nonce(), next[from])
			}
			next[from]++
		}
	}
}

// A pinned vector: ChaCha8 from Go's math/rand/v2, seeded by
// keccak("extrinsics-shuffling-seed" ‖ randomness). Changing the seed
// derivation or the algorithm changes every domain block hash.
func TestShuffleVector(t *testing.T) {
	senders := []common.Address{{1}, {1}, {2}, {3}, {2}, {4}, {1}, {5}}
	txs := make([]*types.Transaction, len(senders))
	index := map[*types.Transaction]int{}
	for i := range txs {
		txs[i] = types.NewTx(&types.LegacyTx{Nonce: uint64(i)})
		index[txs[i]] = i
	}
	out := Shuffle(common.HexToHash("0x01"), txs, senders)
	got := make([]int, len(out))
	for i, tx := range out {
		got[i] = index[tx]
	}
	want := []int{7, 0, 1, 2, 3, 6, 5, 4}
	if !slices.Equal(got, want) {
		t.Fatalf("order %v, want %v", got, want)
	}
}

// Same inputs, same block and receipt, whatever the goroutine schedule.
func TestDeriveDeterministic(t *testing.T) {
	build := func() (common.Hash, common.Hash) {
		e := newDvEnv(t)
		var last *protocol.ExecutionReceipt
		for n := range 3 {
			var bs []*protocol.Bundle
			for k := range 4 {
				bs = append(bs, bundle(dvDomain, 0, raw(t, e.transfer(k, uint64(2*n)), e.transfer(k, uint64(2*n+1)))))
			}
			_, _, last = e.derive(e.consensus(bs...))
		}
		return e.head.Hash(), last.Hash()
	}
	wantBlock, wantER := build()
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if b, r := build(); b != wantBlock || r != wantER {
				t.Errorf("run gave block %s receipt %s, want %s %s", b, r, wantBlock, wantER)
			}
		})
	}
	wg.Wait()
}

// Derived blocks are Ethereum blocks: go-ethereum's BlockChain imports the
// chain and agrees on the head hash and state root.
func TestDerivedChainImportsIntoGeth(t *testing.T) {
	e := newDvEnv(t)
	for n := range 6 {
		var bs []*protocol.Bundle
		for k := range 3 {
			bs = append(bs, bundle(dvDomain, 0, raw(t, e.transfer(k, uint64(n)))))
		}
		bs = append(bs, bundle(dvDomain, 0, raw(t, e.transfer(5, 100)))) // illegal: not executed
		e.derive(e.consensus(bs...))
	}
	importIntoGeth(t, e.genesis, e.blocks)
}

func importIntoGeth(t *testing.T, genesis *core.Genesis, blocks []*types.Block) {
	t.Helper()
	bc, err := core.NewBlockChain(rawdb.NewMemoryDatabase(), genesis, beacon.New(ethash.NewFaker()), core.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer bc.Stop()
	if n, err := bc.InsertChain(blocks); err != nil {
		t.Fatalf("geth rejected block %d: %v", blocks[n].NumberU64(), err)
	}
	head, last := bc.CurrentBlock(), blocks[len(blocks)-1]
	if head.Hash() != last.Hash() || head.Root != last.Root() {
		t.Fatalf("geth head %s root %s, want %s root %s", head.Hash(), head.Root, last.Hash(), last.Root())
	}
}
