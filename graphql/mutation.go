package graphql

import (
	"context"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"

	"github.com/receiptd/receiptd/protocol"
)

type submitResult struct {
	accepted bool
	hash     *common.Hash
	kind     *string
	reason   *string
}

func (r *submitResult) Accepted() bool          { return r.accepted }
func (r *submitResult) ProofHash() *common.Hash { return r.hash }
func (r *submitResult) Kind() *string           { return r.kind }
func (r *submitResult) Reason() *string         { return r.reason }

func refused(format string, args ...any) *submitResult {
	s := fmt.Sprintf(format, args...)
	return &submitResult{reason: &s}
}

// SubmitFraudProof decodes a proof, verifies it statelessly and relays it.
// Over the client's rate it is an error; a proof that fails is a result
// with the reason.
func (r *resolver) SubmitFraudProof(ctx context.Context, args struct{ Proof hexutil.Bytes }) (*submitResult, error) {
	if ok, wait := r.srv.submit.allow(clientFrom(ctx)); !ok {
		return nil, fmt.Errorf("rate limited: submitFraudProof allows %d proofs per client, then one every %s; retry in %s",
			r.srv.cfg.SubmitBurst, r.srv.cfg.SubmitEvery, wait.Round(1e6))
	}
	if r.srv.cfg.Verify == nil || r.srv.cfg.Submit == nil {
		return refused("this node does not relay fraud proofs"), nil
	}
	p, err := protocol.DecodeProof(args.Proof)
	if err != nil {
		return refused("malformed proof: %v", err), nil
	}
	h := p.Hash()
	kind := nameOf(proofKinds, p.Kind())
	res := func(accepted bool, reason string) *submitResult {
		out := &submitResult{accepted: accepted, hash: &h, kind: &kind}
		if reason != "" {
			out.reason = &reason
		}
		return out
	}
	if err := r.srv.cfg.Verify(ctx, p); err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("verification ran over the time limit")
		}
		return res(false, "the proof does not verify: "+err.Error()), nil
	}
	withoutSlot(ctx, func() { err = r.srv.cfg.Submit(ctx, p) })
	if err != nil {
		r.srv.cfg.Logger.Warn("graphql: relay fraud proof", "proof", h, "err", err)
		return res(false, "the proof verifies but the chain refused it: "+err.Error()), nil
	}
	return res(true, ""), nil
}
