package indexer

import (
	"github.com/ethereum/go-ethereum/common"
	"github.com/holiman/uint256"

	"github.com/receiptd/receiptd/protocol"
)

// Progress names the newest consensus block the index holds.
type Progress struct {
	Number uint64
	Hash   common.Hash
}

// ConsensusBlockRecord is a canonical consensus block.
type ConsensusBlockRecord struct {
	Number       uint64
	Hash         common.Hash
	Header       protocol.Header
	Raw          []byte        // the block's RLP encoding
	BundleHashes []common.Hash // in body order
	ProofHashes  []common.Hash // in body order
	Submissions  uint32        // receipt-only submissions
	Extrinsics   uint32        // raw extrinsics over all bundles
	DomainBlocks uint32        // domain blocks the block derives
}

// BundleRecord is a bundle a consensus block carries.
type BundleRecord struct {
	Hash            common.Hash
	ConsensusNumber uint64
	Index           uint32 // position in the block's bundles
	Domain          protocol.DomainID
	Operator        protocol.OperatorID
	Slot            uint64
	DeclaredGas     uint64
	ExtrinsicsRoot  common.Hash
	ReceiptHash     common.Hash // the ER the bundle carries
	// Validity is receiptd's own verdict on the bundle (DESIGN.md §1.5).
	Validity protocol.BundleValidity
	Admitted bool
	TxHashes []common.Hash // of its extrinsics, in bundle order
}

// Verdict is receiptd's judgement of an ER against its own execution.
type Verdict struct {
	Valid bool
	// Field names the first wrong field (in the proof priority order of
	// DESIGN.md §1.7) with the honest and the claimed value.
	Field, Expected, Claimed string
	// DescendsFromBad: the ER is right about its block but extends a bad one.
	DescendsFromBad bool
}

// StatusChange is one entry of a receipt's timeline.
type StatusChange struct {
	Status          protocol.ReceiptStatus
	ConsensusNumber uint64
}

// ReceiptRecord is an ER seen on chain, with receiptd's verdict.
type ReceiptRecord struct {
	Hash     common.Hash
	Domain   protocol.DomainID
	Number   uint64 // domain block number
	Receipt  protocol.ExecutionReceipt
	Verdict  Verdict
	Status   protocol.ReceiptStatus
	Backers  []protocol.OperatorID // ascending, unique
	Timeline []StatusChange        // appended by the Writer on each status change
	// FirstSeen is the consensus block that first carried the ER.
	FirstSeen uint64
	// ConfirmedBad: confirmed although receiptd proved it bad.
	ConfirmedBad bool
	ChallengeID  common.Hash // zero when none
}

// DomainBlockRecord is a domain block receiptd derived and executed.
type DomainBlockRecord struct {
	Domain          protocol.DomainID
	Number          uint64
	Hash            common.Hash
	Header          []byte // RLP of the go-ethereum header
	ConsensusNumber uint64
	ConsensusHash   common.Hash
	TxHashes        []common.Hash // in execution order
	GasUsed         uint64
	ReceiptHash     common.Hash // of the honest ER receiptd computed
}

// TxFate is what became of one occurrence of a transaction in a bundle.
type TxFate struct {
	Kind         TxFateKind
	DomainNumber uint64      // the domain block its consensus block derives
	Position     uint32      // index in the domain block when included
	BundleHash   common.Hash // the bundle that carried it
}

// LogRecord is one log of an included transaction.
type LogRecord struct {
	Address common.Address
	Topics  []common.Hash
	Data    []byte
}

// TxRecord is one occurrence of a domain transaction in a bundle: the same
// hash may occur in several bundles (a duplicate, or first in an Invalid
// bundle and later included), each with its own record.
type TxRecord struct {
	Hash   common.Hash
	Domain protocol.DomainID
	Sender common.Address // zero when the extrinsic does not decode
	Raw    []byte
	// Where the occurrence is: consensus block, bundle index in its body,
	// extrinsic index in the bundle. Together they name it uniquely.
	ConsensusNumber uint64
	BundleIndex     uint32
	ExtrinsicIndex  uint32
	Fate            TxFate
	// The execution receipt fields; zero unless Fate.Kind is TxIncluded.
	Status            uint64
	GasUsed           uint64
	CumulativeGasUsed uint64
	ContractAddress   common.Address
	Logs              []LogRecord
}

// OperatorRecord is an operator with the figures explorers show.
type OperatorRecord struct {
	Operator       protocol.Operator
	ElectionsWon   uint64
	Bundles        uint64
	ReceiptsBacked uint64
	Faults         uint64
	Slashes        uint64
	Fees           uint256.Int
}

// ChallengeChange is one entry of a challenge's timeline.
type ChallengeChange struct {
	Status          ChallengeStatus
	ConsensusNumber uint64
	Reason          string
}

// ChallengeRecord is a fraud proof receiptd built (or saw) against a bad ER.
type ChallengeRecord struct {
	ID         common.Hash // the proof hash
	Kind       protocol.ProofKind
	Domain     protocol.DomainID
	BadReceipt common.Hash
	Operators  []protocol.OperatorID // the bad ER's backers
	Status     ChallengeStatus
	Timeline   []ChallengeChange // appended by the Writer on each status change
	// Opened is the consensus block in which the challenge was first put.
	Opened    uint64
	ProofSize uint64
	Proof     []byte // the proof's canonical encoding
}

// DomainProgress is how far receiptd has verified a domain.
type DomainProgress struct {
	Domain         protocol.DomainID
	VerifiedHeight uint64
	HeadHash       common.Hash
	StateRoot      common.Hash
	// FlushedRoot is the newest state root written to the trie database at
	// FlushedNumber; a restart re-executes from there.
	FlushedRoot   common.Hash
	FlushedNumber uint64
}
