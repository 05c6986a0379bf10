package domain

import (
	"errors"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/params"
)

func TestFeeRecipientIsKeccakOfLabel(t *testing.T) {
	want := common.BytesToAddress(crypto.Keccak256([]byte(feeRecipientLabel))[12:])
	if FeeRecipient != want {
		t.Fatalf("FeeRecipient %s, keccak of %q gives %s", FeeRecipient, feeRecipientLabel, want)
	}
}

func TestNewHeader(t *testing.T) {
	cfg := ChainConfig(big.NewInt(fixtureChainID))
	excess := uint64(5 * params.BlobTxBlobGasPerBlob)
	blobUsed := uint64(0)
	parent := &types.Header{
		Number: big.NewInt(9), Time: 1000, GasLimit: 30_000_000, GasUsed: 30_000_000,
		BaseFee: big.NewInt(params.GWei), ExcessBlobGas: &excess, BlobGasUsed: &blobUsed, Difficulty: new(big.Int),
	}
	spec := HeaderSpec{
		Parent: parent, Time: 1006, PrevRandao: common.Hash{7}, BeaconRoot: common.Hash{8}, Coinbase: FeeRecipient,
	}
	h, err := NewHeader(cfg, spec)
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"number", h.Number.Uint64(), uint64(10)},
		{"parent hash", h.ParentHash, parent.Hash()},
		// A full parent raises the base fee by 1/8 (EIP-1559).
		{"base fee", h.BaseFee.Uint64(), uint64(1_125_000_000)},
		// 5 blobs of excess less the target of 3 (EIP-4844).
		{"excess blob gas", *h.ExcessBlobGas, uint64(2 * params.BlobTxBlobGasPerBlob)},
		{"blob gas used", *h.BlobGasUsed, uint64(0)},
		{"gas limit kept", h.GasLimit, parent.GasLimit},
		{"prevRandao", h.MixDigest, common.Hash{7}},
		{"beacon root", *h.ParentBeaconRoot, common.Hash{8}},
		{"coinbase", h.Coinbase, FeeRecipient},
		{"difficulty", h.Difficulty.Sign(), 0},
		{"extra", len(h.Extra), 0},
		{"withdrawals hash", *h.WithdrawalsHash, types.EmptyWithdrawalsHash},
		{"uncle hash", h.UncleHash, types.EmptyUncleHash},
		{"no requests hash", h.RequestsHash == nil, true},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: %v, want %v", c.name, c.got, c.want)
		}
	}
	spec.BeaconRoot = common.Hash{9}
	if *h.ParentBeaconRoot != (common.Hash{8}) {
		t.Error("header shares the spec's beacon root")
	}
}

func TestNewHeaderRejects(t *testing.T) {
	cfg := ChainConfig(big.NewInt(fixtureChainID))
	prague := ChainConfig(big.NewInt(fixtureChainID))
	pragueTime := uint64(2000)
	prague.PragueTime = &pragueTime
	parent := &types.Header{Number: big.NewInt(1), Time: 1000, GasLimit: 30_000_000, BaseFee: big.NewInt(params.GWei), Difficulty: new(big.Int)}
	noBaseFee := types.CopyHeader(parent)
	noBaseFee.BaseFee = nil
	tests := []struct {
		name    string
		cfg     *params.ChainConfig
		spec    HeaderSpec
		wantErr error
	}{
		{"no parent", cfg, HeaderSpec{Time: 1001}, ErrInvalidHeaderSpec},
		{"parent without base fee", cfg, HeaderSpec{Parent: noBaseFee, Time: 1001}, ErrInvalidHeaderSpec},
		{"same time", cfg, HeaderSpec{Parent: parent, Time: 1000}, ErrInvalidHeaderSpec},
		{"earlier time", cfg, HeaderSpec{Parent: parent, Time: 999}, ErrInvalidHeaderSpec},
		{"gas limit jump", cfg, HeaderSpec{Parent: parent, Time: 1001, GasLimit: 40_000_000}, ErrInvalidHeaderSpec},
		{"nil config", nil, HeaderSpec{Parent: parent, Time: 1001}, ErrUnsupportedFork},
		{"prague", prague, HeaderSpec{Parent: parent, Time: 2000}, ErrUnsupportedFork},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if h, err := NewHeader(tt.cfg, tt.spec); !errors.Is(err, tt.wantErr) {
				t.Fatalf("header %v, error %v; want %v", h, err, tt.wantErr)
			}
		})
	}
	// Within the EIP-1559 bound the gas limit may move.
	if h, err := NewHeader(cfg, HeaderSpec{Parent: parent, Time: 1001, GasLimit: 30_029_000}); err != nil || h.GasLimit != 30_029_000 {
		t.Fatalf("gas limit step refused: %v", err)
	}
}
