package proof

import (
	"context"
	"testing"

	"github.com/ethereum/go-ethereum/rlp"
)

// benchKinds names, per proof kind, the fixture fault that benchmarks it.
var benchKinds = []struct{ kind, fault string }{
	{"StateTransition/init", "trace init"},
	{"StateTransition/tx", "trace storage tx"},
	{"StateTransition/tx-blockhash", "trace blockhash tx"},
	{"StateTransition/finalise", "trace finalise"},
	{"StateTransition/trace-length", "trace too long"},
	{"ExtrinsicsRoot", "extrinsics root"},
	{"BundleValidity", "bundle wrongly Valid"},
	{"ExecutionResult", "operator fees"},
	{"DomainBlockHash", "domain block hash"},
}

func benchCases(b *testing.B) (*fixture, map[string]badCase) {
	f := newFixture(b)
	cases := map[string]badCase{}
	for _, c := range f.build(b) {
		cases[c.name] = c
	}
	return f, cases
}

func proofBytes(b *testing.B, c badCase) float64 {
	enc, err := rlp.EncodeToBytes(c.proof)
	if err != nil {
		b.Fatal(err)
	}
	return float64(len(enc))
}

// BenchmarkBuild measures Build per kind on the fixture block (6 txs), and
// reports the proof's encoded size.
func BenchmarkBuild(b *testing.B) {
	f, cases := benchCases(b)
	ctx := context.Background()
	for _, k := range benchKinds {
		c := cases[k.fault]
		b.Run(k.kind, func(b *testing.B) {
			for b.Loop() {
				if _, err := Build(ctx, c.bad, f.honestInput(f.n)); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(proofBytes(b, c), "proof-bytes")
		})
	}
}

// BenchmarkVerify measures stateless verification per kind.
func BenchmarkVerify(b *testing.B) {
	f, cases := benchCases(b)
	v := f.verifier()
	ctx := context.Background()
	for _, k := range benchKinds {
		c := cases[k.fault]
		b.Run(k.kind, func(b *testing.B) {
			for b.Loop() {
				if err := v.Verify(ctx, c.state, c.proof); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(proofBytes(b, c), "proof-bytes")
		})
	}
}
