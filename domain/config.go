package domain

import (
	"errors"
	"fmt"
	"maps"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/params"
)

// DefaultGasLimit is the genesis gas limit when GenesisSpec leaves it zero:
// 30 million, Ethereum mainnet's limit through 2024.
const DefaultGasLimit uint64 = 30_000_000

// ErrUnsupportedFork reports a chain config or header outside the domain's
// fork rules: Cancun active, Prague not.
var ErrUnsupportedFork = errors.New("domain: unsupported fork")

// ChainConfig returns the domain chain config for chainID: every block fork
// through Gray Glacier and the merge netsplit at block 0, Shanghai and Cancun
// at time 0, Prague and later unset, terminal total difficulty 0, and the
// Cancun blob schedule (blob transactions are illegal in a domain, but geth
// needs the schedule to compute excess blob gas). The result is a fresh
// value the caller may keep.
func ChainConfig(chainID *big.Int) *params.ChainConfig {
	zero := uint64(0)
	cancunBlobs := *params.DefaultCancunBlobConfig
	return &params.ChainConfig{
		ChainID:                 new(big.Int).Set(chainID),
		HomesteadBlock:          big.NewInt(0),
		EIP150Block:             big.NewInt(0),
		EIP155Block:             big.NewInt(0),
		EIP158Block:             big.NewInt(0),
		ByzantiumBlock:          big.NewInt(0),
		ConstantinopleBlock:     big.NewInt(0),
		PetersburgBlock:         big.NewInt(0),
		IstanbulBlock:           big.NewInt(0),
		MuirGlacierBlock:        big.NewInt(0),
		BerlinBlock:             big.NewInt(0),
		LondonBlock:             big.NewInt(0),
		ArrowGlacierBlock:       big.NewInt(0),
		GrayGlacierBlock:        big.NewInt(0),
		MergeNetsplitBlock:      big.NewInt(0),
		ShanghaiTime:            &zero,
		CancunTime:              &zero,
		TerminalTotalDifficulty: big.NewInt(0),
		BlobScheduleConfig:      &params.BlobScheduleConfig{Cancun: &cancunBlobs},
	}
}

// GenesisSpec is what varies between domain genesis blocks.
type GenesisSpec struct {
	// ChainID is the domain's EIP-155 chain id. Required.
	ChainID *big.Int
	// GasLimit is the genesis block gas limit; 0 means DefaultGasLimit.
	GasLimit uint64
	// Timestamp is the genesis block time, in seconds.
	Timestamp uint64
	// Alloc funds accounts and deploys contracts at genesis. The EIP-4788
	// beacon-roots contract is always added; Alloc must not name its address.
	Alloc types.GenesisAlloc
}

// NewGenesis returns the genesis of a domain chain: the config of
// ChainConfig, the gas limit, the timestamp, the alloc plus the EIP-4788
// beacon-roots contract, the initial EIP-1559 base fee, difficulty 0 and
// zero blob gas. It is exactly what `geth init` takes once encoded as JSON.
func NewGenesis(spec GenesisSpec) (*core.Genesis, error) {
	if spec.ChainID == nil || spec.ChainID.Sign() <= 0 {
		return nil, fmt.Errorf("domain: genesis: chain id must be positive, have %v", spec.ChainID)
	}
	if _, ok := spec.Alloc[params.BeaconRootsAddress]; ok {
		return nil, fmt.Errorf("domain: genesis: alloc must not name the beacon-roots contract %s", params.BeaconRootsAddress)
	}
	gasLimit := spec.GasLimit
	if gasLimit == 0 {
		gasLimit = DefaultGasLimit
	}
	if gasLimit < params.MinGasLimit || gasLimit > params.MaxGasLimit {
		return nil, fmt.Errorf("domain: genesis: gas limit %d outside [%d, %d]", gasLimit, params.MinGasLimit, params.MaxGasLimit)
	}
	alloc := make(types.GenesisAlloc, len(spec.Alloc)+1)
	maps.Copy(alloc, spec.Alloc)
	alloc[params.BeaconRootsAddress] = types.Account{Nonce: 1, Code: params.BeaconRootsCode, Balance: common.Big0}

	var excessBlobGas, blobGasUsed uint64
	return &core.Genesis{
		Config:        ChainConfig(spec.ChainID),
		Timestamp:     spec.Timestamp,
		GasLimit:      gasLimit,
		Difficulty:    big.NewInt(0),
		Alloc:         alloc,
		BaseFee:       big.NewInt(params.InitialBaseFee),
		ExcessBlobGas: &excessBlobGas,
		BlobGasUsed:   &blobGasUsed,
	}, nil
}

// checkFork reports whether a block at number and time follows the domain's
// fork rules under cfg.
func checkFork(cfg *params.ChainConfig, number *big.Int, time uint64) error {
	switch {
	case cfg == nil:
		return fmt.Errorf("%w: nil chain config", ErrUnsupportedFork)
	case !cfg.IsLondon(number) || !cfg.IsShanghai(number, time) || !cfg.IsCancun(number, time):
		return fmt.Errorf("%w: block %v at time %d is before Cancun", ErrUnsupportedFork, number, time)
	case cfg.IsPrague(number, time):
		return fmt.Errorf("%w: block %v at time %d is Prague or later", ErrUnsupportedFork, number, time)
	case cfg.BlobScheduleConfig == nil || cfg.BlobScheduleConfig.Cancun == nil:
		return fmt.Errorf("%w: chain config lacks the Cancun blob schedule", ErrUnsupportedFork)
	case cfg.TerminalTotalDifficulty == nil || cfg.TerminalTotalDifficulty.Sign() != 0:
		return fmt.Errorf("%w: terminal total difficulty must be 0", ErrUnsupportedFork)
	}
	return nil
}
