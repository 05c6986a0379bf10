package protocol

import (
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// TraceRoot is the RFC 6962 Merkle tree hash of an execution trace, with
// keccak-256 in place of SHA-256: a leaf is keccak(0x00 ‖ root), an inner node
// keccak(0x01 ‖ left ‖ right), and the tree splits at the largest power of two
// below the leaf count. The root of an empty trace is keccak of nothing.
func TraceRoot(trace []common.Hash) common.Hash {
	if len(trace) == 0 {
		return crypto.Keccak256Hash()
	}
	return merkleRoot(trace)
}

func merkleRoot(leaves []common.Hash) common.Hash {
	if len(leaves) == 1 {
		return traceLeaf(leaves[0])
	}
	k := splitPoint(len(leaves))
	return traceNode(merkleRoot(leaves[:k]), merkleRoot(leaves[k:]))
}

// TraceProof is the RFC 6962 audit path of leaf i in a trace of n leaves,
// from the leaf's sibling up to the root's child.
func TraceProof(trace []common.Hash, i int) []common.Hash {
	if i < 0 || i >= len(trace) {
		return nil
	}
	return tracePath(trace, i)
}

func tracePath(leaves []common.Hash, i int) []common.Hash {
	if len(leaves) <= 1 {
		return nil
	}
	k := splitPoint(len(leaves))
	if i < k {
		return append(tracePath(leaves[:k], i), merkleRoot(leaves[k:]))
	}
	return append(tracePath(leaves[k:], i-k), merkleRoot(leaves[:k]))
}

// VerifyTraceProof reports whether entry is leaf i of a trace of n leaves whose
// root is root, given the audit path from TraceProof.
func VerifyTraceProof(root common.Hash, n, i int, entry common.Hash, path []common.Hash) bool {
	if i < 0 || i >= n {
		return false
	}
	h, rest, ok := foldPath(n, i, traceLeaf(entry), path)
	return ok && len(rest) == 0 && h == root
}

// foldPath recomputes the root of a subtree of n leaves from leaf i's hash and
// the path entries, which are consumed from the front, deepest first.
func foldPath(n, i int, leaf common.Hash, path []common.Hash) (common.Hash, []common.Hash, bool) {
	if n == 1 {
		return leaf, path, true
	}
	k := splitPoint(n)
	var (
		h    common.Hash
		ok   bool
		rest []common.Hash
	)
	if i < k {
		h, rest, ok = foldPath(k, i, leaf, path)
	} else {
		h, rest, ok = foldPath(n-k, i-k, leaf, path)
	}
	if !ok || len(rest) == 0 {
		return common.Hash{}, nil, false
	}
	if i < k {
		return traceNode(h, rest[0]), rest[1:], true
	}
	return traceNode(rest[0], h), rest[1:], true
}

// splitPoint is the largest power of two strictly less than n (n ≥ 2).
func splitPoint(n int) int {
	k := 1
	for k<<1 < n {
		k <<= 1
	}
	return k
}

func traceLeaf(root common.Hash) common.Hash {
	return crypto.Keccak256Hash([]byte{0x00}, root[:])
}

func traceNode(l, r common.Hash) common.Hash {
	return crypto.Keccak256Hash([]byte{0x01}, l[:], r[:])
}
