package protocol

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	blst "github.com/supranational/blst/bindings/go"
)

// testKey derives a deterministic key from a seed byte, so tests are
// reproducible.
func testKey(t testing.TB, seed byte) *SecretKey {
	t.Helper()
	sk, err := GenerateKey(bytes.Repeat([]byte{seed}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return sk
}

func TestGenerateKey(t *testing.T) {
	if _, err := GenerateKey(make([]byte, 31)); err == nil {
		t.Error("31 bytes of keying material accepted")
	}
	if _, err := GenerateKey(nil); err == nil {
		t.Error("nil keying material accepted")
	}
	ikm := []byte("receiptd test keying material, 32+ bytes")
	a, err := GenerateKey(ikm)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := GenerateKey(bytes.Clone(ikm))
	if a.PublicKey() != b.PublicKey() {
		t.Error("same keying material gave different keys")
	}
	if a.Sign([]byte("m")) != b.Sign([]byte("m")) {
		t.Error("same key signed the same message differently")
	}
	ikm[0] ^= 1
	c, _ := GenerateKey(ikm)
	if a.PublicKey() == c.PublicKey() {
		t.Error("different keying material gave the same key")
	}
	if err := ValidatePublicKey(a.PublicKey()); err != nil {
		t.Errorf("generated key does not validate: %v", err)
	}
}

// TestEthereumVector checks key handling, hashing to G2 and point encoding
// against the Ethereum consensus spec tests' vector sign_case_8cd3d4d0d9a5b265.
// Ethereum uses the proof-of-possession DST, so the vector is checked under
// that DST; the same key's signature under ours is pinned beside it.
func TestEthereumVector(t *testing.T) {
	const ethDST = "BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_"
	var sk SecretKey
	if sk.sk.Deserialize(common.FromHex("0x263dbd792f5b1be47ed85f8938c0f29586af0d3ac7b977f21c278fe1462040e3")) == nil {
		t.Fatal("vector secret key does not deserialize")
	}
	msg := bytes.Repeat([]byte{0x56}, 32)
	const (
		wantPK     = "0xa491d1b0ecd9bb917989f0e74f0dea0422eac4a873e5e2644f368dffb9a6e20fd6e10c1b77654d067c0618f6e5a7f79a"
		wantEthSig = "0x882730e5d03f6b42c3abc26d3372625034e1d871b65a8a6b900a56dae22da98abbe1b68f85e49fe7652a55ec3d0591c20767677e33e5cbb1207315c41a9ac03be39c2e7668edc043d6cb1d9fd93033caa8a1c5b0e84bedaeb6c64972503a43eb"
		wantSig    = "0xa85ec37c3ad44795958e94399a04079a51bdb070bbbf06586fb126310a4726e85dd29a2e56180af97b26d60900f8827c0dc79c4676ce3ad633ecad86e354f029a22fb0a107715e2a4cf9bfff66c3644914c3f3c64dfc468e15b0d83be3e92c87"
	)
	pk := sk.PublicKey()
	if pk.String() != wantPK {
		t.Errorf("public key %s, want %s", pk, wantPK)
	}
	ethSig := sk.signDST(msg, ethDST)
	if ethSig.String() != wantEthSig {
		t.Errorf("signature under Ethereum's DST %s, want %s", ethSig, wantEthSig)
	}
	if err := verifyDST(pk, msg, ethSig, ethDST); err != nil {
		t.Errorf("Ethereum vector does not verify: %v", err)
	}
	if err := VerifySignature(pk, msg, ethSig); !errors.Is(err, ErrBadSignature) {
		t.Errorf("signature under another DST: got %v, want ErrBadSignature", err)
	}
	if sig := sk.Sign(msg); sig.String() != wantSig {
		t.Errorf("signature %s, want %s", sig, wantSig)
	}
}

// TestGenerateKeyVector pins GenerateKey's derivation: devnet operator keys
// are derived from seeds, so a change here changes every devnet key.
func TestGenerateKeyVector(t *testing.T) {
	ikm := make([]byte, 32)
	for i := range ikm {
		ikm[i] = byte(i)
	}
	sk, err := GenerateKey(ikm)
	if err != nil {
		t.Fatal(err)
	}
	const want = "0x9112a0386a2340714ba0c6d2df235377a8679c3899d03e6ef04dba7a50ef49e5a1dc93105e9374e93ed301b63487e17c"
	if got := sk.PublicKey().String(); got != want {
		t.Errorf("public key %s, want %s", got, want)
	}
}

// notInG1 is a point on the G1 curve outside the prime-order subgroup: the
// first x = 1, 2, ... whose compressed encoding decodes but fails the
// subgroup check (almost every curve point does, the cofactor is ~2^126).
func notInG1(t testing.TB) PublicKey {
	t.Helper()
	for x := 1; x < 1000; x++ {
		var pk PublicKey
		pk[0] = 0x80
		pk[47] = byte(x)
		pk[46] = byte(x >> 8)
		if p := new(blst.P1Affine).Uncompress(pk[:]); p != nil && !p.InG1() {
			return pk
		}
	}
	t.Fatal("no G1 point outside the subgroup found")
	return PublicKey{}
}

// notInG2 is the G2 analogue of notInG1, with x = (x0, 0) in Fp2. The
// compressed encoding puts x's imaginary part first.
func notInG2(t testing.TB) Signature {
	t.Helper()
	for x := 1; x < 1000; x++ {
		var sig Signature
		sig[0] = 0x80
		sig[95] = byte(x)
		sig[94] = byte(x >> 8)
		if p := new(blst.P2Affine).Uncompress(sig[:]); p != nil && !p.InG2() {
			return sig
		}
	}
	t.Fatal("no G2 point outside the subgroup found")
	return Signature{}
}

func TestBLSVerify(t *testing.T) {
	sk, other := testKey(t, 1), testKey(t, 2)
	pk, msg := sk.PublicKey(), []byte("bundle header hash")
	sig := sk.Sign(msg)

	flip := func(b []byte, i int) { b[i] ^= 0x01 }
	pkFlipped, sigFlipped := pk, sig
	flip(pkFlipped[:], 47)
	flip(sigFlipped[:], 95)
	var pkInf PublicKey
	pkInf[0] = 0xc0
	var sigInf Signature
	sigInf[0] = 0xc0
	var pkUncompressedFlag PublicKey = pk
	pkUncompressedFlag[0] &^= 0x80 // compression bit cleared: not a 48-byte encoding

	tests := []struct {
		name string
		pk   PublicKey
		msg  []byte
		sig  Signature
		want error
		says string // a phrase the error must contain, when set
	}{
		{"valid", pk, msg, sig, nil, ""},
		{"empty message", pk, nil, sk.Sign(nil), nil, ""},
		{"wrong key", other.PublicKey(), msg, sig, ErrBadSignature, "does not verify"},
		{"wrong message", pk, []byte("bundle header hasH"), sig, ErrBadSignature, ""},
		{"other key's signature", pk, msg, other.Sign(msg), ErrBadSignature, ""},
		{"flipped signature byte", pk, msg, sigFlipped, ErrBadSignature, ""},
		{"flipped key byte", pkFlipped, msg, sig, ErrBadPublicKey, ""},
		{"zero key", PublicKey{}, msg, sig, ErrBadPublicKey, "not a compressed"},
		{"zero signature", pk, msg, Signature{}, ErrBadSignature, ""},
		{"infinity key", pkInf, msg, sig, ErrBadPublicKey, "infinity"},
		{"infinity signature", pk, msg, sigInf, ErrBadSignature, "infinity"},
		{"uncompressed flag", pkUncompressedFlag, msg, sig, ErrBadPublicKey, ""},
		{"key not in subgroup", notInG1(t), msg, sig, ErrBadPublicKey, "subgroup"},
		{"signature not in subgroup", pk, msg, notInG2(t), ErrBadSignature, "subgroup"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := VerifySignature(tt.pk, tt.msg, tt.sig)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("valid signature rejected: %v", err)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.says) {
				t.Fatalf("error %q does not say %q", err, tt.says)
			}
		})
	}
}

// TestZeroSecretKey: the zero SecretKey makes the infinity key and
// signature, which verification rejects, rather than panicking.
func TestZeroSecretKey(t *testing.T) {
	var sk SecretKey
	msg := []byte("m")
	if err := VerifySignature(sk.PublicKey(), msg, sk.Sign(msg)); !errors.Is(err, ErrBadPublicKey) {
		t.Fatalf("zero key: got %v, want ErrBadPublicKey", err)
	}
	if err := VerifySignature(testKey(t, 1).PublicKey(), msg, sk.Sign(msg)); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("zero key's signature: got %v, want ErrBadSignature", err)
	}
}

func TestSignBundle(t *testing.T) {
	sk, other := testKey(t, 3), testKey(t, 4)
	h := sampleBundle().Sealed.Header
	sealed := SignBundle(sk, &h)
	if sealed.Header.Hash() != h.Hash() {
		t.Fatal("sealing changed the header")
	}
	if err := VerifyBundleSignature(sk.PublicKey(), &sealed); err != nil {
		t.Fatalf("sealed bundle rejected: %v", err)
	}
	if err := VerifyBundleSignature(other.PublicKey(), &sealed); !errors.Is(err, ErrBadSignature) {
		t.Errorf("other operator's key: got %v, want ErrBadSignature", err)
	}
	tampered := sealed
	tampered.Header.DeclaredGas++
	if err := VerifyBundleSignature(sk.PublicKey(), &tampered); !errors.Is(err, ErrBadSignature) {
		t.Errorf("tampered header: got %v, want ErrBadSignature", err)
	}
	// The signature is over the header hash, and nothing else.
	hash := h.Hash()
	if err := VerifySignature(sk.PublicKey(), hash[:], sealed.Signature); err != nil {
		t.Errorf("signature is not over the header hash: %v", err)
	}
}

func TestSignSubmission(t *testing.T) {
	sk := testKey(t, 5)
	s := &ReceiptSubmission{Domain: 1, Operator: 7, Receipt: *sampleReceipt()}
	SignSubmission(sk, s)
	if err := VerifySubmissionSignature(sk.PublicKey(), s); err != nil {
		t.Fatalf("signed submission rejected: %v", err)
	}
	tests := []struct {
		name   string
		tamper func(*ReceiptSubmission)
	}{
		{"domain", func(s *ReceiptSubmission) { s.Domain++ }},
		{"operator", func(s *ReceiptSubmission) { s.Operator++ }},
		{"receipt", func(s *ReceiptSubmission) { s.Receipt.GasUsed++ }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := *s
			tt.tamper(&c)
			if err := VerifySubmissionSignature(sk.PublicKey(), &c); !errors.Is(err, ErrBadSignature) {
				t.Fatalf("got %v, want ErrBadSignature", err)
			}
		})
	}
}

// FuzzVerifySignature: arbitrary bytes never panic, and every rejection
// wraps one of the two sentinels.
func FuzzVerifySignature(f *testing.F) {
	sk := testKey(f, 9)
	pk, msg := sk.PublicKey(), []byte("seed")
	sig := sk.Sign(msg)
	f.Add(pk[:], msg, sig[:])
	f.Add(make([]byte, 48), msg, make([]byte, 96))
	inf := func(n int) []byte { b := make([]byte, n); b[0] = 0xc0; return b }
	f.Add(inf(48), msg, inf(96))
	f.Add(pk[:], []byte{}, sig[:])
	f.Fuzz(func(t *testing.T, pkb, msg, sigb []byte) {
		var pk PublicKey
		var sig Signature
		copy(pk[:], pkb)
		copy(sig[:], sigb)
		err := VerifySignature(pk, msg, sig)
		if err != nil && !errors.Is(err, ErrBadPublicKey) && !errors.Is(err, ErrBadSignature) {
			t.Fatalf("rejection wraps no sentinel: %v", err)
		}
	})
}

func BenchmarkSign(b *testing.B) {
	sk, msg := testKey(b, 1), bytes.Repeat([]byte{0xab}, 32)
	for b.Loop() {
		sk.Sign(msg)
	}
}

func BenchmarkVerifySignature(b *testing.B) {
	sk, msg := testKey(b, 1), bytes.Repeat([]byte{0xab}, 32)
	pk, sig := sk.PublicKey(), sk.Sign(msg)
	for b.Loop() {
		if err := VerifySignature(pk, msg, sig); err != nil {
			b.Fatal(err)
		}
	}
}
