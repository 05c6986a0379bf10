package verifier

import (
	"context"
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/rlp"

	"github.com/receiptd/receiptd/indexer"
	"github.com/receiptd/receiptd/protocol"
)

// IndexStore is the follower's Index over package indexer.
type IndexStore struct {
	idx *indexer.Index
	// retention bounds the search for a checkpoint, in blocks.
	retention uint64
}

var _ Index = (*IndexStore)(nil)

// NewIndexStore wraps an open index.
func NewIndexStore(idx *indexer.Index) *IndexStore {
	return &IndexStore{idx: idx, retention: uint64(idx.Options().UndoRetention)}
}

func (s *IndexStore) read(fn func(r *indexer.Reader) error) error {
	r, err := s.idx.Reader()
	if err != nil {
		return err
	}
	defer r.Close()
	return fn(r)
}

func (s *IndexStore) Progress(context.Context) (uint64, common.Hash, bool, error) {
	p, ok, err := s.idx.Progress()
	if err != nil || !ok {
		return 0, common.Hash{}, false, err
	}
	return p.Number, p.Hash, true, nil
}

func (s *IndexStore) CanonicalHash(_ context.Context, n uint64) (h common.Hash, err error) {
	err = s.read(func(r *indexer.Reader) error { h, err = r.CanonicalHash(n); return err })
	return h, err
}

func (s *IndexStore) Checkpoint(_ context.Context, atOrBelow uint64) (uint64, []byte, error) {
	var (
		at   uint64
		blob []byte
	)
	err := s.read(func(r *indexer.Reader) error {
		for m := atOrBelow; m > 0 && atOrBelow-m <= s.retention; m-- {
			b, err := r.Checkpoint(m)
			if errors.Is(err, indexer.ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			at, blob = m, b
			return nil
		}
		return nil
	})
	return at, blob, err
}

func (s *IndexStore) ConsensusBlock(_ context.Context, n uint64) (*protocol.Block, error) {
	var b *protocol.Block
	err := s.read(func(r *indexer.Reader) error {
		rec, err := r.ConsensusBlock(n)
		if err != nil {
			return err
		}
		if b, err = protocol.DecodeBlock(rec.Raw); err != nil {
			return fmt.Errorf("%w: stored block %d: %w", ErrCorruptIndex, n, err)
		}
		return nil
	})
	return b, err
}

// ConsensusBlockByHash serves the proof verifier's block lookups.
func (s *IndexStore) ConsensusBlockByHash(h common.Hash) (*protocol.Block, error) {
	var b *protocol.Block
	err := s.read(func(r *indexer.Reader) error {
		rec, err := r.ConsensusBlockByHash(h)
		if err != nil {
			return err
		}
		if b, err = protocol.DecodeBlock(rec.Raw); err != nil {
			return fmt.Errorf("%w: stored block %s: %w", ErrCorruptIndex, h, err)
		}
		return nil
	})
	return b, err
}

func (s *IndexStore) DomainBlock(_ context.Context, d protocol.DomainID, n uint64) (*types.Header, uint64, error) {
	var (
		h    = new(types.Header)
		cnum uint64
	)
	err := s.read(func(r *indexer.Reader) error {
		rec, err := r.DomainBlock(d, n)
		if err != nil {
			return err
		}
		if err := rlp.DecodeBytes(rec.Header, h); err != nil {
			return fmt.Errorf("%w: domain %d header %d: %w", ErrCorruptIndex, d, n, err)
		}
		cnum = rec.ConsensusNumber
		return nil
	})
	return h, cnum, err
}

func (s *IndexStore) Rollback(ctx context.Context, to uint64) error { return s.idx.Rollback(ctx, to) }

// Commit writes the update's records in one batch.
func (s *IndexStore) Commit(ctx context.Context, u *BlockUpdate) error {
	return s.idx.Commit(ctx, u.Number, u.Hash, func(w *indexer.Writer) error {
		cr, err := consensusRecord(u)
		if err != nil {
			return err
		}
		if err := w.PutConsensusBlock(cr); err != nil {
			return err
		}
		for _, br := range bundleRecords(u) {
			if err := w.PutBundle(br); err != nil {
				return err
			}
		}
		for i := range u.Domains {
			rec, txs, err := domainRecords(u, &u.Domains[i])
			if err != nil {
				return err
			}
			if err := w.PutDomainBlock(rec); err != nil {
				return err
			}
			for _, t := range txs {
				if err := w.PutTx(t); err != nil {
					return err
				}
			}
		}
		if u.Number == 0 {
			if err := writeGenesisReceipts(w, u); err != nil {
				return err
			}
		}
		if err := writeReceipts(w, u); err != nil {
			return err
		}
		if err := writeOperators(w, u); err != nil {
			return err
		}
		if err := writeChallenges(w, u); err != nil {
			return err
		}
		for _, p := range u.Progress {
			if err := w.SetDomainProgress(&indexer.DomainProgress{
				Domain: p.Domain, VerifiedHeight: p.VerifiedHeight, HeadHash: p.HeadHash, StateRoot: p.StateRoot,
				FlushedRoot: p.FlushedRoot, FlushedNumber: p.FlushedNumber,
			}); err != nil {
				return err
			}
		}
		if u.Checkpoint != nil {
			return w.PutCheckpoint(u.Checkpoint)
		}
		return nil
	})
}

func indexVerdict(v Verdict) indexer.Verdict {
	return indexer.Verdict{Valid: v.Valid, Field: v.Field, Expected: v.Expected, Claimed: v.Claimed, DescendsFromBad: v.DescendsFromBad}
}

// writeReceipts applies the block's receipt events: new receipts with their
// verdicts, new backers, confirmations and prunings.
func writeReceipts(w *indexer.Writer, u *BlockUpdate) error {
	carried := map[common.Hash]*CarriedReceipt{}
	for i := range u.Receipts {
		carried[u.Receipts[i].Hash] = &u.Receipts[i]
	}
	for _, ev := range u.Events {
		var err error
		switch ev.Kind {
		case protocol.EventReceiptAdded:
			c := carried[ev.Receipt]
			if c == nil {
				return fmt.Errorf("verifier: block %d adds receipt %s it does not carry", u.Number, ev.Receipt)
			}
			if _, gerr := w.Receipt(ev.Receipt); gerr == nil {
				err = w.UpdateReceipt(ev.Receipt, func(r *indexer.ReceiptRecord) error {
					r.Status, r.Backers = protocol.ReceiptPending, append(r.Backers, ev.Operator)
					return nil
				})
			} else if errors.Is(gerr, indexer.ErrNotFound) {
				err = w.PutReceipt(&indexer.ReceiptRecord{
					Hash: ev.Receipt, Domain: ev.Domain, Number: ev.Number, Receipt: *c.Receipt,
					Verdict: indexVerdict(c.Verdict), Status: protocol.ReceiptPending, Backers: []protocol.OperatorID{ev.Operator},
				})
			} else {
				err = gerr
			}
		case protocol.EventReceiptBacked:
			err = w.UpdateReceipt(ev.Receipt, func(r *indexer.ReceiptRecord) error {
				r.Backers = append(r.Backers, ev.Operator)
				return nil
			})
		case protocol.EventReceiptConfirmed:
			err = w.UpdateReceipt(ev.Receipt, func(r *indexer.ReceiptRecord) error {
				r.Status, r.ConfirmedBad = protocol.ReceiptConfirmed, !r.Verdict.Valid && !r.Verdict.DescendsFromBad
				return nil
			})
		case protocol.EventReceiptPruned:
			err = w.UpdateReceipt(ev.Receipt, func(r *indexer.ReceiptRecord) error {
				r.Status = protocol.ReceiptPruned
				return nil
			})
		}
		if err != nil {
			return fmt.Errorf("verifier: block %d: %s %s: %w", u.Number, ev.Kind, ev.Receipt, err)
		}
	}
	return nil
}

// writeGenesisReceipts stores every domain's ER 0, confirmed from the
// start (DESIGN.md §1.6).
func writeGenesisReceipts(w *indexer.Writer, u *BlockUpdate) error {
	for _, id := range u.State.DomainIDs() {
		ds, _ := u.State.Domain(id)
		e := ds.Tree.HeadEntry()
		err := w.PutReceipt(&indexer.ReceiptRecord{Hash: e.Hash, Domain: id, Receipt: *e.Receipt,
			Verdict: indexer.Verdict{Valid: true}, Status: protocol.ReceiptConfirmed})
		if err != nil {
			return err
		}
	}
	return nil
}

// writeOperators stores every operator's standing after the block with the
// figures the block adds.
func writeOperators(w *indexer.Writer, u *BlockUpdate) error {
	deltas := operatorDeltas(u)
	for _, op := range u.State.Operators() {
		if _, err := w.Operator(op.ID); errors.Is(err, indexer.ErrNotFound) {
			if err := w.PutOperator(&indexer.OperatorRecord{Operator: op}); err != nil {
				return err
			}
		} else if err != nil {
			return err
		}
		d := deltas[op.ID]
		err := w.UpdateOperator(op.ID, func(r *indexer.OperatorRecord) error {
			r.Operator = op
			if d != nil {
				r.ElectionsWon += d.bundles
				r.Bundles += d.bundles
				r.ReceiptsBacked += d.backed
				r.Faults += d.faults
				r.Slashes += d.slashes
				r.Fees.Add(&r.Fees, &d.fees)
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// writeChallenges records challenge changes: a new challenge with its
// proof and the bad receipt's backers, or a status change.
func writeChallenges(w *indexer.Writer, u *BlockUpdate) error {
	for _, c := range u.Challenges {
		_, err := w.Challenge(c.ID)
		switch {
		case errors.Is(err, indexer.ErrNotFound):
			rec := &indexer.ChallengeRecord{ID: c.ID, Kind: c.Kind, Domain: c.Domain, BadReceipt: c.BadReceipt,
				Status: c.Status, ProofSize: uint64(len(c.Proof)), Proof: c.Proof}
			if c.Reason != "" {
				rec.Timeline = []indexer.ChallengeChange{{Status: c.Status, ConsensusNumber: u.Number, Reason: c.Reason}}
			}
			if r, err := w.Receipt(c.BadReceipt); err == nil {
				rec.Operators = r.Backers
				if err := w.UpdateReceipt(c.BadReceipt, func(r *indexer.ReceiptRecord) error {
					r.ChallengeID = c.ID
					return nil
				}); err != nil {
					return err
				}
			}
			if err := w.PutChallenge(rec); err != nil {
				return err
			}
		case err != nil:
			return err
		default:
			err := w.UpdateChallenge(c.ID, func(r *indexer.ChallengeRecord) error {
				if !r.Status.CanBecome(c.Status) {
					return nil // e.g. a late "submitted" after the chain accepted it
				}
				if r.Status != c.Status {
					r.Timeline = append(r.Timeline, indexer.ChallengeChange{Status: c.Status, ConsensusNumber: u.Number, Reason: c.Reason})
				}
				r.Status = c.Status
				return nil
			})
			if err != nil {
				return err
			}
		}
	}
	return nil
}
