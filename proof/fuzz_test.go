package proof

import (
	"context"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/rlp"

	"github.com/receiptd/receiptd/protocol"
)

// FuzzVerify feeds arbitrary proof bytes to the verifier against the
// fixture chain with each fault's bad ER pending, and with the honest ER
// pending. Nothing may panic or hang, and nothing may prove the honest ER
// wrong. The seeds are the built proofs of every fault.
func FuzzVerify(f *testing.F) {
	fx := newFixture(f)
	v := fx.verifier()
	cases := fx.build(f)
	states := make([]*protocol.State, 0, len(cases)+1)
	for i, c := range cases {
		enc, err := rlp.EncodeToBytes(c.proof)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(uint8(i), enc)
		states = append(states, c.state)
	}
	honest := len(states)
	states = append(states, fx.submit(fx.honest[fx.n]))
	for i, c := range cases {
		// The same proofs, retargeted at the honest ER.
		p := *c.proof
		p.BadReceiptHash = fx.honest[fx.n].Hash()
		enc, err := rlp.EncodeToBytes(&p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(uint8(honest+i*len(states)), enc)
	}
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		p, err := protocol.DecodeProof(data)
		if err != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		i := int(which) % len(states)
		start := time.Now()
		err = v.Verify(ctx, states[i], p)
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("verification took %v", d)
		}
		if i == honest && err == nil {
			t.Fatalf("a %s proof verified against the honest receipt", p.Kind())
		}
	})
}
