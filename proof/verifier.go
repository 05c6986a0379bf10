package proof

import (
	"context"
	"errors"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/vm"

	"github.com/receiptd/receiptd/domain"
	"github.com/receiptd/receiptd/protocol"
)

// ConsensusBlocks gives the verifier the consensus blocks it reads: the one
// that derived the bad ER's domain block. It must be safe for concurrent
// use if the Verifier is shared.
type ConsensusBlocks interface {
	// ConsensusBlock returns the block with this hash, or an error.
	ConsensusBlock(hash common.Hash) (*protocol.Block, error)
}

// Config tunes a Verifier.
type Config struct {
	// Workers bounds the goroutines that recover transaction senders of a
	// consensus block. 0 means GOMAXPROCS.
	Workers int
}

// Verifier checks fraud proofs statelessly: against the consensus state,
// consensus blocks and what the proof carries. It is immutable and safe
// for concurrent use.
type Verifier struct {
	blocks  ConsensusBlocks
	workers int
}

var _ protocol.ProofVerifier = (*Verifier)(nil)

// NewVerifier returns a verifier reading consensus blocks from blocks.
func NewVerifier(blocks ConsensusBlocks, cfg Config) (*Verifier, error) {
	if blocks == nil {
		return nil, errors.New("proof: new verifier: nil consensus block source")
	}
	if cfg.Workers < 0 {
		return nil, fmt.Errorf("proof: new verifier: negative workers %d", cfg.Workers)
	}
	return &Verifier{blocks: blocks, workers: cfg.Workers}, nil
}

// VerifyFraudProof implements protocol.ProofVerifier.
func (v *Verifier) VerifyFraudProof(s *protocol.State, p *protocol.FraudProof) error {
	return v.Verify(context.Background(), s, p)
}

// Verify checks p against s, the consensus state the proof's block
// applies to. It returns nil if the proof shows the bad receipt wrong, and
// otherwise an error wrapping one of the package's sentinels that says why
// not.
func (v *Verifier) Verify(ctx context.Context, s *protocol.State, p *protocol.FraudProof) error {
	if s == nil || p == nil {
		return errors.New("proof: verify: nil state or proof")
	}
	kind := p.Kind()
	if kind == 0 {
		return fmt.Errorf("proof: verify: %w", protocol.ErrProofPayload)
	}
	t, err := v.resolve(s, p)
	if err != nil {
		return fmt.Errorf("proof: %s against %s: %w", kind, p.BadReceiptHash.TerminalString(), err)
	}
	if err := t.verify(ctx, p); err != nil {
		return fmt.Errorf("proof: %s against #%d %s: %w", kind, t.bad.DomainNumber, p.BadReceiptHash.TerminalString(), err)
	}
	return nil
}

// verify checks the payload of p against t.
func (t *target) verify(ctx context.Context, p *protocol.FraudProof) error {
	switch p.Kind() {
	case protocol.ProofStateTransition:
		return t.verifyStateTransition(ctx, p.StateTransition)
	case protocol.ProofExtrinsicsRoot:
		return t.verifyExtrinsicsRoot(ctx)
	case protocol.ProofBundleValidity:
		return t.verifyBundleValidity(ctx, p.BundleValidity)
	case protocol.ProofDomainBlockHash:
		return t.verifyDomainBlockHash(p.DomainBlockHash)
	case protocol.ProofExecutionResult:
		return t.verifyExecutionResult(ctx, p.ExecutionResult)
	}
	return protocol.ErrProofPayload
}

// resolve finds what p is checked against: the bad ER, pending in its
// domain's block tree, its parent ER, and the consensus block that derived
// its domain block.
func (v *Verifier) resolve(s *protocol.State, p *protocol.FraudProof) (*target, error) {
	d, ok := s.Domain(p.Domain)
	if !ok {
		return nil, fmt.Errorf("%w %d", ErrUnknownDomain, p.Domain)
	}
	entry, ok := d.Tree.Find(p.BadReceiptHash)
	if !ok {
		return nil, ErrUnknownReceipt
	}
	bad := entry.Receipt
	n := bad.DomainNumber
	if n <= d.Tree.Confirmed {
		return nil, fmt.Errorf("%w: #%d, confirmed up to #%d", ErrReceiptConfirmed, n, d.Tree.Confirmed)
	}
	parent, ok := d.Tree.At(n - 1)
	if !ok || parent.Hash != bad.ParentReceiptHash {
		return nil, fmt.Errorf("%w: the tree does not hold #%d's parent receipt %s", ErrConsensusData, n, bad.ParentReceiptHash.TerminalString())
	}
	if derived := d.Derived[n]; derived != nil && derived.ConsensusHash != bad.ConsensusHash {
		return nil, fmt.Errorf("%w: #%d was derived by consensus block %s, the receipt names %s", ErrConsensusData, n, derived.ConsensusHash, bad.ConsensusHash)
	}
	c, err := v.blocks.ConsensusBlock(bad.ConsensusHash)
	switch {
	case err != nil:
		return nil, fmt.Errorf("%w: consensus block %s: %v", ErrConsensusData, bad.ConsensusHash, err)
	case c == nil || c.Hash() != bad.ConsensusHash || c.Header.Number != bad.ConsensusNumber:
		return nil, fmt.Errorf("%w: the source returned another block for %d %s", ErrConsensusData, bad.ConsensusNumber, bad.ConsensusHash)
	}
	if err := c.CheckRoots(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrConsensusData, err)
	}
	cfg := domain.ChainConfig(new(big.Int).SetUint64(d.Config.ChainID))
	exec, err := domain.NewExecutor(cfg, vm.Config{})
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrConsensusData, err)
	}
	return &target{
		domain:     p.Domain,
		bad:        bad,
		parentHash: parent.Receipt.DomainHash,
		parentRoot: parent.Receipt.FinalStateRoot,
		consensus:  c,
		config:     cfg,
		gasLimit:   d.Config.GasLimit,
		exec:       exec,
		workers:    v.workers,
	}, nil
}
