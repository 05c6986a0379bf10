package protocol

import (
	"errors"
	"fmt"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	blst "github.com/supranational/blst/bindings/go"
)

func TestParsePublicKey(t *testing.T) {
	good := testKey(t, 1).PublicKey()
	var infinity PublicKey
	infinity[0] = 0xc0
	tests := []struct {
		name string
		pk   PublicKey
		ok   bool
	}{
		{"valid", good, true},
		{"zero bytes", PublicKey{}, false},
		{"infinity", infinity, false},
		{"outside the subgroup", notInG1(t), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := ParsePublicKey(tt.pk)
			if err := ValidatePublicKey(tt.pk); (err == nil) != tt.ok {
				t.Fatalf("ValidatePublicKey disagrees with the table: %v", err)
			}
			switch {
			case tt.ok && err != nil:
				t.Fatalf("rejected: %v", err)
			case tt.ok && k.PublicKey() != tt.pk:
				t.Fatalf("parsed key encodes as %s, want %s", k.PublicKey(), tt.pk)
			case !tt.ok && !errors.Is(err, ErrBadPublicKey):
				t.Fatalf("got %v, want ErrBadPublicKey", err)
			}
		})
	}
}

// batchItem is one signature of a batch test: key seed, message and the
// seed of the key that actually signed it.
type batchItem struct {
	key    byte
	msg    string
	signer byte
}

func TestSignatureBatch(t *testing.T) {
	ok := func(seed byte, msg string) batchItem { return batchItem{seed, msg, seed} }
	tests := []struct {
		name   string
		items  []batchItem
		tamper func(sigs []Signature)
		want   bool
	}{
		{"empty", nil, nil, true},
		{"one valid", []batchItem{ok(1, "a")}, nil, true},
		{"one by another key", []batchItem{{1, "a", 2}}, nil, false},
		{"many valid", []batchItem{ok(1, "a"), ok(2, "b"), ok(3, "c"), ok(1, "d")}, nil, true},
		{"same key and message twice", []batchItem{ok(1, "a"), ok(1, "a")}, nil, true},
		{"last by another key", []batchItem{ok(1, "a"), ok(2, "b"), {3, "c", 4}}, nil, false},
		{"first by another key", []batchItem{{1, "a", 2}, ok(2, "b"), ok(3, "c")}, nil, false},
		{"swapped between messages", []batchItem{ok(1, "a"), ok(1, "b")},
			func(s []Signature) { s[0], s[1] = s[1], s[0] }, false},
		{"errors that cancel without weights", []batchItem{ok(1, "a"), ok(2, "b")},
			func(s []Signature) { s[0], s[1] = cancelPair(t, s[0], s[1]) }, false},
		{"malformed", []batchItem{ok(1, "a"), ok(2, "b")},
			func(s []Signature) { s[1] = Signature{} }, false},
		{"outside the subgroup", []batchItem{ok(1, "a"), ok(2, "b")},
			func(s []Signature) { s[0] = notInG2(t) }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sigs := make([]Signature, len(tt.items))
			for i, it := range tt.items {
				sigs[i] = testKey(t, it.signer).Sign([]byte(it.msg))
			}
			if tt.tamper != nil {
				tt.tamper(sigs)
			}
			var b SignatureBatch
			allValid := true
			for i, it := range tt.items {
				pk := testKey(t, it.key).PublicKey()
				k, err := ParsePublicKey(pk)
				if err != nil {
					t.Fatal(err)
				}
				b.Add(k, []byte(it.msg), sigs[i])
				allValid = allValid && VerifySignature(pk, []byte(it.msg), sigs[i]) == nil
			}
			if allValid != tt.want {
				t.Fatalf("the single checks say %v, the table %v", allValid, tt.want)
			}
			for range 3 { // fresh weights each time; the verdict never moves
				if got := b.Verify(); got != tt.want {
					t.Fatalf("Verify() = %v, want %v", got, tt.want)
				}
			}
		})
	}
}

// cancelPair returns (a + d, b − d) for a valid point d: the sum of the two
// signatures stays that of two valid ones, which an unweighted aggregate
// check would accept.
func cancelPair(t *testing.T, a, b Signature) (Signature, Signature) {
	t.Helper()
	d := testKey(t, 9).Sign([]byte("offset"))
	pa, _ := decodeSignature(a)
	pb, _ := decodeSignature(b)
	pd, _ := decodeSignature(d)
	var sum, diff blst.P2
	sum.FromAffine(pa)
	diff.FromAffine(pb)
	var x, y Signature
	copy(x[:], sum.Add(pd).Compress())
	copy(y[:], diff.Sub(pd).Compress())
	px, _ := decodeSignature(x)
	py, _ := decodeSignature(y)
	if !blst.P2AffinesAdd([]*blst.P2Affine{px, py}).Equals(blst.P2AffinesAdd([]*blst.P2Affine{pa, pb})) {
		t.Fatal("the pair does not keep the sum")
	}
	return x, y
}

func TestSignatureBatchBundles(t *testing.T) {
	sk := testKey(t, 3)
	k, err := ParsePublicKey(sk.PublicKey())
	if err != nil {
		t.Fatal(err)
	}
	randomness := common.Hash{7}
	bundle := func(slot uint64) *Bundle {
		x := sampleBundle()
		x.Sealed.Header.Slot = slot
		x.Sealed.Header.ElectionProof = ElectionProof(sk, x.Sealed.Header.Domain, slot, randomness)
		x.Sealed = SignBundle(sk, &x.Sealed.Header)
		return x
	}
	sub := &ReceiptSubmission{Domain: 1, Operator: 7, Receipt: *sampleReceipt()}
	SignSubmission(sk, sub)
	tests := []struct {
		name   string
		tamper func(xs []*Bundle, s *ReceiptSubmission)
		want   bool
	}{
		{"valid", func([]*Bundle, *ReceiptSubmission) {}, true},
		{"bundle seal", func(xs []*Bundle, _ *ReceiptSubmission) { xs[1].Sealed.Signature = xs[0].Sealed.Signature }, false},
		{"election proof", func(xs []*Bundle, _ *ReceiptSubmission) {
			xs[0].Sealed.Header.ElectionProof = xs[1].Sealed.Header.ElectionProof
			xs[0].Sealed = SignBundle(sk, &xs[0].Sealed.Header) // the seal still holds
		}, false},
		{"submission", func(_ []*Bundle, s *ReceiptSubmission) { s.Receipt.GasUsed++ }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			xs := []*Bundle{bundle(1), bundle(2)}
			s := *sub
			tt.tamper(xs, &s)
			var b SignatureBatch
			single := VerifySubmissionSignature(sk.PublicKey(), &s) == nil
			for _, x := range xs {
				b.AddBundle(k, x, randomness)
				single = single && CheckBundleSignatures(sk.PublicKey(), x, randomness) == nil
			}
			b.AddSubmission(k, &s)
			if b.Len() != 5 {
				t.Fatalf("%d signatures queued, want 5", b.Len())
			}
			if single != tt.want {
				t.Fatalf("the single checks say %v, the table %v", single, tt.want)
			}
			if got := b.Verify(); got != tt.want {
				t.Fatalf("Verify() = %v, want %v", got, tt.want)
			}
		})
	}
}

func BenchmarkSignatureBatch(b *testing.B) {
	const n = 4 // about a devnet block's signatures: two bundles, two each
	keys := make([]*VerifyingKey, n)
	msgs := make([][]byte, n)
	sigs := make([]Signature, n)
	for i := range n {
		sk := testKey(b, byte(i+1))
		keys[i], _ = ParsePublicKey(sk.PublicKey())
		msgs[i] = fmt.Appendf(nil, "message %d", i)
		sigs[i] = sk.Sign(msgs[i])
	}
	b.Run("one by one", func(b *testing.B) {
		for b.Loop() {
			for i := range n {
				if err := VerifySignature(keys[i].PublicKey(), msgs[i], sigs[i]); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("batch", func(b *testing.B) {
		for b.Loop() {
			var batch SignatureBatch
			for i := range n {
				batch.Add(keys[i], msgs[i], sigs[i])
			}
			if !batch.Verify() {
				b.Fatal("batch failed")
			}
		}
	})
}
