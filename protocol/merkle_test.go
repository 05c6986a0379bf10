package protocol

import (
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/trie"
)

func trieHasher() *trie.StackTrie { return trie.NewStackTrie(nil) }

func leaves(n int) []common.Hash {
	out := make([]common.Hash, n)
	for i := range out {
		out[i] = crypto.Keccak256Hash([]byte{byte(i)})
	}
	return out
}

// The tree shape is RFC 6962's: for five leaves, ((ab)(cd))e.
func TestTraceRootShape(t *testing.T) {
	l := leaves(5)
	leaf := func(i int) common.Hash { return crypto.Keccak256Hash([]byte{0}, l[i][:]) }
	node := func(a, b common.Hash) common.Hash { return crypto.Keccak256Hash([]byte{1}, a[:], b[:]) }
	cases := []struct {
		n    int
		want common.Hash
	}{
		{1, leaf(0)},
		{2, node(leaf(0), leaf(1))},
		{3, node(node(leaf(0), leaf(1)), leaf(2))},
		{5, node(node(node(leaf(0), leaf(1)), node(leaf(2), leaf(3))), leaf(4))},
	}
	for _, tc := range cases {
		if got := TraceRoot(l[:tc.n]); got != tc.want {
			t.Errorf("%d leaves: root %s, want %s", tc.n, got, tc.want)
		}
	}
	if TraceRoot(nil) != crypto.Keccak256Hash() {
		t.Error("empty trace root is not keccak of nothing")
	}
}

func TestTraceProofs(t *testing.T) {
	for n := 1; n <= 33; n++ {
		l := leaves(n)
		root := TraceRoot(l)
		for i := range n {
			path := TraceProof(l, i)
			if !VerifyTraceProof(root, n, i, l[i], path) {
				t.Fatalf("n=%d i=%d: proof does not verify", n, i)
			}
			if VerifyTraceProof(root, n, i, common.Hash{0xff}, path) {
				t.Fatalf("n=%d i=%d: proof verifies a wrong entry", n, i)
			}
			if len(path) > 0 {
				bad := append([]common.Hash{}, path...)
				bad[0][0] ^= 1
				if VerifyTraceProof(root, n, i, l[i], bad) {
					t.Fatalf("n=%d i=%d: proof verifies with a flipped node", n, i)
				}
				if VerifyTraceProof(root, n, i, l[i], path[:len(path)-1]) {
					t.Fatalf("n=%d i=%d: short proof verifies", n, i)
				}
			}
			if VerifyTraceProof(root, n, i, l[i], append(path, common.Hash{})) {
				t.Fatalf("n=%d i=%d: long proof verifies", n, i)
			}
		}
	}
}
