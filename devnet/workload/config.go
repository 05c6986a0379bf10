package workload

import (
	"errors"
	"fmt"
	"math/big"
)

// Mix holds the relative weights of the four honest transaction kinds. A
// weight of 0 leaves the kind out; the zero Mix means DefaultMix.
type Mix struct{ Transfer, Token, Storage, Deploy int }

// DefaultMix is the mix a zero Mix stands for: mostly ETH transfers and token
// calls, with enough storage-heavy calls and deployments to grow state.
var DefaultMix = Mix{Transfer: 40, Token: 35, Storage: 15, Deploy: 10}

// Defaults and bounds of Config.
const (
	DefaultAccounts = 64
	MaxAccounts     = 1 << 16
	MaxWeight       = 1 << 20 // bound on each Mix weight, so their sum cannot overflow
)

// Config describes a workload. Everything the Generator produces derives from
// it: two Generators built from equal Configs emit identical byte streams.
type Config struct {
	// Seed derives every key and every random choice.
	Seed int64
	// Accounts is the number of funded senders of the honest stream;
	// 0 means DefaultAccounts, at most MaxAccounts.
	Accounts int
	// ChainID is the domain's EIP-155 chain id; required and positive.
	ChainID *big.Int
	// Mix weighs the transaction kinds; the zero value means DefaultMix.
	Mix Mix
}

// withDefaults returns cfg with the documented defaults filled in.
func (cfg Config) withDefaults() Config {
	if cfg.Accounts == 0 {
		cfg.Accounts = DefaultAccounts
	}
	if cfg.Mix == (Mix{}) {
		cfg.Mix = DefaultMix
	}
	return cfg
}

// Validate reports every problem of cfg at once; a zero Accounts or Mix is
// valid and stands for its default.
func (cfg Config) Validate() error {
	var errs []error
	if cfg.Accounts < 0 || cfg.Accounts > MaxAccounts {
		errs = append(errs, fmt.Errorf("accounts %d out of range [0, %d]", cfg.Accounts, MaxAccounts))
	}
	if cfg.ChainID == nil {
		errs = append(errs, errors.New("chain id is required"))
	} else if cfg.ChainID.Sign() <= 0 {
		errs = append(errs, fmt.Errorf("chain id %v is not positive", cfg.ChainID))
	}
	for _, w := range []struct {
		name   string
		weight int
	}{
		{"transfer", cfg.Mix.Transfer},
		{"token", cfg.Mix.Token},
		{"storage", cfg.Mix.Storage},
		{"deploy", cfg.Mix.Deploy},
	} {
		if w.weight < 0 || w.weight > MaxWeight {
			errs = append(errs, fmt.Errorf("mix weight %s %d out of range [0, %d]", w.name, w.weight, MaxWeight))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("invalid workload config: %w", errors.Join(errs...))
	}
	return nil
}
