package proof

import (
	"bytes"
	"fmt"
	"slices"
	"sync/atomic"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/rawdb"
	"github.com/ethereum/go-ethereum/core/state"
	"github.com/ethereum/go-ethereum/core/stateless"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethdb"
	"github.com/ethereum/go-ethereum/triedb"

	"github.com/receiptd/receiptd/protocol"
)

// usage records which of n items a stateless run read. Storage tries are
// hashed on several goroutines, so the flags are atomic.
type usage struct {
	keys map[string]int // lookup key → item number
	used []atomic.Bool
}

func newUsage(n int) *usage {
	return &usage{keys: make(map[string]int, n), used: make([]atomic.Bool, n)}
}

func (u *usage) mark(key []byte) {
	if i, ok := u.keys[string(key)]; ok {
		u.used[i].Store(true)
	}
}

// firstUnused returns the lowest item number never read, or −1.
func (u *usage) firstUnused() int {
	for i := range u.used {
		if !u.used[i].Load() {
			return i
		}
	}
	return -1
}

// recordingDB is a witness's hash database that marks the items read.
type recordingDB struct {
	ethdb.Database
	use *usage
}

func (d *recordingDB) Get(key []byte) ([]byte, error) {
	d.use.mark(key)
	return d.Database.Get(key)
}

func (d *recordingDB) Has(key []byte) (bool, error) {
	d.use.mark(key)
	return d.Database.Has(key)
}

// recordingHeaders serves a witness's headers by hash and marks those read.
type recordingHeaders struct {
	byHash map[common.Hash]int
	list   []*types.Header
	used   []atomic.Bool
}

func (h *recordingHeaders) GetHeader(hash common.Hash, number uint64) *types.Header {
	i, ok := h.byHash[hash]
	if !ok || h.list[i].Number.Uint64() != number {
		return nil
	}
	h.used[i].Store(true)
	return h.list[i]
}

// openWitness is a wire witness opened for one stateless run: State items
// are numbered first, then Codes.
type openWitness struct {
	wire    *protocol.Witness
	db      *recordingDB
	headers *recordingHeaders
}

// checkAscending reports a list that is not strictly ascending: the one
// order a set of byte strings may be encoded in.
func checkAscending(what string, items [][]byte) error {
	for i := 1; i < len(items); i++ {
		if bytes.Compare(items[i-1], items[i]) >= 0 {
			return fmt.Errorf("%w: %s %d is not above %s %d", ErrNonCanonical, what, i, what, i-1)
		}
	}
	return nil
}

// open checks w's canonical form and that its headers run from the block
// whose hash is parentHash back, each the parent of the one before, and
// loads it into a recording hash database.
func open(w *protocol.Witness, parentHash common.Hash) (*openWitness, error) {
	if err := checkAscending("trie node", w.State); err != nil {
		return nil, err
	}
	if err := checkAscending("code", w.Codes); err != nil {
		return nil, err
	}
	if len(w.Headers) == 0 {
		return nil, fmt.Errorf("%w: witness has no parent header", ErrAnchor)
	}
	hs := &recordingHeaders{byHash: make(map[common.Hash]int, len(w.Headers)), list: w.Headers, used: make([]atomic.Bool, len(w.Headers))}
	want := parentHash
	for i, h := range w.Headers {
		if h == nil || h.Number == nil {
			return nil, fmt.Errorf("%w: witness header %d is empty", ErrAnchor, i)
		}
		if hash := h.Hash(); hash != want {
			return nil, fmt.Errorf("%w: witness header %d hashes to %s, want %s", ErrAnchor, i, hash, want)
		}
		hs.byHash[want] = i
		want = h.ParentHash
	}
	hs.used[0].Store(true) // the anchor: the executed block's parent

	mem := rawdb.NewMemoryDatabase()
	use := newUsage(len(w.State) + len(w.Codes))
	for i, node := range w.State {
		hash := crypto.Keccak256Hash(node)
		rawdb.WriteLegacyTrieNode(mem, hash, node)
		use.keys[string(hash[:])] = i
	}
	for i, code := range w.Codes {
		hash := crypto.Keccak256Hash(code)
		rawdb.WriteCode(mem, hash, code)
		use.keys[string(append(slices.Clone(rawdb.CodePrefix), hash[:]...))] = len(w.State) + i
	}
	return &openWitness{wire: w, db: &recordingDB{Database: mem, use: use}, headers: hs}, nil
}

// parent is the executed block's parent header.
func (o *openWitness) parent() *types.Header { return o.wire.Headers[0] }

// state opens the state at root from the witness.
func (o *openWitness) state(root common.Hash) (*state.StateDB, error) {
	tdb := triedb.NewDatabase(o.db, triedb.HashDefaults)
	sdb, err := state.New(root, state.NewMPTDatabase(tdb, state.NewCodeDB(o.db)))
	if err != nil {
		return nil, fmt.Errorf("%w: pre-state %s: %v", ErrWitnessIncomplete, root, err)
	}
	return sdb, nil
}

// unused reports the first item of the witness the run did not read.
func (o *openWitness) unused() error {
	if i := o.db.use.firstUnused(); i >= 0 {
		if i < len(o.wire.State) {
			return fmt.Errorf("%w: trie node %d of %d (%s) never read", ErrWitnessUnused, i, len(o.wire.State), crypto.Keccak256Hash(o.wire.State[i]))
		}
		i -= len(o.wire.State)
		return fmt.Errorf("%w: code %d of %d (%s) never read", ErrWitnessUnused, i, len(o.wire.Codes), crypto.Keccak256Hash(o.wire.Codes[i]))
	}
	for i := range o.headers.used {
		if !o.headers.used[i].Load() {
			return fmt.Errorf("%w: header %d of %d (block %d) never read", ErrWitnessUnused, i, len(o.wire.Headers), o.wire.Headers[i].Number)
		}
	}
	return nil
}

// trimmed returns the witness with only the items the run read.
func (o *openWitness) trimmed() protocol.Witness {
	var out protocol.Witness
	for i, h := range o.wire.Headers {
		if o.headers.used[i].Load() {
			out.Headers = append(out.Headers, h)
		}
	}
	for i, node := range o.wire.State {
		if o.db.use.used[i].Load() {
			out.State = append(out.State, node)
		}
	}
	for i, code := range o.wire.Codes {
		if o.db.use.used[len(o.wire.State)+i].Load() {
			out.Codes = append(out.Codes, code)
		}
	}
	return out
}

// fromStateless converts a go-ethereum witness to the wire form, its codes
// and nodes sorted.
func fromStateless(w *stateless.Witness) protocol.Witness {
	out := protocol.Witness{Headers: slices.Clone(w.Headers)}
	for code := range w.Codes {
		out.Codes = append(out.Codes, []byte(code))
	}
	for node := range w.State {
		out.State = append(out.State, []byte(node))
	}
	slices.SortFunc(out.Codes, bytes.Compare)
	slices.SortFunc(out.State, bytes.Compare)
	return out
}

func emptyWitness(w *protocol.Witness) bool {
	return len(w.Headers) == 0 && len(w.Codes) == 0 && len(w.State) == 0
}

// proofDB serves the nodes of a Merkle proof by hash and records those read.
type proofDB struct {
	nodes map[common.Hash][]byte
	use   *usage
}

func newProofDB(what string, nodes [][]byte) (*proofDB, error) {
	if err := checkAscending(what, nodes); err != nil {
		return nil, err
	}
	db := &proofDB{nodes: make(map[common.Hash][]byte, len(nodes)), use: newUsage(len(nodes))}
	for i, n := range nodes {
		hash := crypto.Keccak256Hash(n)
		db.nodes[hash] = n
		db.use.keys[string(hash[:])] = i
	}
	return db, nil
}

func (d *proofDB) Has(key []byte) (bool, error) {
	_, ok := d.nodes[common.BytesToHash(key)]
	return ok && len(key) == common.HashLength, nil
}

func (d *proofDB) Get(key []byte) ([]byte, error) {
	if len(key) != common.HashLength {
		return nil, fmt.Errorf("proof node key of %d bytes", len(key))
	}
	n, ok := d.nodes[common.BytesToHash(key)]
	if !ok {
		return nil, fmt.Errorf("proof node %x missing", key)
	}
	d.use.mark(key)
	return n, nil
}

// unused reports the first node never read.
func (d *proofDB) unused(what string) error {
	if i := d.use.firstUnused(); i >= 0 {
		return fmt.Errorf("%w: %s node %d of %d never read", ErrWitnessUnused, what, i, len(d.use.used))
	}
	return nil
}
