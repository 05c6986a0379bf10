package protocol

import (
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/holiman/uint256"
)

// DomainConfig is a registered domain and its consensus settings.
type DomainConfig struct {
	ID          DomainID
	ChainID     uint64
	GenesisHash common.Hash // the domain's genesis block
	GenesisRoot common.Hash // its state root
	// GasLimit is the domain block gas limit; the declared gas of the
	// domain's bundles in one consensus block stays within it.
	GasLimit uint64
	// BundleGasCap bounds one bundle's declared gas.
	BundleGasCap uint64
	// SlotProbability is p/q, the chance a slot has a bundle producer when
	// all stake is online.
	SlotProbability SlotProbability
	// ChallengePeriod is D: a new head at N confirms the ER at N − D.
	ChallengePeriod uint64
}

// OperatorStatus is an operator's standing. The zero value is not a status.
type OperatorStatus uint8

const (
	OperatorActive OperatorStatus = iota + 1
	OperatorSlashed
)

func (s OperatorStatus) String() string {
	switch s {
	case OperatorActive:
		return "active"
	case OperatorSlashed:
		return "slashed"
	}
	return fmt.Sprintf("OperatorStatus(%d)", uint8(s))
}

// Operator is a staked operator of one domain.
type Operator struct {
	ID        OperatorID
	Domain    DomainID
	Stake     uint64
	Status    OperatorStatus
	PublicKey PublicKey
	// Rewards are the fees paid to the operator by confirmed ERs it backed.
	Rewards uint256.Int
}

// ChainSpec fixes a consensus chain's genesis: its time, slot length,
// initial randomness, domains and operators.
type ChainSpec struct {
	GenesisTime uint64 // seconds
	SlotSeconds uint64 // ≥ 1
	Randomness  common.Hash
	Domains     []DomainConfig
	Operators   []Operator
}

// Hash commits to the whole spec; the genesis header carries it as its
// parent hash, so different specs give different chains.
func (s *ChainSpec) Hash() common.Hash { return rlpHash(s) }

// ErrInvalidSpec reports a ChainSpec that cannot start a chain.
var ErrInvalidSpec = errors.New("invalid chain spec")

// Validate reports every problem of the spec at once.
func (s *ChainSpec) Validate() error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if s.SlotSeconds == 0 {
		add("slot seconds must be at least 1")
	}
	domains := map[DomainID]bool{}
	for _, d := range s.Domains {
		if domains[d.ID] {
			add("domain %d registered twice", d.ID)
		}
		domains[d.ID] = true
		if d.GasLimit == 0 || d.BundleGasCap == 0 {
			add("domain %d: gas limit and bundle gas cap must be positive", d.ID)
		}
		if d.ChallengePeriod == 0 {
			add("domain %d: challenge period must be positive", d.ID)
		}
		if err := d.SlotProbability.Validate(); err != nil {
			add("domain %d: %v", d.ID, err)
		}
	}
	ops := map[OperatorID]bool{}
	for _, o := range s.Operators {
		if ops[o.ID] {
			add("operator %d registered twice", o.ID)
		}
		ops[o.ID] = true
		if !domains[o.Domain] {
			add("operator %d: unknown domain %d", o.ID, o.Domain)
		}
		if o.Stake == 0 {
			add("operator %d: stake must be positive", o.ID)
		}
		if o.Status != OperatorActive {
			add("operator %d: must start active", o.ID)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: %w", ErrInvalidSpec, errors.Join(errs...))
	}
	return nil
}

// GenesisHeader is the consensus genesis header of the spec.
func (s *ChainSpec) GenesisHeader() Header {
	return Header{
		ParentHash:   s.Hash(),
		Timestamp:    s.GenesisTime,
		Randomness:   s.Randomness,
		BundlesRoot:  OrderedRoot(nil),
		ProofsRoot:   OrderedRoot(nil),
		ReceiptsRoot: OrderedRoot(nil),
	}
}

// SlotTime is the logical timestamp of a slot.
func (s *ChainSpec) SlotTime(slot uint64) uint64 { return s.GenesisTime + slot*s.SlotSeconds }

// NextRandomness is the randomness of the block at slot after a block with
// randomness prev: keccak(prev ‖ slot). The devnet uses it; consensus
// checks only that a header's randomness follows this rule.
func NextRandomness(prev common.Hash, slot uint64) common.Hash {
	var b [8]byte
	for i := range 8 {
		b[i] = byte(slot >> (56 - 8*i))
	}
	return crypto.Keccak256Hash(prev[:], b[:])
}
