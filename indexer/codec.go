package indexer

import (
	"fmt"

	"github.com/ethereum/go-ethereum/rlp"

	"github.com/receiptd/receiptd/protocol"
)

// recordVersion is the first byte of every stored record; the rest is the
// record's RLP list. A record of another version, trailing bytes or a
// non-canonical integer is ErrCorrupt.
const recordVersion = 1

// record is what the Writer stores: check reports a field no valid record
// has (a zero enum), which is ErrInvalidRecord on write and ErrCorrupt on
// read.
type record interface {
	check() error
}

func encodeRecord(v record) ([]byte, error) {
	if err := v.check(); err != nil {
		return nil, fmt.Errorf("%w: %T: %w", ErrInvalidRecord, v, err)
	}
	buf := rlp.NewEncoderBuffer(nil)
	defer buf.Flush()
	if err := rlp.Encode(buf, v); err != nil {
		return nil, fmt.Errorf("%w: encode %T: %w", ErrInvalidRecord, v, err)
	}
	return buf.AppendToBytes([]byte{recordVersion}), nil
}

func decodeRecord(key, b []byte, v record) error {
	if len(b) == 0 || b[0] != recordVersion {
		return corrupt(key, "record version %x, want %d", first(b), recordVersion)
	}
	if err := rlp.DecodeBytes(b[1:], v); err != nil {
		return corrupt(key, "%T: %v", v, err)
	}
	if err := v.check(); err != nil {
		return corrupt(key, "%T: %v", v, err)
	}
	return nil
}

func first(b []byte) []byte {
	if len(b) > 0 {
		return b[:1]
	}
	return nil
}

func corrupt(key []byte, format string, args ...any) error {
	return fmt.Errorf("%w: key %x: %s", ErrCorrupt, key, fmt.Sprintf(format, args...))
}

func checkReceiptStatus(s protocol.ReceiptStatus) error {
	if s < protocol.ReceiptPending || s > protocol.ReceiptPruned {
		return fmt.Errorf("receipt status %d", uint8(s))
	}
	return nil
}

func (r *Progress) check() error             { return nil }
func (r *ConsensusBlockRecord) check() error { return nil }
func (r *DomainBlockRecord) check() error    { return nil }
func (r *DomainProgress) check() error       { return nil }

func (r *BundleRecord) check() error {
	if v := r.Validity; !v.IsValid() && (v.Invalid > protocol.InvalidBundleWeight || v.Digest != ([32]byte{})) {
		return fmt.Errorf("bundle validity %s", v)
	}
	return nil
}

func (r *ReceiptRecord) check() error {
	if err := checkReceiptStatus(r.Status); err != nil {
		return err
	}
	for _, c := range r.Timeline {
		if err := checkReceiptStatus(c.Status); err != nil {
			return fmt.Errorf("timeline: %w", err)
		}
	}
	for i := 1; i < len(r.Backers); i++ {
		if r.Backers[i] <= r.Backers[i-1] {
			return fmt.Errorf("backers not ascending and unique: %v", r.Backers)
		}
	}
	if r.Number != r.Receipt.DomainNumber {
		return fmt.Errorf("number %d, receipt says %d", r.Number, r.Receipt.DomainNumber)
	}
	return nil
}

func (r *TxRecord) check() error {
	if !r.Fate.Kind.valid() {
		return fmt.Errorf("tx fate %s", r.Fate.Kind)
	}
	return nil
}

func (r *OperatorRecord) check() error {
	if s := r.Operator.Status; s != protocol.OperatorActive && s != protocol.OperatorSlashed {
		return fmt.Errorf("operator status %s", s)
	}
	return nil
}

func (r *ChallengeRecord) check() error {
	if !r.Status.valid() {
		return fmt.Errorf("challenge status %s", r.Status)
	}
	if r.Kind < protocol.ProofStateTransition || r.Kind > protocol.ProofExecutionResult {
		return fmt.Errorf("proof kind %s", r.Kind)
	}
	for _, c := range r.Timeline {
		if !c.Status.valid() {
			return fmt.Errorf("timeline: challenge status %s", c.Status)
		}
	}
	return nil
}
