package devnet

import (
	"encoding/binary"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/core"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/receiptd/receiptd/devnet/workload"
	"github.com/receiptd/receiptd/domain"
	"github.com/receiptd/receiptd/protocol"
)

// Network is what a follower needs to start following a devnet: the
// consensus chain spec and every domain's genesis (as `geth init` takes
// it). A real network would publish both in its registry.
type Network struct {
	Spec    *protocol.ChainSpec
	Geneses map[protocol.DomainID]*core.Genesis
}

// GenesisTime is the devnet's logical genesis time (2024-01-01T00:00:00Z):
// fixed, so the chain does not depend on when it was made.
const GenesisTime = 1704067200

// BaseChainID is the chain id of domain 1; domain d has BaseChainID + d − 1.
const BaseChainID = 870_001

// operatorID numbers operators 1.. in domain order.
func operatorID(domain, index, perDomain int) protocol.OperatorID {
	return protocol.OperatorID(domain*perDomain + index + 1)
}

// seedBytes derives 32 bytes for a purpose from the seed.
func seedBytes(seed int64, purpose string, n int) []byte {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(seed))
	binary.BigEndian.PutUint64(b[8:], uint64(n))
	return crypto.Keccak256([]byte("receiptd/devnet/"+purpose), b[:])
}

// builtNetwork is the network plus the secrets and generators that only
// the devnet holds.
type builtNetwork struct {
	Network
	keys       map[protocol.OperatorID]*protocol.SecretKey
	generators map[protocol.DomainID]*workload.Generator
}

func buildNetwork(cfg *Config) (*builtNetwork, error) {
	spec := &protocol.ChainSpec{
		GenesisTime: GenesisTime,
		SlotSeconds: 1,
		Randomness:  crypto.Keccak256Hash(seedBytes(cfg.Seed, "randomness", 0)),
	}
	n := &builtNetwork{
		Network:    Network{Spec: spec, Geneses: map[protocol.DomainID]*core.Genesis{}},
		keys:       map[protocol.OperatorID]*protocol.SecretKey{},
		generators: map[protocol.DomainID]*workload.Generator{},
	}
	for d := range cfg.Domains {
		id := protocol.DomainID(d + 1)
		chainID := big.NewInt(int64(BaseChainID + d))
		gen, err := workload.New(workload.Config{Seed: cfg.Seed*1000 + int64(d), ChainID: chainID})
		if err != nil {
			return nil, fmt.Errorf("devnet: workload of domain %d: %w", id, err)
		}
		genesis, err := domain.NewGenesis(domain.GenesisSpec{
			ChainID: chainID, GasLimit: cfg.DomainGasLimit, Timestamp: GenesisTime, Alloc: gen.Alloc(),
		})
		if err != nil {
			return nil, fmt.Errorf("devnet: genesis of domain %d: %w", id, err)
		}
		block := genesis.ToBlock()
		spec.Domains = append(spec.Domains, protocol.DomainConfig{
			ID: id, ChainID: chainID.Uint64(), GenesisHash: block.Hash(), GenesisRoot: block.Root(),
			GasLimit: cfg.DomainGasLimit, BundleGasCap: cfg.BundleGasCap,
			SlotProbability: protocol.SlotProbability{Num: 1, Den: 1},
			ChallengePeriod: cfg.ChallengePeriod,
		})
		n.Geneses[id] = genesis
		n.generators[id] = gen
		for i := range cfg.OperatorsPerDomain {
			op := operatorID(d, i, cfg.OperatorsPerDomain)
			sk, err := protocol.GenerateKey(seedBytes(cfg.Seed, "operator-key", int(op)))
			if err != nil {
				return nil, fmt.Errorf("devnet: key of operator %d: %w", op, err)
			}
			n.keys[op] = sk
			spec.Operators = append(spec.Operators, protocol.Operator{
				ID: op, Domain: id, Stake: 1000, Status: protocol.OperatorActive, PublicKey: sk.PublicKey(),
			})
		}
	}
	if err := spec.Validate(); err != nil {
		return nil, fmt.Errorf("devnet: %w", err)
	}
	return n, nil
}
