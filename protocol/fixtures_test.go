package protocol

import (
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/holiman/uint256"
)

// Sample values of every wire type, shared by the codec tests and the fuzz
// seed corpora.

func h(s string) common.Hash { return crypto.Keccak256Hash([]byte(s)) }

func sampleReceipt() *ExecutionReceipt {
	trace := []common.Hash{h("t0"), h("t1"), h("t2")}
	r := &ExecutionReceipt{
		DomainNumber:      7,
		DomainHash:        h("domain block"),
		ExtrinsicsRoot:    h("txs"),
		ParentReceiptHash: h("parent er"),
		ConsensusNumber:   11,
		ConsensusHash:     h("consensus"),
		InboxedBundles: []InboxedBundle{
			{Validity: Valid(h("digest")), ExtrinsicsRoot: h("x0")},
			{Validity: Invalid(InvalidIllegalTx, 3), ExtrinsicsRoot: h("x1")},
		},
		GasUsed:        42000,
		ReceiptsRoot:   h("receipts"),
		LogsBloom:      types.BytesToBloom([]byte{1, 2, 3}),
		FinalStateRoot: trace[2],
		Trace:          trace,
		TraceRoot:      TraceRoot(trace),
	}
	r.Fees.Operators = *uint256.NewInt(21000)
	r.Fees.Burned = *uint256.NewInt(7 * 21000)
	return r
}

func sampleBundle() *Bundle {
	xs := [][]byte{{0x02, 0xc0}, {0xde, 0xad}}
	return &Bundle{
		Sealed: SealedBundleHeader{
			Header: BundleHeader{
				Domain:         1,
				Operator:       2,
				Slot:           99,
				ElectionProof:  Signature{1, 2, 3},
				DeclaredGas:    42000,
				ExtrinsicsRoot: ExtrinsicsRoot(xs),
				ExtrinsicsSize: ExtrinsicsSize(xs),
				Receipt:        *sampleReceipt(),
			},
			Signature: Signature{9, 9},
		},
		Extrinsics: xs,
	}
}

func sampleHeader() *types.Header {
	return &types.Header{
		ParentHash: h("p"), UncleHash: types.EmptyUncleHash, Root: h("root"),
		TxHash: types.EmptyTxsHash, ReceiptHash: types.EmptyReceiptsHash,
		Difficulty: new(big.Int), Number: big.NewInt(6), GasLimit: 30_000_000,
		Time: 1000, BaseFee: big.NewInt(7),
	}
}

func sampleWitness() Witness {
	return Witness{Headers: []*types.Header{sampleHeader()}, Codes: [][]byte{{0x60, 0x00}}, State: [][]byte{{0xc0}}}
}

func sampleProofs() []*FraudProof {
	bad := sampleReceipt().Hash()
	block := types.NewBlockWithHeader(sampleHeader()).WithBody(types.Body{Withdrawals: []*types.Withdrawal{}})
	return []*FraudProof{
		{Domain: 1, BadReceiptHash: bad, StateTransition: &StateTransitionProof{
			Phase: PhaseTx, Index: 2, Tx: []byte{0x02, 0xc0}, TxProof: [][]byte{{0xc1, 0x80}}, Witness: sampleWitness()}},
		{Domain: 1, BadReceiptHash: bad, StateTransition: &StateTransitionProof{Phase: PhaseTraceLength}},
		{Domain: 1, BadReceiptHash: bad, ExtrinsicsRoot: &ExtrinsicsRootProof{}},
		{Domain: 2, BadReceiptHash: bad, BundleValidity: &BundleValidityProof{
			BundleIndex: 1, Validity: Invalid(InvalidUndecodable, 0), Parent: sampleHeader(),
			Accounts: []common.Address{{1}}, Nodes: [][]byte{{0xc0}}}},
		{Domain: 2, BadReceiptHash: bad, DomainBlockHash: &DomainBlockHashProof{Parent: sampleHeader()}},
		{Domain: 2, BadReceiptHash: bad, ExecutionResult: &ExecutionResultProof{
			Field: ResultFees, Block: block, Witness: sampleWitness()}},
	}
}

func sampleBlock() *Block {
	b := &Block{
		Header: Header{Number: 3, ParentHash: h("parent"), Slot: 5, Timestamp: 1005,
			Randomness: h("rand"), Author: common.Address{7}},
		Body: Body{
			FraudProofs: sampleProofs()[:2],
			Submissions: []*ReceiptSubmission{{Domain: 1, Operator: 3, Receipt: *sampleReceipt(), Signature: Signature{4}}},
			Bundles:     []*Bundle{sampleBundle()},
		},
	}
	b.Seal()
	return b
}
