package proof

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core"
	"github.com/ethereum/go-ethereum/core/rawdb"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/core/vm"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/receiptd/receiptd/domain"
	"github.com/receiptd/receiptd/protocol"
)

// The test chain: a consensus chain whose blocks carry real bundles (BLS
// keys, elections, signatures) of one EVM domain, every domain block
// derived and executed with the domain package, and honest receipts kept
// per number. Faults are ERs submitted on a branch of it.

const testDomain protocol.DomainID = 1

const testChainID = 1001

// headerMap is an in-memory domain.HeaderReader.
type headerMap map[common.Hash]*types.Header

func (m headerMap) GetHeader(hash common.Hash, number uint64) *types.Header {
	if h := m[hash]; h != nil && h.Number.Uint64() == number {
		return h
	}
	return nil
}

// blockMap is an in-memory ConsensusBlocks.
type blockMap map[common.Hash]*protocol.Block

func (m blockMap) ConsensusBlock(hash common.Hash) (*protocol.Block, error) {
	if b := m[hash]; b != nil {
		return b, nil
	}
	return nil, fmt.Errorf("no consensus block %s", hash)
}

// derived is the honest derivation and execution of one domain block.
type derived struct {
	d      *domain.Derivation
	res    *domain.Result
	parent *types.Header
}

type env struct {
	t       testing.TB
	genesis *core.Genesis
	exec    *domain.Executor
	store   *domain.StateStore
	signer  types.Signer
	headers headerMap
	head    *types.Header // domain head

	spec    *protocol.ChainSpec
	keys    map[protocol.OperatorID]*protocol.SecretKey
	state   *protocol.State
	blocks  blockMap
	honest  map[uint64]*protocol.ExecutionReceipt
	derived map[uint64]*derived
	nonces  map[int]uint64
}

func newEnv(t testing.TB, challengePeriod uint64) *env {
	t.Helper()
	e := &env{t: t, headers: headerMap{}, blocks: blockMap{}, keys: map[protocol.OperatorID]*protocol.SecretKey{},
		honest: map[uint64]*protocol.ExecutionReceipt{}, derived: map[uint64]*derived{}, nonces: map[int]uint64{}}
	alloc := types.GenesisAlloc{
		storageAddr:   {Code: storageCode(), Nonce: 1, Balance: new(big.Int)},
		blockHashAddr: {Code: blockHashCode(), Nonce: 1, Balance: new(big.Int)},
	}
	for i := range testKeys {
		alloc[testAddr(i)] = types.Account{Balance: new(big.Int).Mul(big.NewInt(1e6), big.NewInt(1e18))}
	}
	const genesisTime = 1_000_000
	var err error
	e.genesis, err = domain.NewGenesis(domain.GenesisSpec{ChainID: big.NewInt(testChainID), Timestamp: genesisTime, Alloc: alloc})
	if err != nil {
		t.Fatal(err)
	}
	if e.exec, err = domain.NewExecutor(e.genesis.Config, vm.Config{}); err != nil {
		t.Fatal(err)
	}
	var gblock *types.Block
	if e.store, gblock, err = domain.OpenStateStore(rawdb.NewMemoryDatabase(), e.genesis); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.store.Close() })
	e.head = gblock.Header()
	e.headers[gblock.Hash()] = e.head
	e.signer = types.LatestSigner(e.genesis.Config)

	e.spec = &protocol.ChainSpec{GenesisTime: genesisTime, SlotSeconds: 1, Randomness: crypto.Keccak256Hash([]byte("proof test")),
		Domains: []protocol.DomainConfig{{ID: testDomain, ChainID: testChainID, GenesisHash: gblock.Hash(), GenesisRoot: gblock.Root(),
			GasLimit: e.genesis.GasLimit, BundleGasCap: e.genesis.GasLimit / 2, SlotProbability: protocol.SlotProbability{Num: 1, Den: 1},
			ChallengePeriod: challengePeriod}}}
	for id := protocol.OperatorID(1); id <= 2; id++ {
		sk, err := protocol.GenerateKey(crypto.Keccak256([]byte(fmt.Sprint("proof test operator ", id))))
		if err != nil {
			t.Fatal(err)
		}
		e.keys[id] = sk
		e.spec.Operators = append(e.spec.Operators, protocol.Operator{ID: id, Domain: testDomain, Stake: 100,
			Status: protocol.OperatorActive, PublicKey: sk.PublicKey()})
	}
	if e.state, err = protocol.Genesis(e.spec); err != nil {
		t.Fatal(err)
	}
	d, _ := e.state.Domain(testDomain)
	e.honest[0] = d.Tree.HeadEntry().Receipt
	return e
}

// header finds the next slot after s in which every operator of ops wins.
func (e *env) header(s *protocol.State, ops ...protocol.OperatorID) protocol.Header {
	parent := s.Header
	for slot := parent.Slot + 1; ; slot++ {
		won := true
		for _, op := range ops {
			proof := protocol.ElectionProof(e.keys[op], testDomain, slot, parent.Randomness)
			if !protocol.IsElected(protocol.ElectionOutput(proof), 100, s.TotalStake(testDomain), e.spec.Domains[0].SlotProbability) {
				won = false
				break
			}
		}
		if won {
			return protocol.Header{Number: parent.Number + 1, ParentHash: s.Hash, Slot: slot,
				Timestamp: e.spec.SlotTime(slot), Randomness: protocol.NextRandomness(parent.Randomness, slot)}
		}
	}
}

// bundleSpec is one bundle to put in a consensus block: its extrinsics,
// and an adjustment of the declared gas (to make it Invalid by weight).
type bundleSpec struct {
	xs       [][]byte
	extraGas int64
	operator protocol.OperatorID
	receipt  *protocol.ExecutionReceipt // nil: the honest one to carry
}

// extend applies a consensus block with the bundles to s and returns the
// state after it and the block; the block is recorded for ConsensusBlocks.
func (e *env) extend(s *protocol.State, specs ...bundleSpec) (*protocol.State, *protocol.Block) {
	e.t.Helper()
	var ops []protocol.OperatorID
	for _, sp := range specs {
		ops = append(ops, sp.operator)
	}
	hdr := e.header(s, ops...)
	b := s.NewBuilder(hdr, nil)
	d, _ := s.Domain(testDomain)
	for _, sp := range specs {
		er := sp.receipt
		if er == nil {
			er = e.honest[d.Tree.Head]
			if next, ok := e.honest[d.Tree.Head+1]; ok {
				er = next
			}
		}
		gas := sp.extraGas
		for _, x := range sp.xs {
			var tx types.Transaction
			if tx.UnmarshalBinary(x) == nil {
				gas += int64(tx.Gas())
			}
		}
		bh := protocol.BundleHeader{Domain: testDomain, Operator: sp.operator, Slot: hdr.Slot,
			ElectionProof: protocol.ElectionProof(e.keys[sp.operator], testDomain, hdr.Slot, s.Header.Randomness),
			DeclaredGas:   uint64(gas), ExtrinsicsRoot: protocol.ExtrinsicsRoot(sp.xs), ExtrinsicsSize: protocol.ExtrinsicsSize(sp.xs),
			Receipt: *er}
		if err := b.AddBundle(&protocol.Bundle{Sealed: protocol.SignBundle(e.keys[sp.operator], &bh), Extrinsics: sp.xs}); err != nil {
			e.t.Fatalf("consensus block %d: bundle of operator %d: %v", hdr.Number, sp.operator, err)
		}
	}
	next, block, _ := b.Finish()
	e.blocks[block.Hash()] = block
	return next, block
}

// advance extends the main chain with a block of the bundles and derives,
// executes and commits the domain block it makes; it returns its number.
func (e *env) advance(specs ...bundleSpec) uint64 {
	e.t.Helper()
	var block *protocol.Block
	e.state, block = e.extend(e.state, specs...)
	ctx := context.Background()
	p, err := domain.Prepare(ctx, e.signer, block, testDomain, 2)
	if err != nil {
		e.t.Fatal(err)
	}
	sdb, err := e.store.StateAt(e.head.Root)
	if err != nil {
		e.t.Fatal(err)
	}
	d, err := domain.Derive(e.genesis.Config, p, e.head, sdb, e.genesis.GasLimit)
	if err != nil {
		e.t.Fatal(err)
	}
	res, err := e.exec.Execute(ctx, e.headers, d.Header, d.Txs, sdb)
	if err != nil {
		e.t.Fatalf("execute derived block: %v", err)
	}
	if _, err := e.store.Commit(sdb, res.Block.Header()); err != nil {
		e.t.Fatal(err)
	}
	// Nonces of txs in Invalid bundles were not taken: read them back.
	if sdb, err = e.store.StateAt(res.Block.Root()); err != nil {
		e.t.Fatal(err)
	}
	for k := range testKeys {
		e.nonces[k] = sdb.GetNonce(testAddr(k))
	}
	n := res.Block.NumberU64()
	e.derived[n] = &derived{d: d, res: res, parent: e.head}
	e.honest[n] = domain.NewReceipt(d, res, e.honest[n-1].Hash())
	e.head = res.Block.Header()
	e.headers[res.Block.Hash()] = e.head
	return n
}

// submit returns the state after a block on the main chain whose one
// bundle carries er, and the verifier of the test chain.
func (e *env) submit(er *protocol.ExecutionReceipt) *protocol.State {
	e.t.Helper()
	s, _ := e.extend(e.state, bundleSpec{operator: 1, receipt: er})
	return s
}

func (e *env) verifier() *Verifier {
	v, err := NewVerifier(e.blocks, Config{Workers: 2})
	if err != nil {
		e.t.Fatal(err)
	}
	return v
}

// honestInput is Build's input for domain block n.
func (e *env) honestInput(n uint64) *Honest {
	d := e.derived[n]
	return &Honest{Domain: testDomain, Derivation: d.d, Result: d.res, Parent: d.parent, Store: e.store, Chain: e.headers, Workers: 2}
}

// target is the target Build uses for receipt er of block n.
func (e *env) target(er *protocol.ExecutionReceipt, n uint64) *target {
	e.t.Helper()
	t, err := e.honestInput(n).target(er)
	if err != nil {
		e.t.Fatal(err)
	}
	return t
}

// position returns the trace index of the tx with this hash in block n.
func (e *env) position(n uint64, hash common.Hash) int {
	for i, tx := range e.derived[n].d.Txs {
		if tx.Hash() == hash {
			return i + 1
		}
	}
	e.t.Fatalf("tx %s not in block %d", hash, n)
	return 0
}

func isOneOf(err error, targets ...error) bool {
	for _, t := range targets {
		if errors.Is(err, t) {
			return true
		}
	}
	return false
}
