package devnet

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/rpc"

	"github.com/receiptd/receiptd/protocol"
)

// The node's JSON-RPC 2.0 API, namespace "devnet". Every method is served
// over HTTP (POST /) and WebSocket on the same port; the subscription only
// over WebSocket. API.md beside this file shows each call on the wire.
//
// Error codes, besides JSON-RPC's own (-32602 for malformed params):
const (
	// CodeNotFound: no block or proof by that number or hash.
	CodeNotFound = -32001
	// CodeProofRejected: the devnet checked the fraud proof and refused it.
	CodeProofRejected = -32002
	// CodeNoVerifier: the devnet has no fraud-proof verifier configured.
	CodeNoVerifier = -32003
	// CodeInternal: the node failed to encode its own data.
	CodeInternal = -32010
)

// ErrUnknownProof reports a proof hash the devnet was never given.
var ErrUnknownProof = errors.New("devnet: unknown fraud proof")

// apiError is an error with a JSON-RPC code (rpc.Error).
type apiError struct {
	code int
	msg  string
}

func (e *apiError) Error() string  { return e.msg }
func (e *apiError) ErrorCode() int { return e.code }

var _ rpc.Error = (*apiError)(nil)

func errorWithCode(code int, err error) error { return &apiError{code: code, msg: err.Error()} }

// OperatorInfo is one devnet_operators entry: an operator as the canonical
// head's state has it.
type OperatorInfo struct {
	ID        protocol.OperatorID `json:"id"`
	Domain    protocol.DomainID   `json:"domain"`
	Stake     hexutil.Uint64      `json:"stake"`
	Status    string              `json:"status"` // "active" or "slashed"
	PublicKey hexutil.Bytes       `json:"publicKey"`
	// Rewards are the fees paid by confirmed receipts it backed, in wei.
	Rewards hexutil.U256 `json:"rewards"`
}

// DomainInfo is one devnet_domains entry: a registered domain's config and
// where its block tree stands at the canonical head.
type DomainInfo struct {
	ID              protocol.DomainID `json:"id"`
	ChainID         hexutil.Uint64    `json:"chainId"`
	GenesisHash     common.Hash       `json:"genesisHash"`
	GenesisRoot     common.Hash       `json:"genesisRoot"`
	GasLimit        hexutil.Uint64    `json:"gasLimit"`
	BundleGasCap    hexutil.Uint64    `json:"bundleGasCap"`
	SlotProbability [2]hexutil.Uint64 `json:"slotProbability"` // [p, q]
	ChallengePeriod hexutil.Uint64    `json:"challengePeriod"`
	// NextBlock is the number of the next domain block a consensus block
	// with this domain's bundles derives.
	NextBlock hexutil.Uint64 `json:"nextBlock"`
	// HeadReceipt is the block tree's head ER.
	HeadReceipt ReceiptRef `json:"headReceipt"`
	// Confirmed is the number of the newest confirmed ER.
	Confirmed hexutil.Uint64 `json:"confirmed"`
}

// ReceiptRef names an execution receipt and the domain block it is about.
type ReceiptRef struct {
	Number     hexutil.Uint64 `json:"number"`
	Hash       common.Hash    `json:"hash"`
	DomainHash common.Hash    `json:"domainHash"`
}

// WireProofStatus is the devnet_proofStatus result.
type WireProofStatus struct {
	State  string `json:"state"` // "queued", "included" or "rejected"
	Reason string `json:"reason,omitempty"`
}

// api is the receiver registered under "devnet". Its exported methods are
// the RPC methods; rpc turns each name's first letter to lower case.
type api struct {
	d    *Devnet
	net  *WireNetwork
	subs *subscribers
	log  *slog.Logger
}

// Network (devnet_network) returns the chain spec and domain geneses a
// follower starts from.
func (a *api) Network() *WireNetwork { return a.net }

// Head (devnet_head) returns the canonical head block.
func (a *api) Head() (*WireBlock, error) { return wireBlock(a.d.Head()) }

// HeadNumber (devnet_headNumber) returns the canonical head's number: what
// a follower polls, without the block (which may be megabytes).
func (a *api) HeadNumber() hexutil.Uint64 { return hexutil.Uint64(a.d.Head().Header.Number) }

// BlockByNumber (devnet_blockByNumber, param "0x…") returns the canonical
// block at a number.
func (a *api) BlockByNumber(n hexutil.Uint64) (*WireBlock, error) {
	b, err := a.d.BlockByNumber(uint64(n))
	if err != nil {
		return nil, errorWithCode(CodeNotFound, fmt.Errorf("%w: no canonical block #%d (head #%d)", ErrUnknownBlock, n, a.d.Head().Header.Number))
	}
	return wireBlock(b)
}

// BlockByHash (devnet_blockByHash, param 32-byte hash) returns a canonical
// block or a recent fork block.
func (a *api) BlockByHash(h common.Hash) (*WireBlock, error) {
	b, err := a.d.BlockByHash(h)
	if err != nil {
		return nil, errorWithCode(CodeNotFound, err)
	}
	return wireBlock(b)
}

// Operators (devnet_operators) lists every operator by id as the
// canonical head's state has it.
func (a *api) Operators() []OperatorInfo {
	ops := a.d.HeadState().Operators()
	out := make([]OperatorInfo, 0, len(ops))
	for _, o := range ops {
		out = append(out, OperatorInfo{
			ID: o.ID, Domain: o.Domain, Stake: hexutil.Uint64(o.Stake), Status: o.Status.String(),
			PublicKey: o.PublicKey[:], Rewards: hexutil.U256(o.Rewards),
		})
	}
	return out
}

// Domains (devnet_domains) lists the registered domains by id with their
// block trees at the canonical head.
func (a *api) Domains() []DomainInfo {
	st := a.d.HeadState()
	var out []DomainInfo
	for _, id := range st.DomainIDs() {
		ds, _ := st.Domain(id)
		c := ds.Config
		head := ds.Tree.HeadEntry()
		out = append(out, DomainInfo{
			ID: id, ChainID: hexutil.Uint64(c.ChainID), GenesisHash: c.GenesisHash, GenesisRoot: c.GenesisRoot,
			GasLimit: hexutil.Uint64(c.GasLimit), BundleGasCap: hexutil.Uint64(c.BundleGasCap),
			SlotProbability: [2]hexutil.Uint64{hexutil.Uint64(c.SlotProbability.Num), hexutil.Uint64(c.SlotProbability.Den)},
			ChallengePeriod: hexutil.Uint64(c.ChallengePeriod), NextBlock: hexutil.Uint64(ds.Next),
			HeadReceipt: ReceiptRef{Number: hexutil.Uint64(ds.Tree.Head), Hash: head.Hash, DomainHash: head.Receipt.DomainHash},
			Confirmed:   hexutil.Uint64(ds.Tree.Confirmed),
		})
	}
	return out
}

// SubmitFraudProof (devnet_submitFraudProof, param 0x-hex of the proof's
// canonical RLP) checks the proof against the canonical head and queues it
// for the next block. It returns the proof hash; errors: -32602 when the
// bytes are not a well-formed proof, CodeProofRejected, CodeNoVerifier.
func (a *api) SubmitFraudProof(enc hexutil.Bytes) (common.Hash, error) {
	p, err := protocol.DecodeProof(enc)
	if err != nil {
		return common.Hash{}, &apiError{code: -32602, msg: "devnet: fraud proof: " + err.Error()}
	}
	switch err := a.d.SubmitFraudProof(p); {
	case errors.Is(err, ErrNoVerifier):
		return common.Hash{}, errorWithCode(CodeNoVerifier, err)
	case err != nil:
		return common.Hash{}, errorWithCode(CodeProofRejected, err)
	}
	a.log.Info("devnet: fraud proof queued", "hash", p.Hash(), "kind", p.Kind())
	return p.Hash(), nil
}

// ProofStatus (devnet_proofStatus, param proof hash) reports what became
// of a submitted proof: queued, included, or rejected with a reason.
func (a *api) ProofStatus(h common.Hash) (*WireProofStatus, error) {
	s, ok := a.d.ProofStatus(h)
	if !ok {
		return nil, errorWithCode(CodeNotFound, fmt.Errorf("%w: %s", ErrUnknownProof, h))
	}
	return &WireProofStatus{State: s.State.String(), Reason: s.Reason}, nil
}

// NewHeads is devnet_subscribe("newHeads"): a WireHeadEvent for every move
// of the canonical head, reorgs included. A subscriber that falls 256
// events behind is dropped with a last notification carrying only an error;
// the devnet never waits for a subscriber.
func (a *api) NewHeads(ctx context.Context) (*rpc.Subscription, error) {
	notifier, ok := rpc.NotifierFromContext(ctx)
	if !ok {
		return nil, rpc.ErrNotificationsUnsupported
	}
	sub := notifier.CreateSubscription()
	events, errFn, cancel := a.d.Subscribe()
	forward := func(stop <-chan struct{}) {
		defer cancel()
		for {
			select {
			case <-stop:
				return
			case <-sub.Err(): // unsubscribed, or the connection closed
				return
			case ev, ok := <-events:
				if !ok {
					err := errFn()
					if err == nil {
						err = ErrDevnetStopped
					}
					_ = notifier.Notify(sub.ID, &WireHeadEvent{Error: err.Error()})
					return
				}
				w, err := NewWireHeadEvent(ev)
				if err != nil {
					a.log.Error("devnet: encode head event", "err", err)
					_ = notifier.Notify(sub.ID, &WireHeadEvent{Error: err.Error()})
					return
				}
				if err := notifier.Notify(sub.ID, w); err != nil {
					a.log.Debug("devnet: subscriber gone", "sub", sub.ID, "err", err)
					return
				}
			}
		}
	}
	if !a.subs.spawn(forward) {
		cancel()
		return nil, errorWithCode(CodeInternal, errors.New("devnet: node is shutting down"))
	}
	return sub, nil
}

func wireBlock(b *protocol.Block) (*WireBlock, error) {
	w, err := NewWireBlock(b)
	if err != nil {
		return nil, errorWithCode(CodeInternal, err)
	}
	return w, nil
}
