package devnet

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/receiptd/receiptd/protocol"
)

// Config is a devnet's shape. The zero value of each field means its
// documented default; EnsureDefaults fills them in.
type Config struct {
	// Seed fixes every choice the devnet makes. Default 1.
	Seed int64
	// BlockTime is the wall-clock time between slots in Run; 0 runs as fast
	// as the machine allows (test mode). Default 1s. Block timestamps do not
	// depend on it: they are genesis time + slot × 1 s.
	BlockTime time.Duration
	// FastMode makes BlockTime 0 regardless of the field.
	FastMode bool
	// Domains is the number of domains. Default 2.
	Domains int
	// OperatorsPerDomain is the number of staked operators in each domain.
	// Default 3.
	OperatorsPerDomain int
	// ChallengePeriod is D in domain blocks. Default 20.
	ChallengePeriod uint64
	// TxPerBlock is the number of workload transactions each domain's
	// mempool receives per slot. Default 40.
	TxPerBlock int
	// DomainGasLimit is each domain's block gas limit. Default 30,000,000.
	DomainGasLimit uint64
	// BundleGasCap bounds one bundle's declared gas. Default 10,000,000.
	BundleGasCap uint64
	// ForkProbability is the chance, per slot, that a competing branch
	// overtakes the canonical chain. Default 0.05; negative means never.
	ForkProbability float64
	// MaxReorgDepth is the deepest reorg the devnet makes, in consensus
	// blocks. Default 3.
	MaxReorgDepth int
	// Faults sets which operators misbehave and how often. Nil means the
	// default: operator 0 of every domain faulty with DefaultFaultRates.
	Faults map[OperatorRef]FaultRates
	// NoFaults switches every fault off, whatever Faults says.
	NoFaults bool
	// StateDir, when set, holds the domains' state on disk (pebble, one
	// directory per domain, wiped at start: the chain is regenerated from
	// the seed), flushed every 32 final domain blocks, so that memory stays
	// bounded as the state grows. Empty keeps the state in memory (tests,
	// exports).
	StateDir string
	// KeepHistory keeps every honest domain block in memory, for
	// DomainChain and exports. Without it a long-running devnet keeps only
	// the blocks that are not final yet (bounded memory).
	KeepHistory bool
	// Verifier checks fraud proofs submitted to the devnet. Nil rejects
	// every proof with ErrNoVerifier.
	Verifier protocol.ProofVerifier
	// Logger receives the devnet's logs. Default: slog.Default().
	Logger *slog.Logger
}

// OperatorRef names an operator by domain index (0-based) and position in
// its domain (0-based), so configs do not depend on operator ids.
type OperatorRef struct{ Domain, Index int }

// EnsureDefaults fills in every zero field with its default.
func (c *Config) EnsureDefaults() {
	if c.Seed == 0 {
		c.Seed = 1
	}
	if c.BlockTime == 0 {
		c.BlockTime = time.Second
	}
	if c.FastMode {
		c.BlockTime = 0
	}
	if c.Domains == 0 {
		c.Domains = 2
	}
	if c.OperatorsPerDomain == 0 {
		c.OperatorsPerDomain = 3
	}
	if c.ChallengePeriod == 0 {
		c.ChallengePeriod = 20
	}
	if c.TxPerBlock == 0 {
		c.TxPerBlock = 40
	}
	if c.DomainGasLimit == 0 {
		c.DomainGasLimit = 30_000_000
	}
	if c.BundleGasCap == 0 {
		c.BundleGasCap = 10_000_000
	}
	if c.ForkProbability == 0 {
		c.ForkProbability = 0.05
	}
	if c.MaxReorgDepth == 0 {
		c.MaxReorgDepth = 3
	}
	if c.Faults == nil {
		c.Faults = map[OperatorRef]FaultRates{}
		for d := range c.Domains {
			c.Faults[OperatorRef{Domain: d}] = DefaultFaultRates()
		}
	}
	if c.NoFaults {
		c.Faults = map[OperatorRef]FaultRates{}
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// Validate reports every problem at once.
func (c *Config) Validate() error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if c.Domains < 1 || c.Domains > 64 {
		add("domains %d: want 1 to 64", c.Domains)
	}
	if c.OperatorsPerDomain < 1 || c.OperatorsPerDomain > 64 {
		add("operators per domain %d: want 1 to 64", c.OperatorsPerDomain)
	}
	if c.TxPerBlock < 0 {
		add("tx per block %d is negative", c.TxPerBlock)
	}
	if c.BundleGasCap > c.DomainGasLimit {
		add("bundle gas cap %d over the domain gas limit %d", c.BundleGasCap, c.DomainGasLimit)
	}
	if c.ForkProbability >= 1 {
		add("fork probability %v: want below 1", c.ForkProbability)
	}
	if c.MaxReorgDepth < 1 || uint64(c.MaxReorgDepth) > c.ChallengePeriod {
		add("max reorg depth %d: want 1 to the challenge period %d", c.MaxReorgDepth, c.ChallengePeriod)
	}
	if c.BlockTime < 0 {
		add("block time %v is negative", c.BlockTime)
	}
	// The faults' references are checked against a valid shape only.
	shaped := c.Domains >= 1 && c.Domains <= 64 && c.OperatorsPerDomain >= 1 && c.OperatorsPerDomain <= 64
	for ref, rates := range c.Faults {
		if shaped && (ref.Domain < 0 || ref.Domain >= c.Domains || ref.Index < 0 || ref.Index >= c.OperatorsPerDomain) {
			add("faults name operator %d of domain index %d, which does not exist", ref.Index, ref.Domain)
		}
		if err := rates.Validate(); err != nil {
			add("faults of operator %d of domain %d: %v", ref.Index, ref.Domain, err)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("devnet: invalid config: %w", errors.Join(errs...))
	}
	return nil
}
