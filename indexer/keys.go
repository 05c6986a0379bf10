package indexer

import (
	"encoding/binary"

	"github.com/ethereum/go-ethereum/common"

	"github.com/receiptd/receiptd/protocol"
)

// Key prefixes; doc.go documents the layout they make.
const (
	pMeta       = 'm'
	pUndo       = 'u'
	pCheckpoint = 'k'
	pCanonical  = 'n'
	pConsensus  = 'c'
	pConsHash   = 'C'
	pBundle     = 'b'
	pReceipt    = 'r'
	pDomBlock   = 'd'
	pDomHash    = 'D'
	pTx         = 't'
	pOperator   = 'o'
	pChallenge  = 'h'
	pDomProg    = 'p'
	pIndex      = 'x'
	pCounter    = '#'
)

// Secondary index and counter tags: the byte(s) after pIndex / pCounter.
const (
	ixBundleByBlock    = "bc"
	ixBundleByOperator = "bo"
	ixBundleByDomain   = "bd"
	ixReceiptByNumber  = "rn"
	ixReceiptByStatus  = "rs"
	ixReceiptByBacker  = "ro"
	ixReceiptBad       = "rv"
	ixChallengeAll     = "co"
	ixChallengeStatus  = "cs"
	ixTxByBlock        = "tb"
	ixTxByHash         = "th"
	ixOperatorByDomain = "od"

	ctReceipts       = "r"
	ctReceiptStatus  = "s"
	ctReceiptsBacked = "o"
	ctReceiptsBad    = "v"
	ctBundles        = "b"
	ctBundlesByOp    = "B"
	ctChallenges     = "c"
	ctDomainBlocks   = "d"
	ctTxs            = "t"
)

var (
	keySchema   = []byte{pMeta, 's', 'c', 'h', 'e', 'm', 'a'}
	keyProgress = []byte{pMeta, 'p', 'r', 'o', 'g', 'r', 'e', 's', 's'}
)

// kb builds a key from big-endian fixed-width parts, so that byte order is
// numeric order.
type kb []byte

func newKey(prefix byte, tag string) kb {
	k := make(kb, 0, 64)
	k = append(k, prefix)
	return append(k, tag...)
}

func (k kb) u8(v uint8) kb              { return append(k, v) }
func (k kb) u32(v uint32) kb            { return binary.BigEndian.AppendUint32(k, v) }
func (k kb) u64(v uint64) kb            { return binary.BigEndian.AppendUint64(k, v) }
func (k kb) hash(h common.Hash) kb      { return append(k, h[:]...) }
func (k kb) dom(d protocol.DomainID) kb { return k.u32(uint32(d)) }
func (k kb) op(o protocol.OperatorID) kb {
	return k.u64(uint64(o))
}

func numKey(prefix byte, n uint64) []byte { return newKey(prefix, "").u64(n) }
func hashKey(prefix byte, h common.Hash) []byte {
	return newKey(prefix, "").hash(h)
}

func undoKey(n uint64) []byte       { return numKey(pUndo, n) }
func checkpointKey(n uint64) []byte { return numKey(pCheckpoint, n) }
func canonicalKey(n uint64) []byte  { return numKey(pCanonical, n) }
func consensusKey(n uint64) []byte  { return numKey(pConsensus, n) }
func bundleKey(h common.Hash) []byte {
	return hashKey(pBundle, h)
}
func receiptKey(h common.Hash) []byte   { return hashKey(pReceipt, h) }
func challengeKey(h common.Hash) []byte { return hashKey(pChallenge, h) }
func operatorKey(id protocol.OperatorID) []byte {
	return newKey(pOperator, "").op(id)
}
func domainBlockKey(d protocol.DomainID, n uint64) []byte {
	return newKey(pDomBlock, "").dom(d).u64(n)
}
func domainProgressKey(d protocol.DomainID) []byte { return newKey(pDomProg, "").dom(d) }

// txKeySuffix names one occurrence of a transaction: consensus number,
// bundle index, extrinsic index, hash. Occurrences are stored in chain
// order, so the transactions of one domain block, which all come from
// the bundles of one consensus block, sit together on disk.
func txKeySuffix(r *TxRecord) []byte { return occurrence(kb{}, r).hash(r.Hash) }

func txKey(r *TxRecord) []byte { return append([]byte{pTx}, txKeySuffix(r)...) }

// txHashKey is the hash index entry of an occurrence (doc.go).
func txHashKey(r *TxRecord) []byte { return occurrence(newKey(pIndex, ixTxByHash).hash(r.Hash), r) }

// occurrence appends where r occurs: consensus number, bundle index,
// extrinsic index.
func occurrence(k kb, r *TxRecord) kb {
	return k.u64(r.ConsensusNumber).u32(r.BundleIndex).u32(r.ExtrinsicIndex)
}

const txSuffixLen = 8 + 4 + 4 + 32

// txRefOf reads a txKeySuffix.
func txRefOf(suffix []byte) TxRef {
	return TxRef{ConsensusNumber: be64(suffix), BundleIndex: be32(suffix[8:]), ExtrinsicIndex: be32(suffix[12:]),
		Hash: common.Hash(suffix[16:])}
}

// prefixEnd is the smallest key greater than every key with prefix p (nil
// when there is none).
func prefixEnd(p []byte) []byte {
	end := append([]byte{}, p...)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] != 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}

// keyRange is the half-open range [lower, upper) of a listing.
type keyRange struct{ lower, upper []byte }

func prefixRange(p []byte) keyRange { return keyRange{lower: p, upper: prefixEnd(p)} }

// numberRange narrows a prefix followed by a big-endian uint64 to the
// numbers in [from, to] (to nil: unbounded).
func numberRange(p kb, from uint64, to *uint64) keyRange {
	r := keyRange{lower: append(kb{}, p...).u64(from), upper: prefixEnd(p)}
	if to != nil && *to < ^uint64(0) {
		r.upper = append(kb{}, p...).u64(*to + 1)
	}
	return r
}

func be32(b []byte) uint32 { return binary.BigEndian.Uint32(b) }
func be64(b []byte) uint64 { return binary.BigEndian.Uint64(b) }
