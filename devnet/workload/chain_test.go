package workload

import (
	"bytes"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/holiman/uint256"
)

// TestStreamOnCancunChain executes 10 blocks × 100 txs of the default mix,
// inserts them into a core.BlockChain and checks each kind's effect.
func TestStreamOnCancunChain(t *testing.T) {
	g := newTestGenerator(t, Config{Seed: 7})
	c := buildChain(t, g, 10, 100)
	st := c.state(t)

	var (
		tokenDelta  = map[common.Address]*big.Int{}
		txTypes     = map[uint8]int{}
		kinds       = map[string]int{}
		maxGasUsed  = map[string]uint64{}
		storageSets = map[common.Hash]bool{}
	)
	credit := func(a common.Address, v *big.Int) {
		if tokenDelta[a] == nil {
			tokenDelta[a] = new(big.Int)
		}
		tokenDelta[a].Add(tokenDelta[a], v)
	}
	for bi, block := range c.blocks {
		txs := block.Transactions()
		if len(txs) != 100 || len(c.receipts[bi]) != 100 {
			t.Fatalf("block %d: %d txs, %d receipts, want 100", bi+1, len(txs), len(c.receipts[bi]))
		}
		for ti, tx := range txs {
			r := c.receipts[bi][ti]
			if r.Status != types.ReceiptStatusSuccessful {
				t.Fatalf("block %d tx %d (%x): status %d", bi+1, ti, tx.Hash(), r.Status)
			}
			txTypes[tx.Type()]++
			from, err := types.Sender(g.Signer(), tx)
			if err != nil {
				t.Fatalf("block %d tx %d: sender: %v", bi+1, ti, err)
			}
			var kind string
			switch {
			case tx.To() == nil:
				kind = "deploy"
				want := crypto.CreateAddress(from, tx.Nonce())
				if r.ContractAddress != want {
					t.Errorf("deploy %x: contract address %x, want %x", tx.Hash(), r.ContractAddress, want)
				}
				if code := st.GetCode(want); !bytes.Equal(code, g.TokenRuntime()) {
					t.Errorf("deploy %x: code at %x is %d bytes, not the token runtime", tx.Hash(), want, len(code))
				}
				ret, err := c.call(t, want, BalanceOfCalldata(from))
				if err != nil || new(big.Int).SetBytes(ret).Cmp(big.NewInt(DeployedTokenSupply)) != 0 {
					t.Errorf("deployed token balanceOf(deployer) = %x, %v; want %d", ret, err, DeployedTokenSupply)
				}
			case *tx.To() == g.TokenAddress():
				kind = "token"
				to, amount := common.BytesToAddress(tx.Data()[4:36]), new(big.Int).SetBytes(tx.Data()[36:68])
				checkTransferLog(t, r, g.TokenAddress(), from, to, amount)
				credit(from, new(big.Int).Neg(amount))
				credit(to, amount)
			case *tx.To() == g.StorageAddress():
				kind = "storage"
				for _, slot := range StorageSlots(from, [32]byte(tx.Data())) {
					if got := st.GetState(g.StorageAddress(), slot); got != common.BytesToHash(from[:]) {
						t.Errorf("storage call %x: slot %x = %x, want caller %x", tx.Hash(), slot, got, from)
					}
					storageSets[slot] = true
				}
			default:
				kind = "transfer"
				if len(r.Logs) != 0 || len(tx.Data()) != 0 {
					t.Errorf("transfer %x: %d logs, %d data bytes", tx.Hash(), len(r.Logs), len(tx.Data()))
				}
			}
			kinds[kind]++
			maxGasUsed[kind] = max(maxGasUsed[kind], r.GasUsed)
		}
	}
	t.Logf("kinds %v, tx types %v, max gas used %v", kinds, txTypes, maxGasUsed)
	for _, k := range []string{"transfer", "token", "storage", "deploy"} {
		if kinds[k] == 0 {
			t.Errorf("no %s txs in 1000 of the default mix", k)
		}
	}
	for _, typ := range []uint8{types.LegacyTxType, types.AccessListTxType, types.DynamicFeeTxType} {
		if txTypes[typ] == 0 {
			t.Errorf("no type-%d txs", typ)
		}
	}
	if len(txTypes) != 3 {
		t.Errorf("tx types %v, want exactly 0, 1 and 2", txTypes)
	}
	if len(storageSets) != kinds["storage"]*StorageSlotsPerCall {
		t.Errorf("%d distinct storage slots set, want K × calls = %d", len(storageSets), kinds["storage"]*StorageSlotsPerCall)
	}

	// Token balances: storage and balanceOf agree with genesis + transfers.
	for holder, delta := range tokenDelta {
		want := new(big.Int).Add(delta, genesisTokens(g, holder))
		got := st.GetState(g.TokenAddress(), TokenBalanceSlot(holder)).Big()
		if got.Cmp(want) != 0 {
			t.Errorf("token slot of %x = %v, want %v", holder, got, want)
		}
		ret, err := c.call(t, g.TokenAddress(), BalanceOfCalldata(holder))
		if err != nil || new(big.Int).SetBytes(ret).Cmp(want) != 0 {
			t.Errorf("balanceOf(%x) = %x, %v; want %v", holder, ret, err, want)
		}
	}
}

func genesisTokens(g *Generator, holder common.Address) *big.Int {
	for _, a := range g.Accounts() {
		if a == holder {
			return FundedTokens.ToBig()
		}
	}
	return new(big.Int)
}

func checkTransferLog(t *testing.T, r *types.Receipt, token, from, to common.Address, amount *big.Int) {
	t.Helper()
	if len(r.Logs) != 1 {
		t.Errorf("token tx %x: %d logs, want 1", r.TxHash, len(r.Logs))
		return
	}
	l := r.Logs[0]
	wantTopics := []common.Hash{TransferEventTopic, common.BytesToHash(from[:]), common.BytesToHash(to[:])}
	if l.Address != token || len(l.Topics) != 3 || l.Topics[0] != wantTopics[0] || l.Topics[1] != wantTopics[1] || l.Topics[2] != wantTopics[2] {
		t.Errorf("token tx %x: log at %x topics %x, want %x topics %x", r.TxHash, l.Address, l.Topics, token, wantTopics)
	}
	if new(uint256.Int).SetBytes(l.Data).ToBig().Cmp(amount) != 0 || len(l.Data) != 32 {
		t.Errorf("token tx %x: log data %x, want amount %v", r.TxHash, l.Data, amount)
	}
	if !r.Bloom.Test(TransferEventTopic[:]) {
		t.Errorf("token tx %x: bloom lacks the Transfer topic", r.TxHash)
	}
}
