package workload

import (
	"bytes"
	"errors"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core"
	"github.com/ethereum/go-ethereum/core/vm"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/holiman/uint256"
)

func TestSelectorsMatchSolidity(t *testing.T) {
	for sig, sel := range map[string][4]byte{
		"transfer(address,uint256)": SelectorTransfer,
		"balanceOf(address)":        SelectorBalanceOf,
	} {
		if got := [4]byte(crypto.Keccak256([]byte(sig))[:4]); got != sel {
			t.Errorf("selector of %s = %x, want %x", sig, got, sel)
		}
	}
}

// TestTokenContract calls the token of the Alloc chain directly.
func TestTokenContract(t *testing.T) {
	g := newTestGenerator(t, Config{Seed: 5, Accounts: 4})
	c := buildChain(t, g, 1, 0)
	holder, other := g.Accounts()[0], g.Accounts()[1]
	stranger := common.Address{0xee}
	word := func(v uint64) []byte { return common.LeftPadBytes(new(uint256.Int).SetUint64(v).Bytes(), 32) }
	tooMuch := new(uint256.Int).AddUint64(FundedTokens, 1).Bytes32()

	tests := []struct {
		name    string
		caller  common.Address
		data    []byte
		value   uint64
		wantRet []byte       // nil: expect a revert
		holder  *uint256.Int // holder's balance after, when set
	}{
		{name: "balanceOf funded", caller: stranger, data: BalanceOfCalldata(holder), wantRet: FundedTokens.PaddedBytes(32)},
		{name: "balanceOf unknown", caller: stranger, data: BalanceOfCalldata(stranger), wantRet: word(0)},
		{name: "transfer returns true", caller: holder, data: TransferCalldata(other, 5), wantRet: word(1), holder: new(uint256.Int).SubUint64(FundedTokens, 5)},
		{name: "transfer whole balance", caller: holder, data: append(append(SelectorTransfer[:], common.LeftPadBytes(other[:], 32)...), FundedTokens.PaddedBytes(32)...), wantRet: word(1), holder: new(uint256.Int)},
		{name: "transfer to self", caller: holder, data: TransferCalldata(holder, 7), wantRet: word(1), holder: FundedTokens},
		{name: "short balance reverts", caller: holder, data: append(append(SelectorTransfer[:], common.LeftPadBytes(other[:], 32)...), tooMuch[:]...)},
		{name: "stranger has no tokens", caller: stranger, data: TransferCalldata(holder, 1)},
		{name: "unknown selector reverts", caller: holder, data: []byte{0xde, 0xad, 0xbe, 0xef}},
		{name: "short calldata reverts", caller: holder, data: TransferCalldata(other, 1)[:67]},
		{name: "value reverts", caller: holder, data: BalanceOfCalldata(holder), value: 1},
		{name: "empty calldata reverts", caller: holder, data: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := c.state(t)
			evm := vm.NewEVM(core.NewEVMBlockContext(c.bc.CurrentBlock(), c.bc, nil), st, c.bc.Config(), vm.Config{})
			before := st.GetState(g.TokenAddress(), TokenBalanceSlot(holder))
			ret, _, err := evm.Call(tt.caller, g.TokenAddress(), tt.data, vm.NewGasBudget(1_000_000, 0), uint256.NewInt(tt.value))
			if tt.wantRet == nil {
				if !errors.Is(err, vm.ErrExecutionReverted) {
					t.Fatalf("err %v, want a revert", err)
				}
				if after := st.GetState(g.TokenAddress(), TokenBalanceSlot(holder)); after != before {
					t.Errorf("revert changed the holder's balance %x -> %x", before, after)
				}
				return
			}
			if err != nil || !bytes.Equal(ret, tt.wantRet) {
				t.Fatalf("ret %x err %v, want %x", ret, err, tt.wantRet)
			}
			if got := st.GetState(g.TokenAddress(), TokenBalanceSlot(holder)); tt.holder != nil && got != common.Hash(tt.holder.Bytes32()) {
				t.Errorf("holder balance after: %x, want %v", got, tt.holder)
			}
		})
	}
}

// TestTokenTransferMovesBalance checks debit, credit and the event of one call.
func TestTokenTransferMovesBalance(t *testing.T) {
	g := newTestGenerator(t, Config{Seed: 5, Accounts: 2})
	c := buildChain(t, g, 1, 0)
	from, to := g.Accounts()[0], common.Address{0x42}
	st := c.state(t)
	evm := vm.NewEVM(core.NewEVMBlockContext(c.bc.CurrentBlock(), c.bc, nil), st, c.bc.Config(), vm.Config{})
	st.SetTxContext(common.Hash{1}, 0, 1)
	if _, _, err := evm.Call(from, g.TokenAddress(), TransferCalldata(to, 1234), vm.NewGasBudget(1_000_000, 0), new(uint256.Int)); err != nil {
		t.Fatalf("transfer: %v", err)
	}
	wantFrom := new(uint256.Int).SubUint64(FundedTokens, 1234)
	if got := st.GetState(g.TokenAddress(), TokenBalanceSlot(from)); got != common.Hash(wantFrom.Bytes32()) {
		t.Errorf("sender balance %x, want %v", got, wantFrom)
	}
	if got := st.GetState(g.TokenAddress(), TokenBalanceSlot(to)); got != common.BigToHash(uint256.NewInt(1234).ToBig()) {
		t.Errorf("recipient balance %x, want 1234", got)
	}
	logs := st.GetLogs(common.Hash{1}, 1, common.Hash{}, 0)
	if len(logs) != 1 || logs[0].Topics[1] != common.BytesToHash(from[:]) || logs[0].Topics[2] != common.BytesToHash(to[:]) {
		t.Errorf("logs %v, want one Transfer(from, to)", logs)
	}
}

func TestStorageContractWritesKSlots(t *testing.T) {
	g := newTestGenerator(t, Config{Seed: 5, Accounts: 2})
	c := buildChain(t, g, 1, 0)
	caller := g.Accounts()[1]
	seed := storageSeed(99)
	st := c.state(t)
	evm := vm.NewEVM(core.NewEVMBlockContext(c.bc.CurrentBlock(), c.bc, nil), st, c.bc.Config(), vm.Config{})
	if _, _, err := evm.Call(caller, g.StorageAddress(), seed[:], vm.NewGasBudget(1_000_000, 0), new(uint256.Int)); err != nil {
		t.Fatalf("storage call: %v", err)
	}
	for i, slot := range StorageSlots(caller, seed) {
		if got := st.GetState(g.StorageAddress(), slot); got != common.BytesToHash(caller[:]) {
			t.Errorf("slot %d (%x) = %x, want caller", i, slot, got)
		}
	}
	// The same seed from another caller writes other slots.
	if StorageSlots(caller, seed) == StorageSlots(g.Accounts()[0], seed) {
		t.Errorf("two callers share slots for one seed")
	}
}
