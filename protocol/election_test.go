package protocol

import (
	"errors"
	"math"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/rlp"
)

func TestElectionMessage(t *testing.T) {
	r := common.HexToHash("0x0102")
	tests := []struct {
		domain DomainID
		slot   uint64
	}{{0, 0}, {1, 7}, {math.MaxUint32, math.MaxUint64}}
	for _, tt := range tests {
		want, err := rlp.EncodeToBytes([]any{"bundle_producer_election", uint32(tt.domain), tt.slot, r})
		if err != nil {
			t.Fatal(err)
		}
		got := ElectionMessage(tt.domain, tt.slot, r)
		if string(got) != string(want) {
			t.Errorf("domain %d slot %d: message %x, want %x", tt.domain, tt.slot, got, want)
		}
		// Never the length of a signed hash: an election proof cannot pass
		// for a bundle or submission signature.
		if len(got) == common.HashLength {
			t.Errorf("domain %d slot %d: message is %d bytes", tt.domain, tt.slot, len(got))
		}
	}
	if string(ElectionMessage(1, 2, r)) == string(ElectionMessage(2, 1, r)) {
		t.Error("domain and slot are not distinguished")
	}
}

func TestSlotProbabilityValidate(t *testing.T) {
	tests := []struct {
		p  SlotProbability
		ok bool
	}{
		{SlotProbability{1, 1}, true},
		{SlotProbability{1, 6}, true},
		{SlotProbability{math.MaxUint64, math.MaxUint64}, true},
		{SlotProbability{0, 1}, false},
		{SlotProbability{1, 0}, false},
		{SlotProbability{0, 0}, false},
		{SlotProbability{2, 1}, false},
	}
	for _, tt := range tests {
		if err := tt.p.Validate(); (err == nil) != tt.ok {
			t.Errorf("%s: Validate() = %v, want ok=%v", tt.p, err, tt.ok)
		}
	}
}

// hashOf is the 256-bit big-endian hash of x, 0 ≤ x < 2^256.
func hashOf(x *big.Int) common.Hash { return common.BigToHash(x) }

func TestIsElectedBoundaries(t *testing.T) {
	two256 := new(big.Int).Lsh(big.NewInt(1), 256)
	max := new(big.Int).Sub(two256, big.NewInt(1))
	half := new(big.Int).Rsh(two256, 1)
	third := new(big.Int).Div(max, big.NewInt(3)) // (2^256−1)/3, exact
	plus := func(x *big.Int, d int64) *big.Int { return new(big.Int).Add(x, big.NewInt(d)) }
	one := SlotProbability{1, 1}
	const u = math.MaxUint64

	tests := []struct {
		name              string
		output            *big.Int
		stake, totalStake uint64
		prob              SlotProbability
		want              bool
	}{
		{"zero output wins", big.NewInt(0), 1, 1000, SlotProbability{1, 1000}, true},
		{"max output, all stake, p=1", max, 5, 5, one, true},
		{"max output, all stake at u", max, u, u, SlotProbability{u, u}, true},
		{"max output, half stake", max, 1, 2, one, false},
		{"half stake: just below 2^255", plus(half, -1), 1, 2, one, true},
		{"half stake: exactly 2^255", half, 1, 2, one, false},
		{"p=1/3: (2^256−1)/3 wins", third, 1, 1, SlotProbability{1, 3}, true},
		{"p=1/3: one above loses", plus(third, 1), 1, 1, SlotProbability{1, 3}, false},
		{"p=2/3 stake 3/4: threshold 2^255 (1/2)", plus(half, -1), 3, 4, SlotProbability{2, 3}, true},
		{"p=2/3 stake 3/4: at threshold", half, 3, 4, SlotProbability{2, 3}, false},
		{"huge numbers do not overflow", plus(half, -1), u / 2, u - 1, one, true},
		{"huge numbers: at threshold", half, u / 2, u - 1, one, false},
		{"zero stake never wins", big.NewInt(0), 0, 10, one, false},
		{"zero total stake never wins", big.NewInt(0), 1, 0, one, false},
		{"invalid probability never wins", big.NewInt(0), 1, 1, SlotProbability{1, 0}, false},
		{"p > q never wins", big.NewInt(0), 1, 1, SlotProbability{2, 1}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IsElected(hashOf(tt.output), tt.stake, tt.totalStake, tt.prob); got != tt.want {
				t.Fatalf("IsElected(%x, %d, %d, %s) = %v, want %v",
					tt.output, tt.stake, tt.totalStake, tt.prob, got, tt.want)
			}
		})
	}
}

func TestElectionAllStakeAlwaysWins(t *testing.T) {
	sk := testKey(t, 11)
	pk := sk.PublicKey()
	for slot := uint64(0); slot < 50; slot++ {
		r := h(string(rune('a' + slot)))
		proof := ElectionProof(sk, 3, slot, r)
		if err := VerifyElection(pk, 3, slot, r, proof, 100, 100, SlotProbability{1, 1}); err != nil {
			t.Fatalf("slot %d: %v", slot, err)
		}
	}
}

func TestVerifyElectionRejects(t *testing.T) {
	sk, other := testKey(t, 12), testKey(t, 13)
	pk, r := sk.PublicKey(), h("randomness")
	const domain, slot = DomainID(2), uint64(40)
	proof := ElectionProof(sk, domain, slot, r)
	all := SlotProbability{1, 1}

	// A losing slot for a tiny stake: search deterministically.
	var loseSlot uint64
	for ; IsElected(ElectionOutput(ElectionProof(sk, domain, loseSlot, r)), 1, 1000, all); loseSlot++ {
	}
	loseProof := ElectionProof(sk, domain, loseSlot, r)

	tests := []struct {
		name              string
		pk                PublicKey
		domain            DomainID
		slot              uint64
		r                 common.Hash
		proof             Signature
		stake, totalStake uint64
		prob              SlotProbability
		want              []error // nil: valid; empty: an error wrapping no sentinel
	}{
		{"valid", pk, domain, slot, r, proof, 1, 1, all, nil},
		{"other operator's key", other.PublicKey(), domain, slot, r, proof, 1, 1, all, []error{ErrBadElectionProof, ErrBadSignature}},
		{"other slot", pk, domain, slot + 1, r, proof, 1, 1, all, []error{ErrBadElectionProof, ErrBadSignature}},
		{"other domain", pk, domain + 1, slot, r, proof, 1, 1, all, []error{ErrBadElectionProof, ErrBadSignature}},
		{"other randomness", pk, domain, slot, h("other"), proof, 1, 1, all, []error{ErrBadElectionProof, ErrBadSignature}},
		{"signature over the wrong message", pk, domain, slot, r, sk.Sign([]byte("x")), 1, 1, all, []error{ErrBadElectionProof, ErrBadSignature}},
		{"infinity proof", pk, domain, slot, r, Signature{0xc0}, 1, 1, all, []error{ErrBadElectionProof, ErrBadSignature}},
		{"bad key", PublicKey{}, domain, slot, r, proof, 1, 1, all, []error{ErrBadElectionProof, ErrBadPublicKey}},
		{"valid proof, lost slot", pk, domain, loseSlot, r, loseProof, 1, 1000, all, []error{ErrNotElected}},
		{"zero stake", pk, domain, slot, r, proof, 0, 1, all, []error{ErrNotElected}},
		{"stake above total", pk, domain, slot, r, proof, 2, 1, all, []error{}},
		{"invalid probability", pk, domain, slot, r, proof, 1, 1, SlotProbability{0, 1}, []error{}},
	}
	sentinels := []error{ErrBadElectionProof, ErrNotElected, ErrBadSignature, ErrBadPublicKey}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := VerifyElection(tt.pk, tt.domain, tt.slot, tt.r, tt.proof, tt.stake, tt.totalStake, tt.prob)
			switch {
			case tt.want == nil:
				if err != nil {
					t.Fatalf("valid election rejected: %v", err)
				}
			case len(tt.want) == 0:
				if err == nil {
					t.Fatal("accepted")
				}
				for _, s := range sentinels {
					if errors.Is(err, s) {
						t.Fatalf("caller error %q wraps %v", err, s)
					}
				}
			default:
				for _, s := range tt.want {
					if !errors.Is(err, s) {
						t.Fatalf("got %v, want it to wrap %v", err, s)
					}
				}
			}
		})
	}
}

// TestElectionFrequency: over 2000 slots the win rate approaches
// p/q × stake/total. Keys and randomness are fixed, so the counts are too;
// the band is ±5 standard deviations of a binomial, so a correct election
// passes for any seed with near certainty and a wrong threshold fails.
func TestElectionFrequency(t *testing.T) {
	const slots = 2000
	sk := testKey(t, 21)
	r := h("frequency")
	outputs := make([]common.Hash, slots)
	for i := range outputs {
		outputs[i] = ElectionOutput(ElectionProof(sk, 1, uint64(i), r))
	}
	tests := []struct {
		prob              SlotProbability
		stake, totalStake uint64
	}{
		{SlotProbability{1, 1}, 1, 2},
		{SlotProbability{1, 2}, 1, 4},
		{SlotProbability{1, 6}, 3, 3},
		{SlotProbability{3, 4}, 30, 100},
		{SlotProbability{1, 1}, 1, 1000},
	}
	for _, tt := range tests {
		want := float64(tt.prob.Num) / float64(tt.prob.Den) * float64(tt.stake) / float64(tt.totalStake)
		wins := 0
		for _, out := range outputs {
			if IsElected(out, tt.stake, tt.totalStake, tt.prob) {
				wins++
			}
		}
		mean := want * slots
		band := 5 * math.Sqrt(slots*want*(1-want))
		if math.Abs(float64(wins)-mean) > band {
			t.Errorf("p=%s stake %d/%d: %d wins of %d, want %.0f ± %.0f",
				tt.prob, tt.stake, tt.totalStake, wins, slots, mean, band)
		}
	}
}

func BenchmarkVerifyElection(b *testing.B) {
	sk := testKey(b, 1)
	pk, r := sk.PublicKey(), h("bench")
	proof := ElectionProof(sk, 1, 1, r)
	for b.Loop() {
		if err := VerifyElection(pk, 1, 1, r, proof, 1, 1, SlotProbability{1, 1}); err != nil {
			b.Fatal(err)
		}
	}
}
