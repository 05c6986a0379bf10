package audit

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/state"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/triedb"
)

// maxCheckpoints is how many committed states stay referenced. A fork can
// branch off any standing block at or after the oldest of them.
const maxCheckpoints = 4

// errStateUnavailable: the parent stands, but no kept checkpoint is its
// ancestor, so its state cannot be rebuilt.
var errStateUnavailable = errors.New("no kept state checkpoint is an ancestor of the parent")

type checkpoint struct {
	hash   common.Hash
	number uint64
	root   common.Hash
}

// stateKeeper owns the state the executor needs: the live post-state of one
// standing block and a few committed checkpoints to rebuild others from.
// Only the executor goroutine touches it.
type stateKeeper struct {
	chain    *chain
	triedb   *triedb.Database
	sdb      state.Database
	interval int
	// replay re-executes a standing block on st; it must leave st holding
	// the block's post-state with its root computed.
	replay func(ctx context.Context, b *types.Block, st *state.StateDB) error

	live            *state.StateDB
	liveHash        common.Hash // block whose post-state live holds
	checkpoints     []checkpoint
	sinceCheckpoint int
}

func newStateKeeper(c *chain, tdb *triedb.Database, sdb state.Database, interval int, genesis *types.Block) (*stateKeeper, error) {
	k := &stateKeeper{chain: c, triedb: tdb, sdb: sdb, interval: interval}
	k.checkpoints = []checkpoint{{hash: genesis.Hash(), number: 0, root: genesis.Root()}}
	st, err := state.New(genesis.Root(), sdb)
	if err != nil {
		return nil, fmt.Errorf("open genesis state: %w", err)
	}
	k.live, k.liveHash = st, genesis.Hash()
	return k, nil
}

// stateFor returns a state holding parent's post-state, ready to execute a
// child on. It is the live state when parent is the block it holds;
// otherwise the state is rebuilt from a checkpoint.
func (k *stateKeeper) stateFor(ctx context.Context, parent *types.Block) (*state.StateDB, error) {
	if k.live != nil && k.liveHash == parent.Hash() {
		return k.live, nil
	}
	return k.rebuild(ctx, parent)
}

// invalidate marks the live state unusable: a block that failed ran on it.
func (k *stateKeeper) invalidate() {
	k.live, k.liveHash = nil, common.Hash{}
}

// advance records that b verified on st, which now holds b's post-state, and
// commits a checkpoint every interval blocks.
func (k *stateKeeper) advance(b *types.Block, st *state.StateDB) error {
	k.live, k.liveHash = st, b.Hash()
	k.sinceCheckpoint++
	if k.sinceCheckpoint < k.interval {
		return nil
	}
	return k.commit(b, st)
}

// rebuild opens the highest checkpoint that is parent or an ancestor of it
// (checkpoints a fork made are not in height order), replays the standing
// blocks in between and commits the result as a new checkpoint.
func (k *stateKeeper) rebuild(ctx context.Context, parent *types.Block) (*state.StateDB, error) {
	var (
		best *checkpoint
		path []*types.Block
	)
	for i := range k.checkpoints {
		cp := &k.checkpoints[i]
		if best != nil && cp.number <= best.number {
			continue
		}
		if p, ok := k.pathFrom(*cp, parent); ok {
			best, path = cp, p
		}
	}
	if best == nil {
		return nil, errStateUnavailable
	}
	for _, b := range path {
		if !k.chain.hasBody(b) { // bodies stay above the lowest checkpoint: a defence only
			return nil, errStateUnavailable
		}
	}
	st, err := state.New(best.root, k.sdb)
	if err != nil {
		return nil, fmt.Errorf("open checkpoint state %x at #%d: %w", best.root, best.number, err)
	}
	if len(path) == 0 {
		k.live, k.liveHash = st, parent.Hash()
		return st, nil
	}
	for _, b := range path {
		if err := k.replay(ctx, b, st); err != nil {
			return nil, fmt.Errorf("replay standing block #%d %x: %w", b.NumberU64(), b.Hash(), err)
		}
	}
	if err := k.commit(parent, st); err != nil {
		return nil, err
	}
	return k.live, nil
}

// pathFrom returns the standing blocks after cp up to and including to, in
// order, when cp is an ancestor of (or is) to.
func (k *stateKeeper) pathFrom(cp checkpoint, to *types.Block) ([]*types.Block, bool) {
	if to.NumberU64() < cp.number {
		return nil, false
	}
	path := make([]*types.Block, 0, to.NumberU64()-cp.number)
	for cur := to; ; {
		if cur.NumberU64() == cp.number {
			if cur.Hash() != cp.hash {
				return nil, false
			}
			break
		}
		path = append(path, cur)
		if cur = k.chain.block(cur.ParentHash()); cur == nil {
			return nil, false
		}
	}
	for i, j := 0, len(path)-1; i < j; i, j = i+1, j-1 {
		path[i], path[j] = path[j], path[i]
	}
	return path, true
}

// commit writes st (b's post-state) to the trie database as a checkpoint,
// releases the lowest checkpoint beyond maxCheckpoints (the one a fork is
// least likely to need; a fork's checkpoint may be newer but lower than
// others) and reopens the live state on the committed root (a committed
// StateDB is no longer usable). Bodies stay for every block above the
// lowest kept checkpoint, which a replay may need.
func (k *stateKeeper) commit(b *types.Block, st *state.StateDB) error {
	h := b.Header()
	rules := k.chain.config.Rules(h.Number, h.Difficulty.Sign() == 0, h.Time)
	root, err := st.Commit(rules, h.Number.Uint64())
	if err != nil {
		return fmt.Errorf("commit state of #%d: %w", h.Number, err)
	}
	if root != h.Root {
		return fmt.Errorf("committed state root %x of #%d differs from the verified %x", root, h.Number, h.Root)
	}
	if err := k.triedb.Reference(root, common.Hash{}); err != nil {
		return fmt.Errorf("reference state of #%d: %w", h.Number, err)
	}
	k.checkpoints = append(k.checkpoints, checkpoint{hash: b.Hash(), number: h.Number.Uint64(), root: root})
	if len(k.checkpoints) > maxCheckpoints {
		lowest := 0
		for i, cp := range k.checkpoints {
			if cp.number < k.checkpoints[lowest].number {
				lowest = i
			}
		}
		if err := k.triedb.Dereference(k.checkpoints[lowest].root); err != nil {
			return fmt.Errorf("release state of #%d: %w", k.checkpoints[lowest].number, err)
		}
		k.checkpoints = slices.Delete(k.checkpoints, lowest, lowest+1)
	}
	low := k.checkpoints[0].number
	for _, cp := range k.checkpoints {
		low = min(low, cp.number)
	}
	k.chain.stripBodiesBelow(low)
	live, err := state.New(root, k.sdb)
	if err != nil {
		return fmt.Errorf("reopen state of #%d: %w", h.Number, err)
	}
	k.live, k.liveHash, k.sinceCheckpoint = live, b.Hash(), 0
	return nil
}
