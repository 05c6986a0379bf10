package graphql

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"

	"github.com/receiptd/receiptd/protocol"
)

func TestSubmitFraudProof(t *testing.T) {
	var relayed []common.Hash
	bad := common.Hash{0xba, 0xd}
	s, _ := newServer(t, func(c *Config) {
		c.Verify = func(_ context.Context, p *protocol.FraudProof) error {
			if p.BadReceiptHash != bad {
				return errors.New("the receipt is not in the block tree")
			}
			return nil
		}
		c.Submit = func(_ context.Context, p *protocol.FraudProof) error {
			relayed = append(relayed, p.Hash())
			return nil
		}
		c.SubmitBurst, c.SubmitEvery = 3, time.Hour
	})
	submit := func(b []byte) *gqlResult {
		return post(t, s, `mutation($p: Bytes!) { submitFraudProof(proof: $p) { accepted proofHash kind reason } }`,
			map[string]any{"p": hexutil.Encode(b)})
	}
	good := &protocol.FraudProof{Domain: 1, BadReceiptHash: bad, ExtrinsicsRoot: &protocol.ExtrinsicsRootProof{}}
	enc, _ := encodeProof(good)
	r := submit(enc)
	if len(r.Errors) > 0 || get(r.Data, "submitFraudProof", "accepted") != true ||
		get(r.Data, "submitFraudProof", "proofHash") != good.Hash().Hex() || get(r.Data, "submitFraudProof", "kind") != "INVALID_EXTRINSICS_ROOT" {
		t.Fatalf("good proof: %v %s", r.Data, r.errText())
	}
	if len(relayed) != 1 || relayed[0] != good.Hash() {
		t.Errorf("relayed %v", relayed)
	}
	wrong := &protocol.FraudProof{Domain: 1, BadReceiptHash: common.Hash{1}, ExtrinsicsRoot: &protocol.ExtrinsicsRootProof{}}
	enc, _ = encodeProof(wrong)
	r = submit(enc)
	if get(r.Data, "submitFraudProof", "accepted") != false ||
		!strings.Contains(get(r.Data, "submitFraudProof", "reason").(string), "not in the block tree") {
		t.Errorf("failing proof: %v", r.Data)
	}
	r = submit([]byte{0xc0, 0x01})
	if get(r.Data, "submitFraudProof", "accepted") != false ||
		!strings.Contains(get(r.Data, "submitFraudProof", "reason").(string), "malformed") {
		t.Errorf("garbage proof: %v", r.Data)
	}
	if len(relayed) != 1 {
		t.Errorf("relayed a proof that failed: %v", relayed)
	}
	// The burst of 3 is spent: the fourth is refused with when to retry.
	r = submit(enc)
	if len(r.Errors) == 0 || !strings.Contains(r.errText(), "rate limited") || !strings.Contains(r.errText(), "retry in") {
		t.Errorf("over the rate: %v %s", r.Data, r.errText())
	}
}

func TestSubmitWithoutRelay(t *testing.T) {
	s, _ := newServer(t, nil)
	r := post(t, s, `mutation { submitFraudProof(proof: "0x00") { accepted reason } }`, nil)
	if get(r.Data, "submitFraudProof", "accepted") != false ||
		!strings.Contains(get(r.Data, "submitFraudProof", "reason").(string), "does not relay") {
		t.Errorf("%v %s", r.Data, r.errText())
	}
}

func TestRateLimiterRefills(t *testing.T) {
	l := newRateLimiter(2, time.Second)
	now := time.Unix(0, 0)
	l.now = func() time.Time { return now }
	for i := range 2 {
		if ok, _ := l.allow("a"); !ok {
			t.Fatalf("call %d refused within the burst", i)
		}
	}
	if ok, wait := l.allow("a"); ok || wait != time.Second {
		t.Fatalf("third call: ok %v wait %s", ok, wait)
	}
	if ok, _ := l.allow("b"); !ok {
		t.Fatal("another client is limited too")
	}
	now = now.Add(1500 * time.Millisecond)
	if ok, _ := l.allow("a"); !ok {
		t.Fatal("no token after refill")
	}
}

// Relaying a proof waits on the network with the request's query slot
// given back: queries go on meanwhile, with every slot otherwise taken.
func TestRelayGivesBackItsQuerySlot(t *testing.T) {
	relaying, release := make(chan struct{}), make(chan struct{})
	s, _ := newServer(t, func(c *Config) {
		c.Verify = func(context.Context, *protocol.FraudProof) error { return nil }
		c.Submit = func(context.Context, *protocol.FraudProof) error {
			close(relaying)
			<-release
			return nil
		}
	})
	s.slots = make(chan struct{}, 1) // one query at a time
	enc, _ := encodeProof(&protocol.FraudProof{Domain: 1, ExtrinsicsRoot: &protocol.ExtrinsicsRootProof{}})
	done := make(chan *gqlResult, 1)
	go func() {
		done <- post(t, s, `mutation($p: Bytes!) { submitFraudProof(proof: $p) { accepted } }`, map[string]any{"p": hexutil.Encode(enc)})
	}()
	<-relaying
	if d := mustQuery(t, s, `{ status { syncing } }`, nil); get(d, "status", "syncing") != false {
		t.Fatalf("query while a proof is relayed: %v", d)
	}
	close(release)
	if r := <-done; len(r.Errors) > 0 || get(r.Data, "submitFraudProof", "accepted") != true {
		t.Fatalf("relayed proof: %v %s", r.Data, r.errText())
	}
}
