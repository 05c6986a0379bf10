package workload

import (
	"bytes"
	"math/big"
	"reflect"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/params"
)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want []string // substrings of the error; none: valid
	}{
		{name: "defaults", cfg: Config{ChainID: big.NewInt(1)}},
		{name: "explicit", cfg: Config{Seed: -4, Accounts: 100, ChainID: big.NewInt(7), Mix: Mix{Token: 1}}},
		{name: "nil chain id", cfg: Config{}, want: []string{"chain id is required"}},
		{name: "zero chain id", cfg: Config{ChainID: new(big.Int)}, want: []string{"chain id 0 is not positive"}},
		{name: "negative accounts", cfg: Config{Accounts: -1, ChainID: big.NewInt(1)}, want: []string{"accounts -1"}},
		{name: "too many accounts", cfg: Config{Accounts: MaxAccounts + 1, ChainID: big.NewInt(1)}, want: []string{"accounts 65537"}},
		{name: "negative weight", cfg: Config{ChainID: big.NewInt(1), Mix: Mix{Transfer: 1, Deploy: -2}}, want: []string{"mix weight deploy -2"}},
		{name: "huge weight", cfg: Config{ChainID: big.NewInt(1), Mix: Mix{Storage: MaxWeight + 1}}, want: []string{"mix weight storage"}},
		{
			name: "every problem at once",
			cfg:  Config{Accounts: -3, Mix: Mix{Token: -1, Storage: -1}},
			want: []string{"accounts -3", "chain id is required", "mix weight token", "mix weight storage"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if _, newErr := New(tt.cfg); (newErr == nil) != (err == nil) {
				t.Errorf("New and Validate disagree: %v vs %v", newErr, err)
			}
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error, want %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	g := newTestGenerator(t, Config{})
	if len(g.Accounts()) != DefaultAccounts || g.cfg.Mix != DefaultMix {
		t.Errorf("accounts %d mix %+v, want %d and %+v", len(g.Accounts()), g.cfg.Mix, DefaultAccounts, DefaultMix)
	}
	alloc := g.Alloc()
	if len(alloc) != DefaultAccounts+3 {
		t.Errorf("alloc has %d accounts, want funded + fault + 2 contracts = %d", len(alloc), DefaultAccounts+3)
	}
	for _, a := range g.Accounts() {
		if acc, ok := alloc[a]; !ok || acc.Balance.Cmp(FundedBalance) != 0 {
			t.Errorf("funded account %x: %+v", a, acc)
		}
	}
	if acc := alloc[g.FaultAccount()]; acc.Nonce != faultNonce || acc.Balance.Cmp(FundedBalance) != 0 {
		t.Errorf("fault account alloc %+v, want nonce %d and FundedBalance", acc, faultNonce)
	}
	if len(alloc[g.TokenAddress()].Storage) != DefaultAccounts+1 || !bytes.Equal(alloc[g.TokenAddress()].Code, g.TokenRuntime()) {
		t.Errorf("token alloc: %d balances, want %d", len(alloc[g.TokenAddress()].Storage), DefaultAccounts+1)
	}
	// Alloc returns a fresh map: mutating one leaves the next intact.
	delete(alloc, g.TokenAddress())
	if _, ok := g.Alloc()[g.TokenAddress()]; !ok {
		t.Errorf("Alloc shares state between calls")
	}
}

func TestDeterminism(t *testing.T) {
	cfg := Config{Seed: 42, Accounts: 16, ChainID: big.NewInt(9)}
	a, b := newTestGenerator(t, cfg), newTestGenerator(t, cfg)
	if !reflect.DeepEqual(a.Alloc(), b.Alloc()) {
		t.Fatalf("equal configs gave different allocs")
	}
	baseFee := big.NewInt(params.InitialBaseFee)
	for i := range 500 {
		x, _ := a.Next(baseFee).MarshalBinary()
		y, _ := b.Next(baseFee).MarshalBinary()
		if !bytes.Equal(x, y) {
			t.Fatalf("tx %d differs between equal configs", i)
		}
	}
	cfg.Seed = 43
	c := newTestGenerator(t, cfg)
	if a.Accounts()[0] == c.Accounts()[0] || a.Next(baseFee).Hash() == c.Next(baseFee).Hash() {
		t.Errorf("seeds 42 and 43 gave the same keys or txs")
	}
}

func TestMixSelectsKinds(t *testing.T) {
	g0 := newTestGenerator(t, Config{})
	tests := []struct {
		name string
		mix  Mix
		want func(tx *types.Transaction) bool
	}{
		{"transfers only", Mix{Transfer: 1}, func(tx *types.Transaction) bool {
			return tx.To() != nil && len(tx.Data()) == 0 && tx.Gas() == GasTransfer
		}},
		{"tokens only", Mix{Token: 3}, func(tx *types.Transaction) bool {
			return tx.To() != nil && *tx.To() == g0.TokenAddress() && tx.Gas() == GasToken
		}},
		{"storage only", Mix{Storage: 1}, func(tx *types.Transaction) bool {
			return tx.To() != nil && *tx.To() == g0.StorageAddress() && tx.Gas() == GasStorage
		}},
		{"deploys only", Mix{Deploy: 2}, func(tx *types.Transaction) bool { return tx.To() == nil && tx.Gas() == GasDeploy }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newTestGenerator(t, Config{Mix: tt.mix})
			for i := range 50 {
				if tx := g.Next(nil); !tt.want(tx) {
					t.Fatalf("tx %d (to %v, gas %d) is not of the mix", i, tx.To(), tx.Gas())
				}
			}
		})
	}
}

func TestNextNoncesAndFees(t *testing.T) {
	g := newTestGenerator(t, Config{Seed: 1, Accounts: 3})
	baseFee := big.NewInt(7 * params.GWei)
	next := map[string]uint64{}
	for i := range 300 {
		tx := g.Next(baseFee)
		from, err := types.Sender(g.Signer(), tx)
		if err != nil {
			t.Fatalf("tx %d: %v", i, err)
		}
		if tx.Nonce() != next[from.Hex()] {
			t.Fatalf("tx %d from %x: nonce %d, want %d", i, from, tx.Nonce(), next[from.Hex()])
		}
		next[from.Hex()]++
		if min := new(big.Int).Lsh(baseFee, 1); tx.GasFeeCap().Cmp(min) <= 0 || tx.GasTipCap().Sign() <= 0 {
			t.Fatalf("tx %d: fee cap %v tip %v, want above 2 × base fee and a positive tip", i, tx.GasFeeCap(), tx.GasTipCap())
		}
	}
	if len(next) != 3 {
		t.Errorf("senders %v, want all 3 accounts", next)
	}
	// nil base fee means the genesis base fee.
	tx := newTestGenerator(t, Config{Seed: 1}).Next(nil)
	if tx.GasFeeCap().Cmp(big.NewInt(2*params.InitialBaseFee)) <= 0 {
		t.Errorf("nil base fee: fee cap %v", tx.GasFeeCap())
	}
}

func BenchmarkNext(b *testing.B) {
	g := newTestGenerator(b, Config{Seed: 1})
	baseFee := big.NewInt(params.InitialBaseFee)
	b.ReportAllocs()
	for b.Loop() {
		g.Next(baseFee)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "txs/s")
}
