package main

import (
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/ethereum/go-ethereum/trie"
	"github.com/holiman/uint256"

	"github.com/receiptd/receiptd/indexer"
	"github.com/receiptd/receiptd/protocol"
)

// The records of the synthetic chain, each a pure function of (domain,
// block number) so that the benchmark can rebuild any of them to query it.

// senders are the accounts the synthetic transactions come from.
var senders = func() []common.Address {
	a := make([]common.Address, 64)
	for i := range a {
		a[i] = common.BytesToAddress(seed(7, uint64(i)).Bytes())
	}
	return a
}()

// synthTx is transaction i of domain block n of domain d: an EIP-1559
// transfer or call, signed with a made-up signature (the index keeps the
// sender; nothing recovers it on read).
func synthTx(d protocol.DomainID, n uint64, i int) (*types.Transaction, []byte) {
	to := common.BytesToAddress(seed(8, uint64(d), n, uint64(i)).Bytes())
	r := new(big.Int).SetBytes(seed(9, uint64(d), n, uint64(i)).Bytes())
	var data []byte
	if i%3 == 2 {
		data = seed(10, n, uint64(i)).Bytes()[:20]
	}
	tx := types.NewTx(&types.DynamicFeeTx{ChainID: big.NewInt(int64(1000 + d)), Nonce: n, GasTipCap: big.NewInt(1e9),
		GasFeeCap: big.NewInt(3e9), Gas: 21_000 + uint64(len(data))*16, To: &to, Value: big.NewInt(int64(n*1000 + uint64(i))),
		Data: data, V: big.NewInt(int64(i % 2)), R: r, S: big.NewInt(int64(n + 1))})
	raw, _ := tx.MarshalBinary()
	return tx, raw
}

// domainHeader is the go-ethereum header of domain block n.
func domainHeader(d protocol.DomainID, n uint64, txRoot common.Hash, gasUsed uint64) *types.Header {
	parent := common.Hash{}
	if n > 0 {
		parent = seed(11, uint64(d), n-1) // the headers are not chained by hash: parentHash is a stand-in
	}
	beacon := seed(1, n)
	return &types.Header{ParentHash: parent, UncleHash: types.EmptyUncleHash, Coinbase: common.Address{byte(d)},
		Root: seed(12, uint64(d), n), TxHash: txRoot, ReceiptHash: seed(13, uint64(d), n), Difficulty: new(big.Int),
		Number: new(big.Int).SetUint64(n), GasLimit: 30_000_000, GasUsed: gasUsed, Time: 1_700_000_000 + n*6,
		MixDigest: seed(2, n), BaseFee: big.NewInt(1e9), ParentBeaconRoot: &beacon, WithdrawalsHash: &types.EmptyWithdrawalsHash}
}

// honestER is the honest ER of domain block n of d.
func honestER(d protocol.DomainID, n uint64, txs int) protocol.ExecutionReceipt {
	trace := make([]common.Hash, txs+2)
	for i := range trace {
		trace[i] = seed(14, uint64(d), n, uint64(i))
	}
	trace[len(trace)-1] = seed(12, uint64(d), n)
	er := protocol.ExecutionReceipt{DomainNumber: n, DomainHash: seed(15, uint64(d), n), ExtrinsicsRoot: seed(16, uint64(d), n),
		ConsensusNumber: n, ConsensusHash: seed(3, n), GasUsed: uint64(txs) * 21_000, ReceiptsRoot: seed(13, uint64(d), n),
		FinalStateRoot: trace[len(trace)-1], Trace: trace, TraceRoot: protocol.TraceRoot(trace)}
	for b := range bundlesPerBlock {
		er.InboxedBundles = append(er.InboxedBundles, protocol.InboxedBundle{Validity: protocol.Valid(seed(17, uint64(d), n, uint64(b))),
			ExtrinsicsRoot: seed(18, uint64(d), n, uint64(b))})
	}
	er.Fees.Operators.SetUint64(uint64(txs) * 21_000 * 1e9)
	er.Fees.Burned.SetUint64(uint64(txs) * 21_000 * 1e9)
	if n > 0 {
		er.ParentReceiptHash = seed(19, uint64(d), n-1) // a stand-in: rebuilding the parent would double the work
	}
	return er
}

// badER is the faulty operator's ER of block n: a wrong final state root.
func badER(d protocol.DomainID, n uint64, txs int) protocol.ExecutionReceipt {
	er := honestER(d, n, txs)
	er.FinalStateRoot = seed(20, uint64(d), n)
	er.Trace[len(er.Trace)-1] = er.FinalStateRoot
	er.TraceRoot = protocol.TraceRoot(er.Trace)
	return er
}

// build makes the records of consensus block n, whose parent hash is given.
func (s shape) build(n uint64, parent common.Hash) *block {
	b := &block{}
	h := protocol.Header{Number: n, ParentHash: parent, Slot: n, Timestamp: 1_700_000_000 + n*6, Randomness: seed(2, n),
		Author: common.Address{0xc0}, BundlesRoot: seed(5, n)}
	b.cons = indexer.ConsensusBlockRecord{Number: n, Hash: h.Hash(), Header: h, Raw: make([]byte, 600), DomainBlocks: uint32(s.domains)}
	for di := 1; di <= s.domains; di++ {
		d := protocol.DomainID(di)
		ntx := txsAt(n)
		dblock := &indexer.DomainBlockRecord{Domain: d, Number: n, ConsensusNumber: n, ConsensusHash: b.cons.Hash, GasUsed: uint64(ntx) * 21_000}
		var bundleTxs [bundlesPerBlock][]common.Hash
		var txs types.Transactions
		for i := range ntx {
			tx, raw := synthTx(d, n, i)
			txs = append(txs, tx)
			bi := i % bundlesPerBlock
			rec := &indexer.TxRecord{Hash: tx.Hash(), Domain: d, Sender: senders[(int(n)+i)%len(senders)], Raw: raw, ConsensusNumber: n,
				BundleIndex: uint32(len(b.bundles) + bi), ExtrinsicIndex: uint32(len(bundleTxs[bi])), Status: 1, GasUsed: 21_000,
				CumulativeGasUsed: uint64(i+1) * 21_000,
				Fate:              indexer.TxFate{Kind: indexer.TxIncluded, DomainNumber: n, Position: uint32(i)}}
			if i%3 == 2 {
				rec.Logs = []indexer.LogRecord{{Address: *tx.To(), Topics: []common.Hash{seed(21), seed(22, n)}, Data: make([]byte, 32)}}
			}
			bundleTxs[bi] = append(bundleTxs[bi], rec.Hash)
			dblock.TxHashes = append(dblock.TxHashes, rec.Hash)
			b.txs = append(b.txs, rec)
		}
		hdr := domainHeader(d, n, types.DeriveSha(txs, trie.NewStackTrie(nil)), dblock.GasUsed)
		dblock.Header, _ = rlp.EncodeToBytes(hdr)
		dblock.Hash = hdr.Hash()
		honest := honestER(d, n, ntx)
		dblock.ReceiptHash = honest.Hash()
		b.dblocks = append(b.dblocks, dblock)
		for bi := range bundlesPerBlock {
			bundle := &indexer.BundleRecord{Hash: seed(23, uint64(d), n, uint64(bi)), ConsensusNumber: n, Index: uint32(len(b.bundles)),
				Domain: d, Operator: opID(d, 1+(int(n)+bi)%(opsPerDomain-1)), Slot: n, DeclaredGas: uint64(len(bundleTxs[bi])) * 21_000,
				ExtrinsicsRoot: seed(18, uint64(d), n, uint64(bi)), ReceiptHash: dblock.ReceiptHash,
				Validity: protocol.Valid(seed(17, uint64(d), n, uint64(bi))), Admitted: true, TxHashes: bundleTxs[bi]}
			for _, t := range b.txs[len(b.txs)-ntx:] {
				if t.BundleIndex == bundle.Index {
					t.Fate.BundleHash = bundle.Hash
				}
			}
			b.bundles = append(b.bundles, bundle)
			b.cons.BundleHashes = append(b.cons.BundleHashes, bundle.Hash)
			b.cons.Extrinsics += uint32(len(bundleTxs[bi]))
		}
		settled := n+challengePeriod <= s.blocks
		rec := &indexer.ReceiptRecord{Hash: dblock.ReceiptHash, Domain: d, Number: n, Receipt: honest, Verdict: indexer.Verdict{Valid: true},
			Status: protocol.ReceiptPending, Backers: []protocol.OperatorID{opID(d, 1), opID(d, 2), opID(d, 3)},
			Timeline: []indexer.StatusChange{{Status: protocol.ReceiptPending, ConsensusNumber: n}}}
		if settled {
			rec.Status = protocol.ReceiptConfirmed
			rec.Timeline = append(rec.Timeline, indexer.StatusChange{Status: protocol.ReceiptConfirmed, ConsensusNumber: n + challengePeriod})
		}
		b.receipts = append(b.receipts, rec)
		if s.isFaulty(d) && n%4 == 0 {
			bad := badER(d, n, ntx)
			brec := &indexer.ReceiptRecord{Hash: bad.Hash(), Domain: d, Number: n, Receipt: bad,
				Verdict: indexer.Verdict{Field: "finalStateRoot", Expected: honest.FinalStateRoot.Hex(), Claimed: bad.FinalStateRoot.Hex()},
				Status:  protocol.ReceiptPending, Backers: []protocol.OperatorID{opID(d, 0)},
				Timeline: []indexer.StatusChange{{Status: protocol.ReceiptPending, ConsensusNumber: n}}}
			if settled {
				brec.Status = protocol.ReceiptPruned
				brec.Timeline = append(brec.Timeline, indexer.StatusChange{Status: protocol.ReceiptPruned, ConsensusNumber: n + 2})
			}
			b.receipts = append(b.receipts, brec)
		}
	}
	return b
}

func (s shape) operators() []*indexer.OperatorRecord {
	var ops []*indexer.OperatorRecord
	for di := 1; di <= s.domains; di++ {
		d := protocol.DomainID(di)
		for i := range opsPerDomain {
			o := &indexer.OperatorRecord{Operator: protocol.Operator{ID: opID(d, i), Domain: d, Stake: 1_000_000 + uint64(i)*1000,
				Status: protocol.OperatorActive}, ElectionsWon: s.blocks / 2, Bundles: s.blocks / 2, ReceiptsBacked: s.blocks}
			copy(o.Operator.PublicKey[:], seed(24, uint64(o.Operator.ID)).Bytes())
			o.Fees = *uint256.NewInt(s.blocks * 21_000 * 1e9)
			if s.isFaulty(d) && i == 0 {
				o.Faults, o.ReceiptsBacked = s.blocks/4, s.blocks/4
			}
			ops = append(ops, o)
		}
	}
	return ops
}
