package graphql

import (
	gql "github.com/graph-gophers/graphql-go"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"

	"github.com/receiptd/receiptd/indexer"
	"github.com/receiptd/receiptd/protocol"
)

var challengeStatuses = map[string]indexer.ChallengeStatus{
	"DETECTED": indexer.ChallengeDetected, "SUBMITTED": indexer.ChallengeSubmitted,
	"ACCEPTED": indexer.ChallengeAccepted, "REJECTED": indexer.ChallengeRejected, "STALE": indexer.ChallengeStale,
}

var proofKinds = map[string]protocol.ProofKind{
	"INVALID_STATE_TRANSITION": protocol.ProofStateTransition, "INVALID_EXTRINSICS_ROOT": protocol.ProofExtrinsicsRoot,
	"BUNDLE_VALIDITY": protocol.ProofBundleValidity, "INVALID_DOMAIN_BLOCK_HASH": protocol.ProofDomainBlockHash,
	"INVALID_EXECUTION_RESULT": protocol.ProofExecutionResult,
}

func nameOf[K comparable](m map[string]K, v K) string {
	for name, k := range m {
		if k == v {
			return name
		}
	}
	return ""
}

type challengesArgs struct {
	Where   *challengeFilter
	OrderBy string
	pageInput
}

type challengeFilter struct {
	Domain *int32
	Status *string
	Kind   *string
}

func (f *challengeFilter) query() (indexer.ChallengeQuery, *protocol.ProofKind, error) {
	var q indexer.ChallengeQuery
	if f == nil {
		return q, nil, nil
	}
	d, err := optDomain(f.Domain)
	if err != nil {
		return q, nil, err
	}
	q.Domain = d
	if f.Status != nil {
		q.Status = challengeStatuses[*f.Status]
	}
	var kind *protocol.ProofKind
	if f.Kind != nil {
		k := proofKinds[*f.Kind]
		kind = &k
	}
	return q, kind, nil
}

func (f *challengeFilter) matches(c *indexer.ChallengeRecord) bool {
	q, kind, err := f.query()
	return err == nil && (q.Domain == nil || c.Domain == *q.Domain) && (q.Status == 0 || c.Status == q.Status) &&
		(kind == nil || c.Kind == *kind)
}

func challenges(s *session, args challengesArgs) (*connection[*challengeResolver], error) {
	pa, err := s.srv.args(args.pageInput, desc(args.OrderBy))
	if err != nil {
		return nil, err
	}
	q, kind, err := args.Where.query()
	if err != nil {
		return nil, err
	}
	rd, err := s.reader()
	if err != nil {
		return nil, err
	}
	fetch := func(a indexer.PageArgs) (*indexer.Page[*indexer.ChallengeRecord], error) {
		q.PageArgs = a
		return rd.Challenges(q)
	}
	var p *indexer.Page[*indexer.ChallengeRecord]
	if kind != nil {
		p, err = filtered(fetch, pa, func(c *indexer.ChallengeRecord) bool { return c.Kind == *kind })
	} else {
		p, err = fetch(pa)
	}
	if err != nil {
		return nil, s.srv.listErr(err)
	}
	remember(s, s.challenges, func(c *indexer.ChallengeRecord) common.Hash { return c.ID }, p.Items)
	var count func() (*Long, error)
	if kind == nil {
		count = s.srv.countOf(func() (uint64, bool, error) { return rd.CountChallenges(q) })
	}
	return newConnection(p, func(c *indexer.ChallengeRecord) *challengeResolver { return &challengeResolver{s: s, rec: c} }, count), nil
}

func challengeByID(s *session, id common.Hash) (*challengeResolver, error) {
	rec, err := s.challenge(id)
	if err != nil || rec == nil {
		return nil, err
	}
	return &challengeResolver{s: s, rec: rec}, nil
}

type challengeResolver struct {
	s   *session
	rec *indexer.ChallengeRecord
}

func (r *challengeResolver) ID() gql.ID             { return globalID("Challenge", r.rec.ID.Hex()) }
func (r *challengeResolver) ProofHash() common.Hash { return r.rec.ID }
func (r *challengeResolver) Kind() string           { return nameOf(proofKinds, r.rec.Kind) }
func (r *challengeResolver) Domain() *domainResolver {
	return &domainResolver{s: r.s, id: r.rec.Domain}
}
func (r *challengeResolver) BadReceiptHash() common.Hash { return r.rec.BadReceipt }
func (r *challengeResolver) Status() string              { return nameOf(challengeStatuses, r.rec.Status) }
func (r *challengeResolver) Opened() Long                { return Long(r.rec.Opened) }
func (r *challengeResolver) ProofSize() Long             { return Long(r.rec.ProofSize) }
func (r *challengeResolver) Proof() hexutil.Bytes        { return r.rec.Proof }

func (r *challengeResolver) BadReceipt() (*receiptResolver, error) {
	return receiptByHash(r.s, r.rec.BadReceipt)
}

func (r *challengeResolver) Operators() ([]*operatorResolver, error) {
	return operatorsByIDs(r.s, r.rec.Operators)
}

func (r *challengeResolver) Timeline() []*challengeChangeResolver {
	out := make([]*challengeChangeResolver, len(r.rec.Timeline))
	for i := range r.rec.Timeline {
		out[i] = &challengeChangeResolver{&r.rec.Timeline[i]}
	}
	return out
}

type challengeChangeResolver struct{ c *indexer.ChallengeChange }

func (r *challengeChangeResolver) Status() string        { return nameOf(challengeStatuses, r.c.Status) }
func (r *challengeChangeResolver) ConsensusNumber() Long { return Long(r.c.ConsensusNumber) }
func (r *challengeChangeResolver) Reason() *string       { return optString(r.c.Reason) }
