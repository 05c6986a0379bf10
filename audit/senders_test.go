package audit

import (
	"bytes"
	"context"
	"errors"
	"math/big"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/params"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/ethereum/go-ethereum/trie"
	"golang.org/x/sync/semaphore"
)

// signedBlock returns a block of n transfers signed by n/3+1 keys, and the
// sender of each transaction.
func signedBlock(t *testing.T, config *params.ChainConfig, n int) (*types.Block, []common.Address) {
	t.Helper()
	signer := types.LatestSigner(config)
	keys := make([]struct {
		addr  common.Address
		nonce uint64
		sign  func(*types.Transaction) *types.Transaction
	}, n/3+1)
	for i := range keys {
		key, err := crypto.GenerateKey()
		if err != nil {
			t.Fatal(err)
		}
		keys[i].addr = crypto.PubkeyToAddress(key.PublicKey)
		keys[i].sign = func(tx *types.Transaction) *types.Transaction {
			signed, err := types.SignTx(tx, signer, key)
			if err != nil {
				t.Fatal(err)
			}
			return signed
		}
	}
	txs := make([]*types.Transaction, n)
	want := make([]common.Address, n)
	for i := range txs {
		k := &keys[i%len(keys)]
		txs[i] = k.sign(types.NewTx(&types.DynamicFeeTx{ChainID: config.ChainID, Nonce: k.nonce, Gas: 21000, GasFeeCap: big.NewInt(1), To: &common.Address{1}, Value: big.NewInt(1)}))
		want[i] = k.addr
		k.nonce++
	}
	header := &types.Header{Number: big.NewInt(1), Difficulty: big.NewInt(0), BaseFee: big.NewInt(1)}
	return types.NewBlock(header, &types.Body{Transactions: txs}, nil, trie.NewStackTrie(nil)), want
}

func TestPendingSharesRecovery(t *testing.T) {
	config := params.MergedTestChainConfig
	tests := []struct {
		name    string
		txs     int
		helpers int // goroutines helping beside the waiter
	}{
		{"empty block", 0, 2},
		{"one tx, waiter alone", 1, 0},
		{"one chunk less one", recoverChunk - 1, 2},
		{"exactly one chunk", recoverChunk, 1},
		{"one chunk and one", recoverChunk + 1, 2},
		{"many chunks, waiter alone", 5*recoverChunk + 3, 0},
		{"many chunks, many helpers", 7*recoverChunk + 5, 4},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, want := signedBlock(t, config, tc.txs)
			p := newPending(record{block: b}, config)
			var wg sync.WaitGroup
			for range tc.helpers {
				wg.Go(p.help)
			}
			if err := p.wait(context.Background()); err != nil {
				t.Fatalf("wait: %v", err)
			}
			wg.Wait()
			if left := p.left.Load(); left != 0 {
				t.Fatalf("%d transactions left unrecovered", left)
			}
			for i, tx := range b.Transactions() {
				if have, err := types.Sender(p.signer, tx); err != nil || have != want[i] {
					t.Fatalf("tx %d: sender %x (%v), want %x", i, have, err, want[i])
				}
			}
		})
	}
}

func TestPendingWaitCancelled(t *testing.T) {
	config := params.MergedTestChainConfig
	b, _ := signedBlock(t, config, recoverChunk)
	p := newPending(record{block: b}, config)
	p.next.Add(recoverChunk) // a worker holds the only chunk and never finishes
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := p.wait(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("wait: %v, want context.Canceled", err)
	}
}

func TestPendingNotABlock(t *testing.T) {
	p := newPending(record{reason: ReasonUndecodable}, params.MergedTestChainConfig)
	if err := p.wait(context.Background()); err != nil {
		t.Fatalf("wait on a record without a block: %v", err)
	}
}

// The blocks waiting for the executor are bounded by their encoded bytes:
// with a budget that no two blocks fit in, the reader delivers one block
// and waits until the executor gives its share back; cancelled, it stops.
func TestFeedIsBoundedByBytes(t *testing.T) {
	config := params.MergedTestChainConfig
	var stream bytes.Buffer
	for range 4 {
		b, _ := signedBlock(t, config, 20)
		if err := rlp.Encode(&stream, b); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	const budgetBytes = 1
	budget := semaphore.NewWeighted(budgetBytes)
	out := make(chan *pending, lookaheadBlocks)
	done := make(chan error, 1)
	go func() { done <- feed(ctx, newBlockReader(&stream, 1<<20), config, 1, budget, budgetBytes, out) }()
	first := <-out
	select {
	case <-out:
		t.Fatal("a second block was delivered while the first held the whole budget")
	case <-time.After(100 * time.Millisecond):
	}
	budget.Release(first.weight)
	select {
	case p := <-out:
		if p.rec.index != 1 {
			t.Fatalf("delivered item %d, want 1", p.rec.index)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no block delivered once the budget was given back")
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("feed after cancel: %v", err)
	}
}
