package protocol

import (
	"errors"
	"fmt"
	"io"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/rlp"
)

// ProofKind names what a fraud proof proves (DESIGN.md §1.7). The zero value
// is not a kind.
type ProofKind uint8

const (
	// ProofStateTransition: trace entry i is not the result of transition i,
	// or the trace has the wrong length.
	ProofStateTransition ProofKind = iota + 1
	// ProofExtrinsicsRoot: the ER's extrinsics root is not the one derived
	// from the consensus block and the validity flags.
	ProofExtrinsicsRoot
	// ProofBundleValidity: an inboxed entry is wrong (Autonomys' InvalidBundles
	// and ValidBundle).
	ProofBundleValidity
	// ProofDomainBlockHash: the domain block hash is not that of the header
	// the ER, the consensus block and the parent header give.
	ProofDomainBlockHash
	// ProofExecutionResult: gas used, receipts root, logs bloom or fees differ
	// (Autonomys' InvalidBlockFees among them).
	ProofExecutionResult
)

func (k ProofKind) String() string {
	switch k {
	case ProofStateTransition:
		return "InvalidStateTransition"
	case ProofExtrinsicsRoot:
		return "InvalidExtrinsicsRoot"
	case ProofBundleValidity:
		return "BundleValidity"
	case ProofDomainBlockHash:
		return "InvalidDomainBlockHash"
	case ProofExecutionResult:
		return "InvalidExecutionResult"
	}
	return fmt.Sprintf("ProofKind(%d)", uint8(k))
}

// TracePhase names the transition a state-transition proof is about.
type TracePhase uint8

const (
	PhaseInit        TracePhase = iota + 1 // trace[0]: pre-execution system calls
	PhaseTx                                // trace[i], 1 ≤ i ≤ n: tx i−1
	PhaseFinalize                          // trace[n+1]: post-execution and Finalize
	PhaseTraceLength                       // the trace does not have n+2 entries
)

func (p TracePhase) String() string {
	switch p {
	case PhaseInit:
		return "init"
	case PhaseTx:
		return "tx"
	case PhaseFinalize:
		return "finalize"
	case PhaseTraceLength:
		return "trace-length"
	}
	return fmt.Sprintf("TracePhase(%d)", uint8(p))
}

// ResultField names the execution-result field an ExecutionResultProof shows
// to be wrong.
type ResultField uint8

const (
	ResultGasUsed ResultField = iota + 1
	ResultReceiptsRoot
	ResultLogsBloom
	ResultFees
)

func (f ResultField) String() string {
	switch f {
	case ResultGasUsed:
		return "gas-used"
	case ResultReceiptsRoot:
		return "receipts-root"
	case ResultLogsBloom:
		return "logs-bloom"
	case ResultFees:
		return "fees"
	}
	return fmt.Sprintf("ResultField(%d)", uint8(f))
}

// Witness is the wire form of a go-ethereum stateless witness: the headers
// BLOCKHASH and BASEFEE need (Headers[0] is the parent of the block being
// proved), contract codes and trie nodes. It converts to and from
// core/stateless.ExtWitness field by field.
type Witness struct {
	Headers []*types.Header
	Codes   [][]byte
	State   [][]byte
}

func (w *Witness) check() error {
	if n := len(w.Headers) + len(w.Codes) + len(w.State); n > MaxWitnessItems {
		return malformed("witness", "%d items, limit %d", n, MaxWitnessItems)
	}
	for i, h := range w.Headers {
		if h == nil {
			return malformed("witness", "header %d is empty", i)
		}
	}
	return nil
}

// StateTransitionProof shows that trace[Index] is not what transition Index
// yields from trace[Index−1] (or from the parent ER's final root for init).
type StateTransitionProof struct {
	Phase   TracePhase
	Index   uint32   // trace index of the first wrong entry; 0 for trace-length
	Tx      []byte   // PhaseTx: the raw tx at block position Index−1
	TxProof [][]byte // PhaseTx: trie nodes proving Tx under the ER's extrinsics root
	Witness Witness  // empty for trace-length
}

// ExtrinsicsRootProof carries nothing: the verifier derives the root from the
// consensus block and the ER's validity flags.
type ExtrinsicsRootProof struct{}

// BundleValidityProof shows that inboxed entry BundleIndex is wrong. The
// validity context is the parent block's: its header (whose hash the parent
// ER names) gives the base fee and fork rules, and its state root the
// accounts.
type BundleValidityProof struct {
	BundleIndex uint32
	Validity    BundleValidity   // the true validity
	Parent      *types.Header    // the parent domain block's header
	Accounts    []common.Address // the senders involved, ascending
	Nodes       [][]byte         // account-trie nodes proving them against the parent final root, ascending
}

// DomainBlockHashProof carries the parent domain block's header.
type DomainBlockHashProof struct {
	Parent *types.Header
}

// ExecutionResultProof carries the domain block and a block-level witness.
type ExecutionResultProof struct {
	Field   ResultField
	Block   *types.Block
	Witness Witness
}

// FraudProof names a domain and a bad receipt and carries one payload, of the
// kind Kind reports. Exactly one payload pointer is set.
type FraudProof struct {
	Domain         DomainID
	BadReceiptHash common.Hash

	StateTransition *StateTransitionProof
	ExtrinsicsRoot  *ExtrinsicsRootProof
	BundleValidity  *BundleValidityProof
	DomainBlockHash *DomainBlockHashProof
	ExecutionResult *ExecutionResultProof
}

// ErrProofPayload reports a FraudProof value with no payload or several.
var ErrProofPayload = errors.New("fraud proof must carry exactly one payload")

// Kind reports the kind of the payload set, or 0 if not exactly one is.
func (p *FraudProof) Kind() ProofKind {
	var kind ProofKind
	for k, set := range [...]bool{
		ProofStateTransition: p.StateTransition != nil,
		ProofExtrinsicsRoot:  p.ExtrinsicsRoot != nil,
		ProofBundleValidity:  p.BundleValidity != nil,
		ProofDomainBlockHash: p.DomainBlockHash != nil,
		ProofExecutionResult: p.ExecutionResult != nil,
	} {
		if !set {
			continue
		}
		if kind != 0 {
			return 0
		}
		kind = ProofKind(k)
	}
	return kind
}

func (p *FraudProof) payload() any {
	switch p.Kind() {
	case ProofStateTransition:
		return p.StateTransition
	case ProofExtrinsicsRoot:
		return p.ExtrinsicsRoot
	case ProofBundleValidity:
		return p.BundleValidity
	case ProofDomainBlockHash:
		return p.DomainBlockHash
	case ProofExecutionResult:
		return p.ExecutionResult
	}
	return nil
}

// Hash is keccak(rlp(proof)), the proof's id.
func (p *FraudProof) Hash() common.Hash { return rlpHash(p) }

// EncodeRLP writes [domain, bad receipt hash, kind, payload].
func (p *FraudProof) EncodeRLP(w io.Writer) error {
	kind := p.Kind()
	if kind == 0 {
		return ErrProofPayload
	}
	return rlp.Encode(w, []any{p.Domain, p.BadReceiptHash, uint8(kind), p.payload()})
}

// DecodeRLP reads [domain, bad receipt hash, kind, payload].
func (p *FraudProof) DecodeRLP(s *rlp.Stream) error {
	if _, err := s.List(); err != nil {
		return err
	}
	*p = FraudProof{}
	if err := s.Decode(&p.Domain); err != nil {
		return fmt.Errorf("domain: %w", err)
	}
	if err := s.Decode(&p.BadReceiptHash); err != nil {
		return fmt.Errorf("bad receipt hash: %w", err)
	}
	kind, err := s.Uint8()
	if err != nil {
		return fmt.Errorf("kind: %w", err)
	}
	switch ProofKind(kind) {
	case ProofStateTransition:
		p.StateTransition = new(StateTransitionProof)
		err = s.Decode(p.StateTransition)
	case ProofExtrinsicsRoot:
		p.ExtrinsicsRoot = new(ExtrinsicsRootProof)
		err = s.Decode(p.ExtrinsicsRoot)
	case ProofBundleValidity:
		p.BundleValidity = new(BundleValidityProof)
		err = s.Decode(p.BundleValidity)
	case ProofDomainBlockHash:
		p.DomainBlockHash = new(DomainBlockHashProof)
		err = s.Decode(p.DomainBlockHash)
	case ProofExecutionResult:
		p.ExecutionResult = new(ExecutionResultProof)
		err = s.Decode(p.ExecutionResult)
	default:
		return fmt.Errorf("unknown proof kind %d", kind)
	}
	if err != nil {
		return fmt.Errorf("%s payload: %w", ProofKind(kind), err)
	}
	return s.ListEnd()
}

func (p *FraudProof) check() error {
	switch p.Kind() {
	case ProofStateTransition:
		st := p.StateTransition
		if st.Phase < PhaseInit || st.Phase > PhaseTraceLength {
			return malformed("state transition proof", "unknown phase %d", uint8(st.Phase))
		}
		if st.Phase != PhaseTx && (len(st.Tx) != 0 || len(st.TxProof) != 0) {
			return malformed("state transition proof", "phase %s carries a tx", st.Phase)
		}
		if err := checkLen("tx proof", len(st.TxProof), MaxProofNodes); err != nil {
			return err
		}
		return st.Witness.check()
	case ProofBundleValidity:
		bv := p.BundleValidity
		if err := bv.Validity.check(); err != nil {
			return err
		}
		if bv.Parent == nil {
			return malformed("bundle validity proof", "no parent header")
		}
		if err := checkLen("bundle validity accounts", len(bv.Accounts), MaxProofNodes); err != nil {
			return err
		}
		return checkLen("bundle validity nodes", len(bv.Nodes), MaxProofNodes)
	case ProofDomainBlockHash:
		if p.DomainBlockHash.Parent == nil {
			return malformed("domain block hash proof", "no parent header")
		}
	case ProofExecutionResult:
		er := p.ExecutionResult
		if er.Field < ResultGasUsed || er.Field > ResultFees {
			return malformed("execution result proof", "unknown field %d", uint8(er.Field))
		}
		if er.Block == nil {
			return malformed("execution result proof", "no block")
		}
		return er.Witness.check()
	case ProofExtrinsicsRoot:
	default:
		return ErrProofPayload
	}
	return nil
}

// DecodeProof decodes a fraud proof from its canonical encoding.
func DecodeProof(b []byte) (*FraudProof, error) {
	p := new(FraudProof)
	if err := decode("fraud proof", b, MaxProofBytes, p); err != nil {
		return nil, err
	}
	if err := p.check(); err != nil {
		return nil, err
	}
	return p, nil
}
