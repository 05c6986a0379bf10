package verifier

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/receiptd/receiptd/devnet"
	"github.com/receiptd/receiptd/protocol"
)

// The preparer checks a block's signatures in one batch; when the batch
// fails, the verdict names the bad signature as the one-by-one checks do.
func TestPrepareSignatures(t *testing.T) {
	d := newDevnet(t, devnet.Config{Seed: 33, Domains: 2, TxPerBlock: 4, ForkProbability: -1})
	var (
		b      *protocol.Block
		parent common.Hash
	)
	for range 20 {
		step(t, d)
		head := d.Head()
		if len(head.Body.Bundles) >= 2 {
			b = head
			prev, err := d.BlockByNumber(head.Header.Number - 1)
			if err != nil {
				t.Fatal(err)
			}
			parent = prev.Header.Randomness
			break
		}
	}
	if b == nil {
		t.Fatal("no block with two bundles in 20 slots")
	}
	net := d.Network()
	last := len(b.Body.Bundles) - 1
	tests := []struct {
		name   string
		ops    func([]protocol.Operator) []protocol.Operator
		tamper func(b *protocol.Block)
		want   error  // nil: the block's signatures are valid
		names  string // what the error must name
	}{
		{"valid", nil, nil, nil, ""},
		{"bundle seal", nil, func(b *protocol.Block) { b.Body.Bundles[last].Sealed.Signature[3] ^= 1 },
			protocol.ErrBadSignature, "bundle " + strconv.Itoa(last)},
		{"election proof", nil, func(b *protocol.Block) {
			h := &b.Body.Bundles[0].Sealed.Header
			h.ElectionProof = b.Body.Bundles[last].Sealed.Header.ElectionProof
		}, protocol.ErrBadSignature, "bundle 0"},
		{"unknown operator", func(ops []protocol.Operator) []protocol.Operator {
			var out []protocol.Operator
			for _, op := range ops {
				if op.ID != b.Body.Bundles[last].Sealed.Header.Operator {
					out = append(out, op)
				}
			}
			return out
		}, nil, protocol.ErrUnknownOperator, "bundle " + strconv.Itoa(last)},
		{"operator key that does not decode", func(ops []protocol.Operator) []protocol.Operator {
			out := append([]protocol.Operator(nil), ops...)
			for i := range out {
				if out[i].ID == b.Body.Bundles[0].Sealed.Header.Operator {
					out[i].PublicKey = protocol.PublicKey{}
				}
			}
			return out
		}, nil, protocol.ErrBadPublicKey, "bundle 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ops := net.Spec.Operators
			if tt.ops != nil {
				ops = tt.ops(ops)
			}
			blk := b
			if tt.tamper != nil {
				blk = copyBlock(b) // bundles copied: b stays as the devnet made it
				tt.tamper(blk)
			}
			p := newPreparer(ops, nil, 2)
			pb, err := p.prepare(context.Background(), blk, parent)
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case tt.want == nil && pb.sigError != nil:
				t.Fatalf("valid block rejected: %v", pb.sigError)
			case tt.want != nil && !errors.Is(pb.sigError, tt.want):
				t.Fatalf("got %v, want %v", pb.sigError, tt.want)
			case tt.want != nil && !strings.HasPrefix(pb.sigError.Error(), tt.names+":"):
				t.Fatalf("error %q does not name %s", pb.sigError, tt.names)
			}
		})
	}
}
