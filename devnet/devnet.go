package devnet

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/rlp"

	"github.com/receiptd/receiptd/protocol"
)

// Errors the devnet's API returns.
var (
	ErrNoVerifier      = errors.New("devnet: no fraud-proof verifier configured")
	ErrUnknownBlock    = errors.New("devnet: unknown block")
	ErrSlowSubscriber  = errors.New("devnet: subscriber fell too far behind")
	ErrProofNotQueued  = errors.New("devnet: fraud proof rejected")
	ErrDevnetStopped   = errors.New("devnet: stopped")
	errNoCanonicalNode = errors.New("devnet: no canonical block at that number")
)

// ProofState is what became of a submitted fraud proof.
type ProofState uint8

const (
	ProofQueued ProofState = iota + 1
	ProofIncluded
	ProofRejected
)

func (s ProofState) String() string {
	switch s {
	case ProofQueued:
		return "queued"
	case ProofIncluded:
		return "included"
	case ProofRejected:
		return "rejected"
	}
	return fmt.Sprintf("ProofState(%d)", uint8(s))
}

// ProofStatus is a submitted proof's state and, if rejected, why.
type ProofStatus struct {
	State  ProofState
	Reason string
}

// Devnet is a running devnet. One goroutine drives it (Run, or the caller
// of Step); every other method may be called from any goroutine.
type Devnet struct {
	cfg       Config
	net       *builtNetwork
	domains   map[protocol.DomainID]*domainRuntime
	operators map[protocol.DomainID][]*operator
	rng       *rand.Rand

	// Owned by the driving goroutine, except that BlockByHash reads nodes
	// from any goroutine: the driver changes nodes only under mu.Lock (and
	// reads it without).
	nodes map[common.Hash]*node
	slot  uint64
	stats Stats

	mu struct {
		sync.RWMutex
		head      *node
		canonical []*node // by number
		subs      []*subscription
		proofs    []*protocol.FraudProof
		proofLog  map[common.Hash]ProofStatus
		logOrder  []common.Hash // proofLog's keys, oldest first (see maxProofLog)
		stopped   bool
	}
}

// New builds the devnet's genesis from cfg.
func New(cfg Config) (*Devnet, error) {
	cfg.EnsureDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	net, err := buildNetwork(&cfg)
	if err != nil {
		return nil, err
	}
	genesisState, err := protocol.Genesis(net.Spec)
	if err != nil {
		return nil, fmt.Errorf("devnet: %w", err)
	}
	d := &Devnet{
		cfg: cfg, net: net,
		domains:   map[protocol.DomainID]*domainRuntime{},
		operators: map[protocol.DomainID][]*operator{},
		rng:       rand.New(rand.NewPCG(uint64(cfg.Seed), 0x7265636569707464)),
		nodes:     map[common.Hash]*node{},
		stats:     newStats(),
	}
	d.mu.proofLog = map[common.Hash]ProofStatus{}
	root := &node{
		num:     0,
		block:   &protocol.Block{Header: genesisState.Header},
		hash:    genesisState.Hash,
		state:   genesisState,
		domains: map[protocol.DomainID]*domainFork{},
	}
	for di, dc := range net.Spec.Domains {
		rt, gblock, err := newDomainRuntime(dc.ID, net.Geneses[dc.ID], newMempool(net.generators[dc.ID]), cfg.StateDir)
		if err != nil {
			return nil, fmt.Errorf("devnet: domain %d: %w", dc.ID, err)
		}
		d.domains[dc.ID] = rt
		ds, _ := genesisState.Domain(dc.ID)
		root.domains[dc.ID] = &domainFork{head: gblock.Header(), honest: map[uint64]*protocol.ExecutionReceipt{0: ds.Tree.HeadEntry().Receipt}}
		for i := range cfg.OperatorsPerDomain {
			id := operatorID(di, i, cfg.OperatorsPerDomain)
			op := &operator{id: id, domain: dc.ID, key: net.keys[id]}
			if rates, ok := cfg.Faults[OperatorRef{Domain: di, Index: i}]; ok && len(rates) > 0 {
				op.faults = rates
			}
			d.operators[dc.ID] = append(d.operators[dc.ID], op)
		}
	}
	d.nodes[root.hash] = root
	d.mu.head = root
	d.mu.canonical = []*node{root}
	return d, nil
}

// Network returns the chain spec and domain geneses.
func (d *Devnet) Network() Network { return d.net.Network }

// Step produces the next slot: one block on the canonical head, or a
// branch that overtakes it. It returns the new head event.
func (d *Devnet) Step(ctx context.Context) (HeadEvent, error) {
	d.mu.RLock()
	head := d.mu.head
	d.mu.RUnlock()
	d.slot++
	for id, rt := range d.domains {
		rt.pool.fill(d.cfg.TxPerBlock, nextBaseFee(rt, head.domains[id].head))
	}

	depth := 0
	if d.cfg.ForkProbability > 0 && d.rng.Float64() < d.cfg.ForkProbability {
		depth = 1 + d.rng.IntN(d.cfg.MaxReorgDepth)
		// The branch needs depth+1 fresh slots after its ancestor's.
		for depth > 0 && (int(head.number()) < depth || d.slot-uint64(depth) <= head.ancestor(depth).block.Header.Slot) {
			depth--
		}
	}
	parent := head.ancestor(depth)
	var added []*node
	for i := depth; i >= 0; i-- {
		n, err := d.produce(ctx, parent, d.slot-uint64(i), d.rng)
		if err != nil {
			return HeadEvent{}, err
		}
		added = append(added, n)
		parent = n
	}
	ev := d.setHead(head, added, depth)
	if err := d.gc(); err != nil {
		return HeadEvent{}, err
	}
	return ev, ctx.Err()
}

// setHead makes the last added node the canonical head and notifies
// subscribers.
func (d *Devnet) setHead(old *node, added []*node, depth int) HeadEvent {
	newHead := added[len(added)-1]
	ev := HeadEvent{Block: newHead.block}
	d.mu.Lock()
	defer d.mu.Unlock()
	if depth > 0 {
		r := &Reorg{Ancestor: added[0].block.Header.ParentHash, Depth: depth}
		for n := old; n.hash != r.Ancestor; n = n.parent {
			r.Dropped = append(r.Dropped, n.hash)
		}
		for _, n := range added {
			r.Added = append(r.Added, n.block)
		}
		ev.Reorg = r
		d.stats.Reorgs++
		d.stats.MaxReorgDepth = max(d.stats.MaxReorgDepth, depth)
		d.cfg.Logger.Info("devnet reorg", "depth", depth, "head", newHead.number(), "hash", newHead.hash)
	}
	keep := int(added[0].number())
	d.mu.canonical = append(d.mu.canonical[:keep], added...)
	d.mu.head = newHead
	live := d.mu.subs[:0]
	for _, s := range d.mu.subs {
		if s.closed {
			continue
		}
		select {
		case s.ch <- ev:
			live = append(live, s)
		default:
			s.closed, s.err = true, ErrSlowSubscriber
			close(s.ch)
		}
	}
	d.mu.subs = live
	return ev
}

// gc forgets fork nodes that can no longer become canonical, prunes the
// mempools below the final state, and releases unneeded domain states.
func (d *Devnet) gc() error {
	d.mu.RLock()
	head := d.mu.head
	d.mu.RUnlock()
	final := head.ancestor(d.cfg.MaxReorgDepth + 1)
	d.mu.Lock()
	for h, n := range d.nodes {
		if n.number() < final.number() && h != final.hash {
			n.parent = nil // canonical history stays reachable through d.mu.canonical
			delete(d.nodes, h)
		}
	}
	d.mu.Unlock()
	d.trimHistory(final.number())
	for id, rt := range d.domains {
		live := map[common.Hash]bool{}
		for _, n := range d.nodes {
			live[n.domains[id].head.Root] = true
		}
		nonceAt, err := rt.nonceReader(final.domains[id].head.Root)
		if err != nil {
			return err
		}
		rt.pool.prune(nonceAt)
		if err := rt.release(live); err != nil {
			return err
		}
		if err := rt.flushFinal(final.domains[id].head, d.cfg.StateDir != ""); err != nil {
			return err
		}
	}
	return nil
}

// trimHistory drops what final canonical blocks below number no longer
// need: their consensus state and domain views, and (without KeepHistory)
// their domain blocks. Blocks stay, encoded, for BlockByNumber: the devnet
// keeps its whole chain in memory, as a development network may; about
// 11 KB a block at the default workload (measured over 300 slots).
func (d *Devnet) trimHistory(number uint64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for i := int(number) - 1; i >= 0 && i < len(d.mu.canonical); i-- {
		n := d.mu.canonical[i]
		if n.state == nil {
			return // trimmed by an earlier call, and everything below it
		}
		n.state = nil
		// A final block is read rarely (followers catching up): keep it
		// encoded, a fraction of its decoded size.
		if raw, err := rlp.EncodeToBytes(n.block); err == nil {
			n.raw, n.block = raw, nil
		}
		kept := map[protocol.DomainID]*domainFork{}
		for id, f := range n.domains {
			if d.cfg.KeepHistory && f.derived != nil {
				kept[id] = &domainFork{derived: f.derived}
			}
		}
		n.domains = kept
	}
}

// Run produces a slot every BlockTime (back to back in fast mode) until
// ctx ends or a step fails.
func (d *Devnet) Run(ctx context.Context) error {
	defer d.stop()
	var tick <-chan time.Time
	if d.cfg.BlockTime > 0 {
		t := time.NewTicker(d.cfg.BlockTime)
		defer t.Stop()
		tick = t.C
	}
	for {
		if tick != nil {
			select {
			case <-ctx.Done():
				return nil
			case <-tick:
			}
		} else if ctx.Err() != nil {
			return nil
		}
		if _, err := d.Step(ctx); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
	}
}

// Close releases the domain state databases. Call it once the devnet is
// no longer driven.
func (d *Devnet) Close() error {
	var errs []error
	for _, rt := range d.domains {
		errs = append(errs, rt.close())
	}
	return errors.Join(errs...)
}

func (d *Devnet) stop() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.mu.stopped = true
	for _, s := range d.mu.subs {
		if !s.closed {
			s.closed, s.err = true, ErrDevnetStopped
			close(s.ch)
		}
	}
	d.mu.subs = nil
}

// Subscribe returns a channel of head events from now on. The channel
// closes when the devnet stops or the subscriber falls behind; err then
// says which. cancel unsubscribes.
func (d *Devnet) Subscribe() (events <-chan HeadEvent, err func() error, cancel func()) {
	s := &subscription{ch: make(chan HeadEvent, subscriptionBuffer)}
	d.mu.Lock()
	if d.mu.stopped {
		s.closed, s.err = true, ErrDevnetStopped
		close(s.ch)
	} else {
		d.mu.subs = append(d.mu.subs, s)
	}
	d.mu.Unlock()
	err = func() error {
		d.mu.RLock()
		defer d.mu.RUnlock()
		return s.err
	}
	cancel = func() {
		d.mu.Lock()
		defer d.mu.Unlock()
		if !s.closed {
			s.closed = true
			close(s.ch)
		}
	}
	return s.ch, err, cancel
}

// Head returns the canonical head block.
func (d *Devnet) Head() *protocol.Block {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.mu.head.block
}

// HeadState returns the consensus state after the canonical head.
func (d *Devnet) HeadState() *protocol.State {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.mu.head.state
}

// BlockByNumber returns the canonical block at number n.
func (d *Devnet) BlockByNumber(n uint64) (*protocol.Block, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if n >= uint64(len(d.mu.canonical)) {
		return nil, fmt.Errorf("%w: %d (head %d)", errNoCanonicalNode, n, d.mu.head.number())
	}
	return d.mu.canonical[n].getBlock()
}

// BlockByHash returns a block by hash: canonical, or a recent fork block.
func (d *Devnet) BlockByHash(h common.Hash) (*protocol.Block, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if n, ok := d.nodes[h]; ok {
		return n.block, nil
	}
	// Older canonical blocks are only in the canonical index.
	for i := len(d.mu.canonical) - 1; i >= 0; i-- {
		if d.mu.canonical[i].hash == h {
			return d.mu.canonical[i].getBlock()
		}
	}
	return nil, fmt.Errorf("%w: %s", ErrUnknownBlock, h)
}

// DomainChain returns the honest domain blocks the canonical chain derived
// for a domain, oldest first (genesis excluded). Without Config.KeepHistory
// only the blocks that are not final yet remain.
func (d *Devnet) DomainChain(id protocol.DomainID) []*types.Block {
	d.mu.RLock()
	defer d.mu.RUnlock()
	var out []*types.Block
	for _, n := range d.mu.canonical {
		if f := n.domains[id]; f != nil && f.derived != nil {
			out = append(out, f.derived)
		}
	}
	return out
}

// HonestReceipt returns the honest receipt for domain block n on the
// canonical chain, if still pending there.
func (d *Devnet) HonestReceipt(id protocol.DomainID, n uint64) (*protocol.ExecutionReceipt, bool) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	r, ok := d.mu.head.domains[id].honest[n]
	return r, ok
}

// Stats returns a copy of the devnet's counters. Call it from the driving
// goroutine, or after Run returned.
func (d *Devnet) Stats() Stats { return d.stats }

// SubmitFraudProof checks a proof against the canonical head state and
// queues it for the next block.
func (d *Devnet) SubmitFraudProof(p *protocol.FraudProof) error {
	if d.cfg.Verifier == nil {
		return ErrNoVerifier
	}
	st := d.HeadState()
	if err := st.NewBuilder(protocol.Header{}, d.cfg.Verifier).AddProof(p); err != nil {
		d.recordProof(p.Hash(), ProofRejected, err)
		return fmt.Errorf("%w: %w", ErrProofNotQueued, err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.mu.proofs) >= maxQueuedProofs {
		return fmt.Errorf("%w: %d proofs already wait for the next block", ErrProofNotQueued, len(d.mu.proofs))
	}
	d.mu.proofs = append(d.mu.proofs, p)
	d.logProofLocked(p.Hash(), ProofStatus{State: ProofQueued})
	return nil
}

// Bounds on what clients of a devnet node can make it keep.
const (
	// maxQueuedProofs bounds the proofs waiting for the next block.
	maxQueuedProofs = 4 * protocol.MaxProofsPerBlock
	// maxProofLog bounds the proof statuses ProofStatus answers; the
	// oldest are forgotten first.
	maxProofLog = 1 << 14
)

// logProofLocked records a proof's status, forgetting the oldest past
// maxProofLog. d.mu is held.
func (d *Devnet) logProofLocked(h common.Hash, st ProofStatus) {
	if _, known := d.mu.proofLog[h]; !known {
		d.mu.logOrder = append(d.mu.logOrder, h)
		if len(d.mu.logOrder) > maxProofLog {
			delete(d.mu.proofLog, d.mu.logOrder[0])
			d.mu.logOrder = d.mu.logOrder[1:]
		}
	}
	d.mu.proofLog[h] = st
}

// ProofStatus reports what became of a submitted proof.
func (d *Devnet) ProofStatus(h common.Hash) (ProofStatus, bool) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	s, ok := d.mu.proofLog[h]
	return s, ok
}

func (d *Devnet) takeProofs() []*protocol.FraudProof {
	d.mu.Lock()
	defer d.mu.Unlock()
	ps := d.mu.proofs
	d.mu.proofs = nil
	return ps
}

func (d *Devnet) recordProof(h common.Hash, s ProofState, err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	st := ProofStatus{State: s}
	if err != nil {
		st.Reason = err.Error()
	}
	d.logProofLocked(h, st)
}
