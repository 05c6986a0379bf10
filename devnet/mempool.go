package devnet

import (
	"bytes"
	"math/big"
	"slices"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"

	"github.com/receiptd/receiptd/devnet/workload"
)

// mempool is a domain's shared pool of workload transactions, by sender in
// nonce order. A transaction leaves it only once the block that included
// it can no longer be reorged away, so a reorg never loses one.
type mempool struct {
	gen      *workload.Generator
	signer   types.Signer
	bySender map[common.Address][]*types.Transaction
	senders  []common.Address // sorted, for a deterministic walk
	count    int
}

func newMempool(gen *workload.Generator) *mempool {
	return &mempool{gen: gen, signer: gen.Signer(), bySender: map[common.Address][]*types.Transaction{}}
}

// maxPool caps a domain's mempool: the workload stops producing while the
// pool is full (a real pool would refuse them), so a domain whose bundles
// stall, say behind a faulty operator's receipt, does not grow memory.
const maxPool = 4096

// fill adds up to n fresh transactions priced for baseFee.
func (m *mempool) fill(n int, baseFee *big.Int) {
	n = min(n, maxPool-m.size())
	for range n {
		tx, from := m.gen.NextWithSender(baseFee)
		if _, ok := m.bySender[from]; !ok {
			i, _ := slices.BinarySearchFunc(m.senders, from, func(a, b common.Address) int { return bytes.Compare(a[:], b[:]) })
			m.senders = slices.Insert(m.senders, i, from)
		}
		m.bySender[from] = append(m.bySender[from], tx)
		m.count++
	}
}

// prune drops every transaction whose nonce is below the sender's nonce in
// a final state.
func (m *mempool) prune(nonceAt func(common.Address) uint64) {
	for _, from := range m.senders {
		txs := m.bySender[from]
		nonce := nonceAt(from)
		i := 0
		for i < len(txs) && txs[i].Nonce() < nonce {
			i++
		}
		m.bySender[from] = txs[i:]
		m.count -= i
	}
}

// size is the number of pooled transactions.
func (m *mempool) size() int { return m.count }

// selection picks transactions for the bundles of one consensus block: it
// walks the senders from a rotating start, takes each sender's txs in nonce
// order from its next nonce in the block's running context, and stops at
// the gas budget.
type selection struct {
	pool    *mempool
	next    map[common.Address]uint64 // next nonce per sender in this block
	nonceAt func(common.Address) uint64
	baseFee *big.Int
	start   int
}

func (m *mempool) newSelection(nonceAt func(common.Address) uint64, baseFee *big.Int, start int) *selection {
	return &selection{pool: m, next: map[common.Address]uint64{}, nonceAt: nonceAt, baseFee: baseFee, start: start}
}

func (s *selection) nonce(from common.Address) uint64 {
	n, ok := s.next[from]
	if !ok {
		n = s.nonceAt(from)
		s.next[from] = n
	}
	return n
}

// take returns transactions worth at most budget gas, advancing the running
// nonces when commit is set (a bundle the operator knows is valid).
func (s *selection) take(budget uint64, maxTxs int, commit bool) ([]*types.Transaction, uint64) {
	var (
		out  []*types.Transaction
		gas  uint64
		next = s.next
	)
	if !commit {
		next = map[common.Address]uint64{}
		for k, v := range s.next {
			next[k] = v
		}
	}
	senders := s.pool.senders
	for k := range senders {
		if len(out) >= maxTxs {
			break
		}
		from := senders[(s.start+k)%len(senders)]
		n := s.nonce(from)
		if cur, ok := next[from]; ok {
			n = cur
		}
		for _, tx := range s.pool.bySender[from] {
			if tx.Nonce() < n {
				continue
			}
			if tx.Nonce() > n || gas+tx.Gas() > budget || tx.GasFeeCap().Cmp(s.baseFee) < 0 || len(out) >= maxTxs {
				break
			}
			out = append(out, tx)
			gas += tx.Gas()
			n++
		}
		next[from] = n
	}
	s.start += 7 // rotate so bundles in one block start at different senders
	return out, gas
}
