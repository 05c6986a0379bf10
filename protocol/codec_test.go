package protocol

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/params"
	"github.com/ethereum/go-ethereum/rlp"
)

func mustEncode(t testing.TB, v any) []byte {
	t.Helper()
	b, err := rlp.EncodeToBytes(v)
	if err != nil {
		t.Fatalf("encode %T: %v", v, err)
	}
	return b
}

// Every sample value decodes from its encoding to a value that encodes to
// the same bytes and has the same hash.
func TestRoundTrip(t *testing.T) {
	type decodeFunc func([]byte) (any, error)
	cases := []struct {
		name   string
		value  any
		decode decodeFunc
		hash   func(any) common.Hash
	}{
		{"receipt", sampleReceipt(), func(b []byte) (any, error) { return DecodeReceipt(b) },
			func(v any) common.Hash { return v.(*ExecutionReceipt).Hash() }},
		{"bundle", sampleBundle(), func(b []byte) (any, error) { return DecodeBundle(b) },
			func(v any) common.Hash { return v.(*Bundle).Hash() }},
		{"block", sampleBlock(), func(b []byte) (any, error) { return DecodeBlock(b) },
			func(v any) common.Hash { return v.(*Block).Hash() }},
		{"header", &sampleBlock().Header, func(b []byte) (any, error) { return DecodeHeader(b) },
			func(v any) common.Hash { return v.(*Header).Hash() }},
	}
	for i, p := range sampleProofs() {
		cases = append(cases, struct {
			name   string
			value  any
			decode decodeFunc
			hash   func(any) common.Hash
		}{"proof/" + p.Kind().String() + "/" + string(rune('a'+i)), p,
			func(b []byte) (any, error) { return DecodeProof(b) },
			func(v any) common.Hash { return v.(*FraudProof).Hash() }})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			enc := mustEncode(t, tc.value)
			got, err := tc.decode(enc)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if again := mustEncode(t, got); !bytes.Equal(again, enc) {
				t.Fatalf("re-encoding differs:\n got %x\nwant %x", again, enc)
			}
			if tc.hash(got) != tc.hash(tc.value) {
				t.Fatalf("hash changed across the round trip")
			}
		})
	}
}

// Identities are keccak(rlp(...)) of the value or, for blocks and bundles,
// of their header.
func TestHashes(t *testing.T) {
	r, b, blk, p := sampleReceipt(), sampleBundle(), sampleBlock(), sampleProofs()[0]
	cases := []struct {
		name      string
		got, want common.Hash
	}{
		{"receipt", r.Hash(), crypto.Keccak256Hash(mustEncode(t, r))},
		{"bundle", b.Hash(), crypto.Keccak256Hash(mustEncode(t, &b.Sealed.Header))},
		{"block", blk.Hash(), crypto.Keccak256Hash(mustEncode(t, &blk.Header))},
		{"proof", p.Hash(), crypto.Keccak256Hash(mustEncode(t, p))},
	}
	for _, tc := range cases {
		if tc.got != tc.want {
			t.Errorf("%s: hash %s, want %s", tc.name, tc.got, tc.want)
		}
	}
	if r.Hash() == sampleReceipt().Hash() {
		r.GasUsed++
		if r.Hash() == sampleReceipt().Hash() {
			t.Error("receipt hash ignores gas used")
		}
	}
}

func TestProofKindOfDecoded(t *testing.T) {
	for _, p := range sampleProofs() {
		got, err := DecodeProof(mustEncode(t, p))
		if err != nil {
			t.Fatal(err)
		}
		if got.Kind() != p.Kind() || got.Kind() == 0 {
			t.Errorf("kind %v, want %v", got.Kind(), p.Kind())
		}
	}
}

// Each malformed input is rejected with an error that wraps ErrMalformed and
// names the problem.
func TestDecodeRejects(t *testing.T) {
	receipt := mustEncode(t, sampleReceipt())
	proof := mustEncode(t, sampleProofs()[2])

	unknownKind := mustEncode(t, []any{uint32(1), common.Hash{}, uint8(9), []any{}})
	validWithIndex := sampleReceipt()
	validWithIndex.InboxedBundles[0].Validity.TxIndex = 4
	unknownInvalid := sampleReceipt()
	unknownInvalid.InboxedBundles[1].Validity.Invalid = 7
	invalidWithDigest := sampleReceipt()
	invalidWithDigest.InboxedBundles[1].Validity.Digest = common.Hash{1}
	longTrace := sampleReceipt()
	longTrace.Trace = make([]common.Hash, MaxTraceLen+1)
	manyExtrinsics := sampleBundle()
	manyExtrinsics.Extrinsics = make([][]byte, MaxExtrinsicsPerBundle+1)
	bigExtrinsic := sampleBundle()
	bigExtrinsic.Extrinsics = [][]byte{make([]byte, MaxExtrinsicBytes+1)}
	unknownPhase := sampleProofs()[0]
	unknownPhase.StateTransition.Phase = 9
	initWithTx := sampleProofs()[0]
	initWithTx.StateTransition.Phase = PhaseInit
	unknownField := sampleProofs()[5]
	unknownField.ExecutionResult.Field = 0
	badRoots := sampleBlock()
	badRoots.Header.BundlesRoot = common.Hash{}

	cases := []struct {
		name   string
		decode func([]byte) error
		input  []byte
		want   string
	}{
		{"trailing bytes", decodeReceipt, append(append([]byte{}, receipt...), 0x80), "input contains more than one value"},
		{"truncated", decodeReceipt, receipt[:len(receipt)-1], "receipt"},
		{"empty", decodeProof, nil, "fraud proof"},
		{"unknown proof kind", decodeProof, unknownKind, "unknown proof kind 9"},
		{"proof trailing bytes", decodeProof, append(append([]byte{}, proof...), 0xc0), "more than one value"},
		{"valid with index", decodeReceipt, mustEncode(t, validWithIndex), "Valid entry with tx index 4"},
		{"unknown invalid kind", decodeReceipt, mustEncode(t, unknownInvalid), "unknown invalid kind 7"},
		{"invalid with digest", decodeReceipt, mustEncode(t, invalidWithDigest), "Invalid entry with a digest"},
		{"oversized trace", decodeReceipt, mustEncode(t, longTrace), "receipt trace"},
		{"too many extrinsics", decodeBundle, mustEncode(t, manyExtrinsics), "bundle extrinsics"},
		{"oversized extrinsic", decodeBundle, mustEncode(t, bigExtrinsic), "limit"},
		{"unknown phase", decodeProof, mustEncode(t, unknownPhase), "unknown phase 9"},
		{"init with tx", decodeProof, mustEncode(t, initWithTx), "carries a tx"},
		{"unknown result field", decodeProof, mustEncode(t, unknownField), "unknown field 0"},
		{"oversized input", decodeReceipt, make([]byte, MaxReceiptBytes+1), "limit"},
		{"non-canonical integer", decodeHeader, []byte{0xc2, 0x81, 0x01}, "receipt"},
	}
	// The last case is replaced: a header whose number has a leading zero byte.
	cases[len(cases)-1] = struct {
		name   string
		decode func([]byte) error
		input  []byte
		want   string
	}{"non-canonical integer", decodeHeader, nonCanonicalHeader(t), "non-canonical"}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.decode(tc.input)
			if err == nil {
				t.Fatal("decoded without error")
			}
			if !errors.Is(err, ErrMalformed) {
				t.Errorf("error %q does not wrap ErrMalformed", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not mention %q", err, tc.want)
			}
		})
	}
	t.Run("header roots", func(t *testing.T) {
		_, err := DecodeBlock(mustEncode(t, badRoots))
		if !errors.Is(err, ErrBodyMismatch) {
			t.Fatalf("got %v, want ErrBodyMismatch", err)
		}
	})
}

func decodeReceipt(b []byte) error { _, err := DecodeReceipt(b); return err }
func decodeProof(b []byte) error   { _, err := DecodeProof(b); return err }
func decodeBundle(b []byte) error  { _, err := DecodeBundle(b); return err }
func decodeHeader(b []byte) error  { _, err := DecodeHeader(b); return err }

// nonCanonicalHeader encodes a header whose number is 0x0001 instead of 0x01.
func nonCanonicalHeader(t *testing.T) []byte {
	enc := mustEncode(t, &Header{Number: 1})
	// [0xf8 len, 0x01, ...]: find the number's single byte after the list prefix.
	i := 1
	if enc[0] > 0xf7 {
		i += int(enc[0] - 0xf7)
	}
	if enc[i] != 0x01 {
		t.Fatalf("unexpected header encoding %x", enc)
	}
	out := append([]byte{}, enc[:i]...)
	out = append(out, 0x82, 0x00, 0x01)
	out = append(out, enc[i+1:]...)
	// Fix the list length: it grew by two bytes.
	return rlpRelist(t, out[i:])
}

func rlpRelist(t *testing.T, payload []byte) []byte {
	var buf bytes.Buffer
	if len(payload) < 56 {
		buf.WriteByte(0xc0 + byte(len(payload)))
	} else {
		buf.Write([]byte{0xf8, byte(len(payload))})
	}
	buf.Write(payload)
	return buf.Bytes()
}

func TestProofWithoutPayloadDoesNotEncode(t *testing.T) {
	two := sampleProofs()[0]
	two.ExtrinsicsRoot = &ExtrinsicsRootProof{}
	for _, p := range []*FraudProof{{Domain: 1}, two} {
		if _, err := rlp.EncodeToBytes(p); !errors.Is(err, ErrProofPayload) {
			t.Errorf("encode %+v: got %v, want ErrProofPayload", p, err)
		}
	}
}

// The extrinsics root of decodable transactions is go-ethereum's DeriveSha,
// and a root exists for bytes that do not decode.
func TestExtrinsicsRootMatchesDeriveSha(t *testing.T) {
	key, _ := crypto.GenerateKey()
	signer := types.LatestSigner(params.MergedTestChainConfig)
	var (
		txs types.Transactions
		raw [][]byte
	)
	for i := range 20 {
		var inner types.TxData = &types.LegacyTx{Nonce: uint64(i), Gas: 21000, GasPrice: common.Big1}
		if i%2 == 1 {
			inner = &types.DynamicFeeTx{ChainID: params.MergedTestChainConfig.ChainID, Nonce: uint64(i), Gas: 21000, GasFeeCap: common.Big2, GasTipCap: common.Big1}
		}
		tx := types.MustSignNewTx(key, signer, inner)
		txs = append(txs, tx)
		b, err := tx.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		raw = append(raw, b)
		if got, want := ExtrinsicsRoot(raw), types.DeriveSha(txs, trieHasher()); got != want {
			t.Fatalf("%d txs: root %s, DeriveSha %s", i+1, got, want)
		}
	}
	withJunk := append(raw[:3:3], []byte{0x7f, 0x01})
	if ExtrinsicsRoot(withJunk) == ExtrinsicsRoot(raw[:3]) {
		t.Fatal("undecodable extrinsic did not change the root")
	}
	if ExtrinsicsRoot(nil) != types.EmptyTxsHash {
		t.Fatal("empty extrinsics root is not the empty trie root")
	}
}
