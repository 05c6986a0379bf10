package verifier

import (
	"fmt"
	"slices"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/holiman/uint256"

	"github.com/receiptd/receiptd/indexer"
	"github.com/receiptd/receiptd/protocol"
)

// This file turns a BlockUpdate into the index's records. It decides what
// receiptd records; package indexer decides how it is stored.

func consensusRecord(u *BlockUpdate) (*indexer.ConsensusBlockRecord, error) {
	raw, err := rlp.EncodeToBytes(u.Block)
	if err != nil {
		return nil, fmt.Errorf("encode block %d: %w", u.Number, err)
	}
	rec := &indexer.ConsensusBlockRecord{
		Number: u.Number, Hash: u.Hash, Header: u.Block.Header, Raw: raw,
		Submissions:  uint32(len(u.Block.Body.Submissions)),
		DomainBlocks: uint32(len(u.Domains)),
	}
	for _, x := range u.Block.Body.Bundles {
		rec.BundleHashes = append(rec.BundleHashes, x.Hash())
		rec.Extrinsics += uint32(len(x.Extrinsics))
	}
	for _, p := range u.Block.Body.FraudProofs {
		rec.ProofHashes = append(rec.ProofHashes, p.Hash())
	}
	return rec, nil
}

// extrinsicHash is the tx hash of a decodable extrinsic, keccak of the
// bytes otherwise.
func extrinsicHash(raw []byte) common.Hash {
	var tx types.Transaction
	if tx.UnmarshalBinary(raw) == nil {
		return tx.Hash()
	}
	return crypto.Keccak256Hash(raw)
}

// bundleRecords makes a record per bundle of the block, with receiptd's
// own validity for each (from the domain block the block derived).
func bundleRecords(u *BlockUpdate) []*indexer.BundleRecord {
	validity := map[common.Hash]protocol.BundleValidity{}
	txHashes := map[common.Hash][]common.Hash{}
	for _, du := range u.Domains {
		for i, ref := range du.BundleRefs {
			validity[ref] = du.Inboxed[i].Validity
			txHashes[ref] = du.TxHashes[i]
		}
	}
	var out []*indexer.BundleRecord
	for i, x := range u.Block.Body.Bundles {
		h := &x.Sealed.Header
		hash := x.Hash()
		rec := &indexer.BundleRecord{
			Hash: hash, ConsensusNumber: u.Number, Index: uint32(i), Domain: h.Domain, Operator: h.Operator,
			Slot: h.Slot, DeclaredGas: h.DeclaredGas, ExtrinsicsRoot: h.ExtrinsicsRoot, ReceiptHash: h.Receipt.Hash(),
			Validity: validity[hash], Admitted: true,
		}
		if hs, ok := txHashes[hash]; ok && len(hs) == len(x.Extrinsics) {
			rec.TxHashes = slices.Clone(hs)
		} else {
			for _, raw := range x.Extrinsics {
				rec.TxHashes = append(rec.TxHashes, extrinsicHash(raw))
			}
		}
		out = append(out, rec)
	}
	return out
}

// domainRecords makes the domain block's record and a record per
// extrinsic occurrence with its fate.
func domainRecords(u *BlockUpdate, du *DomainUpdate) (*indexer.DomainBlockRecord, []*indexer.TxRecord, error) {
	header, err := rlp.EncodeToBytes(du.Block.Header())
	if err != nil {
		return nil, nil, err
	}
	rec := &indexer.DomainBlockRecord{
		Domain: du.Domain, Number: du.Block.NumberU64(), Hash: du.Block.Hash(), Header: header,
		ConsensusNumber: u.Number, ConsensusHash: u.Hash, GasUsed: du.Block.GasUsed(), ReceiptHash: du.Honest.Hash(),
	}
	position := map[common.Hash]int{}
	for i, tx := range du.Block.Transactions() {
		rec.TxHashes = append(rec.TxHashes, tx.Hash())
		position[tx.Hash()] = i
	}
	bundleIndex := map[common.Hash]int{}
	for i, x := range u.Block.Body.Bundles {
		bundleIndex[x.Hash()] = i
	}
	var txs []*indexer.TxRecord
	for b, ref := range du.BundleRefs {
		kept := map[int]bool{}
		for _, k := range du.Kept[b] {
			kept[k] = true
		}
		valid := du.Inboxed[b].Validity.IsValid()
		for j, raw := range du.Extrinsics[b] {
			t := &indexer.TxRecord{
				Hash: du.TxHashes[b][j], Domain: du.Domain, Sender: du.Senders[b][j], Raw: raw,
				ConsensusNumber: u.Number, BundleIndex: uint32(bundleIndex[ref]), ExtrinsicIndex: uint32(j),
				Fate: indexer.TxFate{DomainNumber: rec.Number, BundleHash: ref},
			}
			switch {
			case !valid:
				t.Fate.Kind = indexer.TxInInvalidBundle
			case kept[j]:
				pos := position[t.Hash]
				t.Fate.Kind, t.Fate.Position = indexer.TxIncluded, uint32(pos)
				r := du.Receipts[pos]
				t.Status, t.GasUsed, t.CumulativeGasUsed, t.ContractAddress = r.Status, r.GasUsed, r.CumulativeGasUsed, r.ContractAddress
				for _, l := range r.Logs {
					t.Logs = append(t.Logs, indexer.LogRecord{Address: l.Address, Topics: l.Topics, Data: l.Data})
				}
			default:
				t.Fate.Kind = indexer.TxDuplicate
			}
			txs = append(txs, t)
		}
	}
	return rec, txs, nil
}

// operatorDeltas are the per-operator figures one block adds.
type operatorDelta struct {
	bundles, backed, faults, slashes uint64
	fees                             uint256.Int
}

func operatorDeltas(u *BlockUpdate) map[protocol.OperatorID]*operatorDelta {
	out := map[protocol.OperatorID]*operatorDelta{}
	get := func(id protocol.OperatorID) *operatorDelta {
		if out[id] == nil {
			out[id] = &operatorDelta{}
		}
		return out[id]
	}
	for _, x := range u.Block.Body.Bundles {
		get(x.Sealed.Header.Operator).bundles++
	}
	for _, du := range u.Domains {
		for i, ib := range du.Inboxed {
			if !ib.Validity.IsValid() {
				for _, x := range u.Block.Body.Bundles {
					if x.Hash() == du.BundleRefs[i] {
						get(x.Sealed.Header.Operator).faults++
					}
				}
			}
		}
	}
	verdicts := map[common.Hash]Verdict{}
	for _, c := range u.Receipts {
		verdicts[c.Hash] = c.Verdict
	}
	for _, ev := range u.Events {
		switch ev.Kind {
		case protocol.EventReceiptAdded, protocol.EventReceiptBacked:
			d := get(ev.Operator)
			d.backed++
			if v, ok := verdicts[ev.Receipt]; ok && !v.Valid {
				d.faults++
			}
		case protocol.EventOperatorSlashed:
			get(ev.Operator).slashes++
		case protocol.EventFeesPaid:
			d := get(ev.Operator)
			d.fees.Add(&d.fees, &ev.Amount)
		}
	}
	return out
}
