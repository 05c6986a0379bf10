package workload

import (
	"bytes"
	"context"
	"errors"
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/consensus/misc/eip1559"
	"github.com/ethereum/go-ethereum/core"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/core/vm"
	"github.com/ethereum/go-ethereum/params"
)

// nextHeader is the header of the block after the head, as a builder makes it.
func (c *testChain) nextHeader() *types.Header {
	head := c.bc.CurrentBlock()
	var zero uint64
	return &types.Header{
		ParentHash:       head.Hash(),
		Number:           new(big.Int).Add(head.Number, common.Big1),
		Time:             head.Time + 10,
		GasLimit:         head.GasLimit,
		BaseFee:          eip1559.CalcBaseFee(c.bc.Config(), head),
		Difficulty:       common.Big0,
		ExcessBlobGas:    &zero,
		BlobGasUsed:      &zero,
		ParentBeaconRoot: &common.Hash{},
	}
}

// apply applies tx on top of the head state as the next block's first tx.
func (c *testChain) apply(t *testing.T, tx *types.Transaction) (*types.Receipt, error) {
	t.Helper()
	header := c.nextHeader()
	st := c.state(t)
	evm := vm.NewEVM(core.NewEVMBlockContext(header, c.bc, &header.Coinbase), st, c.bc.Config(), vm.Config{})
	st.SetTxContext(tx.Hash(), 0, 1)
	r, _, err := core.ApplyTransaction(context.Background(), evm, core.NewGasPool(header.GasLimit), st, header, tx)
	return r, err
}

func TestIllegalRejectedByGoEthereum(t *testing.T) {
	g := newTestGenerator(t, Config{Seed: 3})
	// A few blocks first: honest senders have moved on, the base fee has moved.
	c := buildChain(t, g, 3, 40)
	baseFee := c.nextHeader().BaseFee
	if baseFee.Cmp(big.NewInt(params.InitialBaseFee)) == 0 {
		t.Fatalf("base fee did not move from genesis; the test would not exercise pricing")
	}

	// Control: the fault account's correct tx is valid, so each illegal tx
	// below fails on its one wrong field only.
	control := types.MustSignNewTx(g.fault.key, g.Signer(), &types.DynamicFeeTx{
		ChainID: testChainID, Nonce: faultNonce, GasTipCap: big.NewInt(1), GasFeeCap: feePrice(baseFee, 1),
		Gas: GasTransfer, To: &common.Address{1}, Value: big.NewInt(1),
	})
	if r, err := c.apply(t, control); err != nil || r.Status != types.ReceiptStatusSuccessful {
		t.Fatalf("control tx from the fault account: receipt %v, err %v", r, err)
	}

	tests := []struct {
		kind IllegalKind
		want error
	}{
		{IllegalNonceTooHigh, core.ErrNonceTooHigh},
		{IllegalNonceTooLow, core.ErrNonceTooLow},
		{IllegalInsufficientFunds, core.ErrInsufficientFunds},
		{IllegalFeeCapTooLow, core.ErrFeeCapTooLow},
		{IllegalWrongChainID, types.ErrInvalidChainId},
		{IllegalIntrinsicGas, core.ErrIntrinsicGas},
		{IllegalInitCodeTooLarge, vm.ErrMaxInitCodeSizeExceeded},
		{IllegalInvalidSignature, types.ErrInvalidSig},
	}
	if len(tests) != len(IllegalKinds()) {
		t.Fatalf("test covers %d kinds, IllegalKinds has %d", len(tests), len(IllegalKinds()))
	}
	for _, tt := range tests {
		t.Run(tt.kind.String(), func(t *testing.T) {
			tx, err := g.Illegal(tt.kind, baseFee)
			if err != nil {
				t.Fatalf("Illegal: %v", err)
			}
			if tx.Type() > types.DynamicFeeTxType {
				t.Errorf("tx type %d, want 0, 1 or 2", tx.Type())
			}
			raw, err := tx.MarshalBinary()
			if err != nil || new(types.Transaction).UnmarshalBinary(raw) != nil {
				t.Fatalf("illegal tx must still decode: marshal err %v", err)
			}
			if _, err := c.apply(t, tx); !errors.Is(err, tt.want) {
				t.Errorf("applying %v: err %v, want %v", tt.kind, err, tt.want)
			}
			again, err := g.Illegal(tt.kind, baseFee)
			if err != nil || again.Hash() == tx.Hash() {
				t.Errorf("two calls gave the same tx %x (err %v); illegal txs must be distinct", tx.Hash(), err)
			}
		})
	}
}

func TestIllegalBadInput(t *testing.T) {
	g := newTestGenerator(t, Config{Seed: 3})
	if _, err := g.Illegal(0, nil); !errors.Is(err, ErrUnknownIllegalKind) {
		t.Errorf("kind 0: err %v, want ErrUnknownIllegalKind", err)
	}
	if _, err := g.Illegal(illegalKindEnd, nil); !errors.Is(err, ErrUnknownIllegalKind) {
		t.Errorf("kind %d: err %v, want ErrUnknownIllegalKind", illegalKindEnd, err)
	}
	if _, err := g.Illegal(IllegalFeeCapTooLow, new(big.Int)); err == nil {
		t.Errorf("fee cap below a zero base fee: no error")
	}
}

// TestIllegalLeavesHonestStream checks that interleaving Illegal calls
// changes no byte of the honest stream.
func TestIllegalLeavesHonestStream(t *testing.T) {
	plain := newTestGenerator(t, Config{Seed: 11})
	mixed := newTestGenerator(t, Config{Seed: 11})
	baseFee := big.NewInt(params.InitialBaseFee)
	for i := range 200 {
		if i%3 == 0 {
			kind := IllegalKinds()[i%len(IllegalKinds())]
			if _, err := mixed.Illegal(kind, baseFee); err != nil {
				t.Fatalf("Illegal(%v): %v", kind, err)
			}
		}
		a, b := plain.Next(baseFee), mixed.Next(baseFee)
		if a.Hash() != b.Hash() {
			t.Fatalf("honest tx %d differs after Illegal calls: %x vs %x", i, a.Hash(), b.Hash())
		}
	}
}

func TestUndecodable(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	shapes := map[byte]int{}
	for i := range 5000 {
		b := Undecodable(rng)
		var tx types.Transaction
		if err := tx.UnmarshalBinary(b); err == nil {
			t.Fatalf("draw %d: %x decoded as tx %x", i, b, tx.Hash())
		}
		if len(b) == 0 {
			shapes[0]++
		} else {
			shapes[b[0]&0xc0]++ // 0x00/0x40: typed envelopes, 0x80: string, 0xc0: list
		}
	}
	if len(shapes) < 4 {
		t.Errorf("shapes by leading byte class %v, want empty, typed, string and list", shapes)
	}
	// Same rng seed, same bytes.
	a, b := rand.New(rand.NewPCG(9, 9)), rand.New(rand.NewPCG(9, 9))
	for range 100 {
		if x, y := Undecodable(a), Undecodable(b); !bytes.Equal(x, y) {
			t.Fatalf("Undecodable is not deterministic: %x vs %x", x, y)
		}
	}
}
