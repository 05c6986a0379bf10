package proof

import (
	"bytes"
	"context"
	"fmt"
	"slices"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/ethereum/go-ethereum/trie"
	"github.com/holiman/uint256"

	"github.com/receiptd/receiptd/domain"
	"github.com/receiptd/receiptd/protocol"
)

// provenAccounts serves the accounts a bundle-validity proof proved to
// domain.Derive and records which it read and which it lacked.
type provenAccounts struct {
	accounts map[common.Address]*types.StateAccount // nil value: proved absent
	read     map[common.Address]bool
	missing  []common.Address
}

func (p *provenAccounts) get(addr common.Address) *types.StateAccount {
	acc, ok := p.accounts[addr]
	if !ok {
		if !slices.Contains(p.missing, addr) {
			p.missing = append(p.missing, addr)
		}
		return nil
	}
	p.read[addr] = true
	return acc
}

func (p *provenAccounts) GetNonce(addr common.Address) uint64 {
	if acc := p.get(addr); acc != nil {
		return acc.Nonce
	}
	return 0
}

func (p *provenAccounts) GetBalance(addr common.Address) *uint256.Int {
	if acc := p.get(addr); acc != nil && acc.Balance != nil {
		return new(uint256.Int).Set(acc.Balance)
	}
	return new(uint256.Int)
}

func (p *provenAccounts) GetCodeHash(addr common.Address) common.Hash {
	if acc := p.get(addr); acc != nil {
		return common.BytesToHash(acc.CodeHash)
	}
	return common.Hash{}
}

// proveAccounts checks the account proofs of bv against root. The caller
// checks the proof database for unused nodes once derivation has run, so
// that a missing account is reported as such.
func proveAccounts(root common.Hash, bv *protocol.BundleValidityProof) (*provenAccounts, *proofDB, error) {
	for i := 1; i < len(bv.Accounts); i++ {
		if bytes.Compare(bv.Accounts[i-1][:], bv.Accounts[i][:]) >= 0 {
			return nil, nil, fmt.Errorf("%w: account %d is not above account %d", ErrNonCanonical, i, i-1)
		}
	}
	db, err := newProofDB("account proof", bv.Nodes)
	if err != nil {
		return nil, nil, err
	}
	p := &provenAccounts{accounts: make(map[common.Address]*types.StateAccount, len(bv.Accounts)), read: map[common.Address]bool{}}
	for _, addr := range bv.Accounts {
		val, err := trie.VerifyProof(root, crypto.Keccak256(addr[:]), db)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: account %s: %v", ErrWitnessIncomplete, addr, err)
		}
		var acc *types.StateAccount
		if val != nil {
			acc = new(types.StateAccount)
			if err := rlp.DecodeBytes(val, acc); err != nil {
				return nil, nil, fmt.Errorf("%w: account %s does not decode: %v", ErrWitnessIncomplete, addr, err)
			}
		}
		p.accounts[addr] = acc
	}
	return p, db, nil
}

// deriveValidity re-derives the validity of inboxed bundle i from the
// domain's bundles 0..i of the consensus block, on the parent's accounts.
func (t *target) deriveValidity(ctx context.Context, i uint32, parent *types.Header, accounts domain.AccountReader) (protocol.BundleValidity, error) {
	bundles, err := t.bundles()
	if err != nil {
		return protocol.BundleValidity{}, err
	}
	if int(i) >= len(bundles) {
		return protocol.BundleValidity{}, fmt.Errorf("%w: index %d, the block has %d", ErrNoSuchBundle, i, len(bundles))
	}
	// Only bundles 0..i make bundle i's context: prepare those alone.
	c := *t.consensus
	c.Body.Bundles = bundles[:i+1]
	p, err := domain.Prepare(ctx, t.signer(), &c, t.domain, t.workers)
	if err != nil {
		return protocol.BundleValidity{}, execError(err)
	}
	d, err := domain.Derive(t.config, p, parent, accounts, t.gasLimit)
	if err != nil {
		return protocol.BundleValidity{}, fmt.Errorf("%w: derive: %v", ErrExecution, err)
	}
	return d.Inboxed[i].Validity, nil
}

// verifyBundleValidity checks a bundle-validity proof.
func (t *target) verifyBundleValidity(ctx context.Context, bv *protocol.BundleValidityProof) error {
	if err := t.checkParent(bv.Parent); err != nil {
		return err
	}
	accounts, nodes, err := proveAccounts(bv.Parent.Root, bv)
	if err != nil {
		return err
	}
	truth, err := t.deriveValidity(ctx, bv.BundleIndex, bv.Parent, accounts)
	if err != nil {
		return err
	}
	if len(accounts.missing) > 0 {
		return fmt.Errorf("%w: derivation reads account %s, not proved", ErrWitnessIncomplete, accounts.missing[0])
	}
	if err := nodes.unused("account proof"); err != nil {
		return err
	}
	for _, addr := range bv.Accounts {
		if !accounts.read[addr] {
			return fmt.Errorf("%w: account %s never read", ErrWitnessUnused, addr)
		}
	}
	if truth != bv.Validity {
		return fmt.Errorf("%w: bundle %d: the proof says %s, derivation gives %s", ErrValidityMismatch, bv.BundleIndex, bv.Validity, truth)
	}
	if claimed := t.bad.InboxedBundles[bv.BundleIndex].Validity; claimed == truth {
		return fmt.Errorf("%w: bundle %d is %s, as the receipt says", ErrRootsAgree, bv.BundleIndex, truth)
	}
	return nil
}

// recordingAccounts records the accounts derivation reads from a state.
type recordingAccounts struct {
	domain.AccountReader
	read map[common.Address]bool
}

func (r *recordingAccounts) GetNonce(a common.Address) uint64 {
	r.read[a] = true
	return r.AccountReader.GetNonce(a)
}

func (r *recordingAccounts) GetBalance(a common.Address) *uint256.Int {
	r.read[a] = true
	return r.AccountReader.GetBalance(a)
}

func (r *recordingAccounts) GetCodeHash(a common.Address) common.Hash {
	r.read[a] = true
	return r.AccountReader.GetCodeHash(a)
}

// nodeSet collects Merkle-proof nodes by hash.
type nodeSet map[common.Hash][]byte

func newNodeSet() nodeSet { return nodeSet{} }

func (s nodeSet) Put(key, value []byte) error {
	s[common.BytesToHash(key)] = common.CopyBytes(value)
	return nil
}

func (s nodeSet) Delete(key []byte) error {
	delete(s, common.BytesToHash(key))
	return nil
}

// sorted returns the nodes in ascending byte order.
func (s nodeSet) sorted() [][]byte {
	out := make([][]byte, 0, len(s))
	for _, n := range s {
		out = append(out, n)
	}
	slices.SortFunc(out, bytes.Compare)
	return out
}
