package audit

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/ethereum/go-ethereum/consensus"
	"github.com/ethereum/go-ethereum/consensus/beacon"
	"github.com/ethereum/go-ethereum/consensus/clique"
	"github.com/ethereum/go-ethereum/consensus/ethash"
	"github.com/ethereum/go-ethereum/core"
	"github.com/ethereum/go-ethereum/ethdb"
)

// ErrBadGenesis marks a genesis that geth would not start a chain from.
var ErrBadGenesis = errors.New("bad genesis")

// LoadGenesis reads a genesis.json as `geth init` takes it and checks what
// geth checks before it would import blocks on it: a chain config with forks
// in order and a terminal total difficulty.
func LoadGenesis(r io.Reader) (*core.Genesis, error) {
	var g core.Genesis
	dec := json.NewDecoder(r)
	if err := dec.Decode(&g); err != nil {
		return nil, fmt.Errorf("%w: decode JSON: %w", ErrBadGenesis, err)
	}
	if err := checkGenesis(&g); err != nil {
		return nil, err
	}
	return &g, nil
}

func checkGenesis(g *core.Genesis) error {
	if g.Config == nil {
		return fmt.Errorf("%w: no chain config", ErrBadGenesis)
	}
	if g.Number != 0 {
		return fmt.Errorf("%w: number %d, want 0", ErrBadGenesis, g.Number)
	}
	if err := g.Config.CheckConfigForkOrder(); err != nil {
		return fmt.Errorf("%w: %w", ErrBadGenesis, err)
	}
	if g.Config.TerminalTotalDifficulty == nil {
		// eth/ethconfig.CreateConsensusEngine refuses such configs.
		return fmt.Errorf("%w: terminalTotalDifficulty is not set (geth supports only PoS networks)", ErrBadGenesis)
	}
	return nil
}

// newEngine builds the consensus engine geth v1.17.10 uses for config, the
// same choice as eth/ethconfig.CreateConsensusEngine.
func newEngine(g *core.Genesis, db ethdb.Database) consensus.Engine {
	if g.Config.Clique != nil {
		return beacon.New(clique.New(g.Config.Clique, db))
	}
	return beacon.New(ethash.NewFaker())
}
