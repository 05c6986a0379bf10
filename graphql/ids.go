package graphql

import (
	"context"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	gql "github.com/graph-gophers/graphql-go"

	"github.com/ethereum/go-ethereum/common"

	"github.com/receiptd/receiptd/protocol"
)

// Global ids are base64url("Kind:key"), key being what the index looks the
// object up by: a hash, a number, or domain and number.
func globalID(kind string, parts ...any) gql.ID {
	s := kind
	for _, p := range parts {
		s += ":" + fmt.Sprint(p)
	}
	return gql.ID(base64.RawURLEncoding.EncodeToString([]byte(s)))
}

// nodeResolver is the Node interface: ToX methods tell graphql-go the
// concrete type.
type nodeResolver struct{ v any }

func (n *nodeResolver) ID() gql.ID {
	return n.v.(interface{ ID() gql.ID }).ID()
}

func (n *nodeResolver) ToDomain() (*domainResolver, bool) {
	r, ok := n.v.(*domainResolver)
	return r, ok
}
func (n *nodeResolver) ToConsensusBlock() (*blockResolver, bool) {
	r, ok := n.v.(*blockResolver)
	return r, ok
}
func (n *nodeResolver) ToBundle() (*bundleResolver, bool) {
	r, ok := n.v.(*bundleResolver)
	return r, ok
}
func (n *nodeResolver) ToTransaction() (*txResolver, bool) {
	r, ok := n.v.(*txResolver)
	return r, ok
}
func (n *nodeResolver) ToDomainBlock() (*domainBlockResolver, bool) {
	r, ok := n.v.(*domainBlockResolver)
	return r, ok
}
func (n *nodeResolver) ToReceipt() (*receiptResolver, bool) {
	r, ok := n.v.(*receiptResolver)
	return r, ok
}
func (n *nodeResolver) ToChallenge() (*challengeResolver, bool) {
	r, ok := n.v.(*challengeResolver)
	return r, ok
}
func (n *nodeResolver) ToOperator() (*operatorResolver, bool) {
	r, ok := n.v.(*operatorResolver)
	return r, ok
}

// Node resolves a global id; an id that does not parse is an error, one
// that names nothing is null.
func (r *resolver) Node(ctx context.Context, args struct{ ID gql.ID }) (*nodeResolver, error) {
	s, err := sessionOf(ctx)
	if err != nil {
		return nil, err
	}
	bad := fmt.Errorf("%q is not an id this server gave out", truncate(string(args.ID), 40))
	raw, err := base64.RawURLEncoding.DecodeString(string(args.ID))
	if err != nil || len(raw) > 200 {
		return nil, bad
	}
	parts := strings.Split(string(raw), ":")
	hash := func(i int) (common.Hash, bool) {
		var h common.Hash
		return h, i < len(parts) && h.UnmarshalText([]byte(parts[i])) == nil
	}
	num := func(i int, bits int) (uint64, bool) {
		if i >= len(parts) {
			return 0, false
		}
		n, err := strconv.ParseUint(parts[i], 10, bits)
		return n, err == nil
	}
	var v any
	switch kind := parts[0]; {
	case kind == "Domain" && len(parts) == 2:
		d, ok := num(1, 32)
		if !ok {
			return nil, bad
		}
		v, err = r.domain(s, protocol.DomainID(d))
	case kind == "ConsensusBlock" && len(parts) == 2:
		n, ok := num(1, 64)
		if !ok {
			return nil, bad
		}
		v, err = blockByNumber(s, n)
	case kind == "Bundle" && len(parts) == 2:
		h, ok := hash(1)
		if !ok {
			return nil, bad
		}
		v, err = bundleByHash(s, h)
	case kind == "Receipt" && len(parts) == 2:
		h, ok := hash(1)
		if !ok {
			return nil, bad
		}
		v, err = receiptByHash(s, h)
	case kind == "Challenge" && len(parts) == 2:
		h, ok := hash(1)
		if !ok {
			return nil, bad
		}
		v, err = challengeByID(s, h)
	case kind == "Operator" && len(parts) == 2:
		id, ok := num(1, 64)
		if !ok {
			return nil, bad
		}
		v, err = operatorByID(s, protocol.OperatorID(id))
	case kind == "DomainBlock" && len(parts) == 3:
		d, ok1 := num(1, 32)
		n, ok2 := num(2, 64)
		if !ok1 || !ok2 {
			return nil, bad
		}
		v, err = domainBlockByNumber(s, protocol.DomainID(d), n)
	case kind == "Transaction" && len(parts) == 5:
		h, ok := hash(1)
		c, ok2 := num(2, 64)
		b, ok3 := num(3, 32)
		x, ok4 := num(4, 32)
		if !ok || !ok2 || !ok3 || !ok4 {
			return nil, bad
		}
		v, err = txOccurrence(s, h, c, uint32(b), uint32(x))
	default:
		return nil, bad
	}
	if err != nil || isNil(v) {
		return nil, err
	}
	return &nodeResolver{v}, nil
}

// isNil reports whether a typed resolver pointer inside v is nil.
func isNil(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case *domainResolver:
		return x == nil
	case *blockResolver:
		return x == nil
	case *bundleResolver:
		return x == nil
	case *receiptResolver:
		return x == nil
	case *challengeResolver:
		return x == nil
	case *operatorResolver:
		return x == nil
	case *domainBlockResolver:
		return x == nil
	case *txResolver:
		return x == nil
	}
	return false
}
