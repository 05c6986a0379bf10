package indexer

import (
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"

	"github.com/receiptd/receiptd/indexer/internal/kv"
	"github.com/receiptd/receiptd/protocol"
)

// getter is a point read: a Reader's snapshot or a Writer's pending block.
// It returns kv.ErrNotFound for an absent key.
type getter interface {
	get(key []byte) ([]byte, error)
}

// view holds the point lookups that Reader and Writer share.
type view struct{ g getter }

func load[T any, P interface {
	*T
	record
}](g getter, key []byte, what string, id any) (*T, error) {
	b, err := g.get(key)
	if errors.Is(err, kv.ErrNotFound) {
		return nil, fmt.Errorf("%w: %s %v", ErrNotFound, what, id)
	}
	if err != nil {
		return nil, fmt.Errorf("indexer: read %s %v: %w", what, id, err)
	}
	return decodeCached[T, P](g, key, b)
}

// Progress is the newest committed consensus block; ok is false for an
// empty index.
func (v view) Progress() (p Progress, ok bool, err error) {
	r, err := load[Progress](v.g, keyProgress, "progress", "")
	if errors.Is(err, ErrNotFound) {
		return Progress{}, false, nil
	}
	if err != nil {
		return Progress{}, false, err
	}
	return *r, true, nil
}

// CanonicalHash is the hash of the committed consensus block n.
func (v view) CanonicalHash(n uint64) (common.Hash, error) {
	key := canonicalKey(n)
	b, err := v.g.get(key)
	if errors.Is(err, kv.ErrNotFound) {
		return common.Hash{}, fmt.Errorf("%w: consensus block %d", ErrNotFound, n)
	}
	if err != nil {
		return common.Hash{}, fmt.Errorf("indexer: read canonical hash %d: %w", n, err)
	}
	if len(b) != common.HashLength {
		return common.Hash{}, corrupt(key, "canonical hash of %d bytes", len(b))
	}
	return common.Hash(b), nil
}

// ConsensusBlock is the committed consensus block n.
func (v view) ConsensusBlock(n uint64) (*ConsensusBlockRecord, error) {
	return load[ConsensusBlockRecord](v.g, consensusKey(n), "consensus block", n)
}

// ConsensusBlockByHash is the committed consensus block with that hash.
func (v view) ConsensusBlockByHash(h common.Hash) (*ConsensusBlockRecord, error) {
	key := newKey(pConsHash, "").hash(h)
	b, err := v.pointer(key, 8, "consensus block", h)
	if err != nil {
		return nil, err
	}
	return v.ConsensusBlock(be64(b))
}

// Bundle is the bundle with that hash.
func (v view) Bundle(h common.Hash) (*BundleRecord, error) {
	return load[BundleRecord](v.g, bundleKey(h), "bundle", h)
}

// Receipt is the ER with that hash.
func (v view) Receipt(h common.Hash) (*ReceiptRecord, error) {
	return load[ReceiptRecord](v.g, receiptKey(h), "receipt", h)
}

// DomainBlock is block n of domain d.
func (v view) DomainBlock(d protocol.DomainID, n uint64) (*DomainBlockRecord, error) {
	return load[DomainBlockRecord](v.g, domainBlockKey(d, n), "domain block", fmt.Sprintf("%d/%d", d, n))
}

// DomainBlockByHash is the domain block with that hash.
func (v view) DomainBlockByHash(h common.Hash) (*DomainBlockRecord, error) {
	key := newKey(pDomHash, "").hash(h)
	b, err := v.pointer(key, 12, "domain block", h)
	if err != nil {
		return nil, err
	}
	return v.DomainBlock(protocol.DomainID(be32(b)), be64(b[4:]))
}

// Operator is the operator with that id.
func (v view) Operator(id protocol.OperatorID) (*OperatorRecord, error) {
	return load[OperatorRecord](v.g, operatorKey(id), "operator", id)
}

// Challenge is the challenge with that id (its proof hash).
func (v view) Challenge(id common.Hash) (*ChallengeRecord, error) {
	return load[ChallengeRecord](v.g, challengeKey(id), "challenge", id)
}

// DomainProgress is how far domain d is verified.
func (v view) DomainProgress(d protocol.DomainID) (*DomainProgress, error) {
	return load[DomainProgress](v.g, domainProgressKey(d), "domain progress", d)
}

// Checkpoint is the verifier checkpoint stored with consensus block n.
func (v view) Checkpoint(n uint64) ([]byte, error) {
	b, err := v.g.get(checkpointKey(n))
	if errors.Is(err, kv.ErrNotFound) {
		return nil, fmt.Errorf("%w: checkpoint %d", ErrNotFound, n)
	}
	if err != nil {
		return nil, fmt.Errorf("indexer: read checkpoint %d: %w", n, err)
	}
	return b, nil
}

// pointer reads a secondary key whose value is a fixed-size reference.
func (v view) pointer(key []byte, size int, what string, id any) ([]byte, error) {
	b, err := v.g.get(key)
	if errors.Is(err, kv.ErrNotFound) {
		return nil, fmt.Errorf("%w: %s %v", ErrNotFound, what, id)
	}
	if err != nil {
		return nil, fmt.Errorf("indexer: read %s %v: %w", what, id, err)
	}
	if len(b) != size {
		return nil, corrupt(key, "reference of %d bytes, want %d", len(b), size)
	}
	return b, nil
}

func isNotFound(err error) bool { return errors.Is(err, kv.ErrNotFound) }
