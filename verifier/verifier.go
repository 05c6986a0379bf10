package verifier

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/receiptd/receiptd/domain"
	"github.com/receiptd/receiptd/protocol"
	"github.com/receiptd/receiptd/source"
)

// Deps are the follower's collaborators.
type Deps struct {
	Network *source.Network
	Source  Source
	Index   Index
	// StateDir holds one go-ethereum database per domain.
	StateDir string
	// Proofs verifies fraud proofs found on chain. Required.
	Proofs  protocol.ProofVerifier
	Metrics Metricer
	// Submitter takes the challenger's proofs; required unless the
	// challenge mode is off or a dry run.
	Submitter Submitter
}

// New opens the domain states under deps.StateDir, checks that they and
// the index belong to deps.Network, and restores the follower to the last
// committed block.
func New(ctx context.Context, cfg Config, deps Deps) (*Follower, error) {
	cfg.EnsureDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.Network == nil || deps.Source == nil || deps.Index == nil || deps.Proofs == nil || deps.Metrics == nil {
		return nil, errors.New("verifier: network, source, index, proof verifier and metrics are required")
	}
	f := &Follower{
		cfg: cfg, net: deps.Network, src: deps.Source, idx: deps.Index, proofs: deps.Proofs, metrics: deps.Metrics,
		pipes: map[protocol.DomainID]*domainPipeline{},
	}
	f.prep = newPreparer(deps.Network.Spec.Operators, f.pipes, cfg.Workers)
	ok := false
	defer func() {
		if !ok {
			f.Close()
		}
	}()
	for _, dc := range deps.Network.Spec.Domains {
		genesis := deps.Network.Geneses[dc.ID]
		if genesis == nil {
			return nil, fmt.Errorf("%w: no genesis for domain %d", ErrWrongNetwork, dc.ID)
		}
		if h := genesis.ToBlock().Hash(); h != dc.GenesisHash {
			return nil, fmt.Errorf("%w: domain %d genesis hashes to %s, the spec says %s", ErrWrongNetwork, dc.ID, h, dc.GenesisHash)
		}
		// Derivation takes the block gas limit from the genesis, a proof
		// verifier from the spec: they must agree, or honest receipts
		// become provable (and bad ones unprovable).
		if genesis.GasLimit != dc.GasLimit {
			return nil, fmt.Errorf("%w: domain %d genesis gas limit %d differs from the spec's %d", ErrWrongNetwork, dc.ID, genesis.GasLimit, dc.GasLimit)
		}
		db, err := domain.OpenPebble(filepath.Join(deps.StateDir, fmt.Sprintf("domain-%d", dc.ID)))
		if err != nil {
			return nil, fmt.Errorf("verifier: open domain %d state: %w", dc.ID, err)
		}
		pipe, _, err := newDomainPipeline(dc.ID, genesis, db, cfg.FlushEvery, cfg.PruneEvery)
		if err != nil {
			db.Close()
			return nil, fmt.Errorf("verifier: domain %d state: %w", dc.ID, err)
		}
		f.pipes[dc.ID] = pipe
	}
	genesis, err := protocol.Genesis(deps.Network.Spec)
	if err != nil {
		return nil, err
	}
	n, hash, started, err := deps.Index.Progress(ctx)
	if err != nil {
		return nil, fmt.Errorf("verifier: index progress: %w", err)
	}
	switch {
	case !started:
		if err := f.commitGenesis(ctx, genesis); err != nil {
			return nil, err
		}
	case n == 0:
		if hash != genesis.Hash {
			return nil, fmt.Errorf("%w: the index's genesis is %s, this network's is %s", ErrWrongNetwork, hash, genesis.Hash)
		}
		snap := f.genesisSnapshot(genesis)
		f.tip, f.ring = snap, []*snapshot{snap}
		f.latest.Store(genesis)
	default:
		first, err := deps.Index.ConsensusBlock(ctx, 1)
		if err != nil {
			return nil, fmt.Errorf("verifier: index block 1: %w", err)
		}
		if first.Header.ParentHash != genesis.Hash {
			return nil, fmt.Errorf("%w: the index follows a chain with genesis %s, this network's is %s", ErrWrongNetwork, first.Header.ParentHash, genesis.Hash)
		}
		if err := f.restore(ctx, n); err != nil {
			return nil, err
		}
	}
	if cfg.Challenge != ChallengeOff {
		if cfg.Challenge == ChallengeSubmit && deps.Submitter == nil {
			return nil, errors.New("verifier: challenger needs a submitter")
		}
		f.challenger = newChallenger(cfg.Challenge, deps.Metrics, deps.Submitter, deps.Proofs, cfg.Logger)
		f.challenger.onSent = cfg.OnProofSubmitted
	}
	ok = true
	return f, nil
}

// commitGenesis starts an empty index with the genesis block, so that
// every later commit has a parent and the index names its network.
func (f *Follower) commitGenesis(ctx context.Context, genesis *protocol.State) error {
	snap := f.genesisSnapshot(genesis)
	u := &BlockUpdate{Number: 0, Hash: genesis.Hash, Block: &protocol.Block{Header: genesis.Header}, State: genesis}
	for _, id := range genesis.DomainIDs() {
		v, p := snap.views[id], f.pipes[id]
		u.Progress = append(u.Progress, DomainProgress{Domain: id, HeadHash: v.Head.Hash(), StateRoot: v.Head.Root,
			FlushedRoot: p.flushed.root, FlushedNumber: p.flushed.number})
	}
	var err error
	if u.Checkpoint, err = encodeCheckpoint(snap); err != nil {
		return err
	}
	if err := f.idx.Commit(ctx, u); err != nil {
		return fmt.Errorf("verifier: commit genesis: %w", err)
	}
	f.tip, f.ring = snap, []*snapshot{snap}
	f.latest.Store(genesis)
	return nil
}

// Tip returns the last verified consensus block's height and hash. Call it
// from the goroutine running Run, or when Run is not running.
func (f *Follower) Tip() (uint64, [32]byte) { return f.tip.number, f.tip.hash }

// Close flushes each domain's newest state, so a clean restart re-executes
// nothing, and closes the state databases. Safe twice.
func (f *Follower) Close() error {
	if f.challenger != nil {
		f.challenger.close()
		f.challenger = nil
	}
	var errs []error
	for id, p := range f.pipes {
		if f.tip != nil {
			if v, ok := f.tip.views[id]; ok && p.store.HasState(v.Head.Root) {
				if err := p.flush(v.Head.Root, v.Head.Number.Uint64()); err != nil {
					errs = append(errs, err)
				}
			}
		}
		if err := p.close(); err != nil {
			errs = append(errs, fmt.Errorf("verifier: close domain %d: %w", id, err))
		}
		delete(f.pipes, id)
	}
	return errors.Join(errs...)
}
