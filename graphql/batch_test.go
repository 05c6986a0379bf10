package graphql

import (
	"context"
	"testing"
)

// A page of receipts (every one the fixture has) with their consensus blocks, inboxed bundles and
// backers reads each distinct record once, in one prefetch per kind, not
// once per receipt and field.
func TestListingsLoadLinkedRecordsOnce(t *testing.T) {
	s, _ := newServer(t, nil)
	sess := s.newSession()
	defer sess.close()
	ctx := withSession(context.Background(), sess)
	q := `{ receipts(first: 100) { nodes { hash consensusBlock { number } parent { hash }
		inboxedBundles { bundle { hash receipt { hash } } } backers { operatorId } } } }`
	resp := s.schema.Exec(ctx, q, "", nil)
	if len(resp.Errors) > 0 {
		t.Fatal(resp.Errors)
	}
	distinct := len(sess.receipts) + len(sess.bundles) + len(sess.blocks) + len(sess.operators)
	if reads := int(sess.reads.Load()); reads > distinct {
		t.Errorf("%d reads for %d distinct records", reads, distinct)
	}
	if len(sess.bundles) < 20 {
		t.Errorf("only %d bundles linked: the query did not exercise the loader", len(sess.bundles))
	}
	t.Logf("%d reads: %d receipts, %d bundles, %d blocks, %d operators", sess.reads.Load(),
		len(sess.receipts), len(sess.bundles), len(sess.blocks), len(sess.operators))
}
