package graphql

import (
	"testing"

	"github.com/ethereum/go-ethereum/common/hexutil"
)

func TestStatusAndDomains(t *testing.T) {
	s, fx := newServer(t, func(c *Config) {
		c.Status = func() Status { return Status{SourceHead: fx0(t).tip + 5, Known: true, Syncing: true} }
	})
	d := mustQuery(t, s, `{ status { consensusNumber sourceHead lag syncing consensusHead { number hash }
		domains { verifiedHeight headHash lag domain { domainId blockCount head { number hash } } } }
		domains { domainId receiptCount bundleCount transactionCount } }`, nil)
	if got, want := get(d, "status", "consensusNumber"), hexU(fx.tip+2); got != want {
		t.Errorf("consensusNumber %v, want %v", got, want)
	}
	if got := get(d, "status", "lag"); got != hexU(3) {
		t.Errorf("lag %v, want 0x3 (source 5 ahead of the verifier's tip, index 2 ahead)", got)
	}
	if get(d, "status", "syncing") != true {
		t.Error("syncing is not passed through")
	}
	doms := getList(d, "status", "domains")
	if len(doms) != 2 {
		t.Fatalf("%d domains, want 2", len(doms))
	}
	for _, dm := range doms {
		h, _ := hexutil.DecodeUint64(get(dm, "verifiedHeight").(string))
		if h == 0 || get(dm, "domain", "head", "number") != get(dm, "verifiedHeight") ||
			get(dm, "domain", "head", "hash") != get(dm, "headHash") {
			t.Errorf("domain status %v: head block does not match the verified height", dm)
		}
		if get(dm, "lag") != nil {
			t.Errorf("domain lag %v without domain heads, want null", get(dm, "lag"))
		}
	}
	for _, dm := range getList(d, "domains") {
		if get(dm, "receiptCount") == "0x0" || get(dm, "transactionCount") == "0x0" {
			t.Errorf("domain %v has no receipts or transactions", dm)
		}
	}
}

func fx0(t testing.TB) *fixture { return getFixture(t) }

func TestFixtureShape(t *testing.T) {
	fx := getFixture(t)
	t.Logf("tip %d, bad receipts %d, challenges %d, reorgs %d", fx.tip, len(fx.bad), len(fx.challenges), fx.net.Stats().Reorgs)
	if len(fx.bad) < 3 {
		t.Errorf("only %d bad receipts: the fixture does not exercise verdicts", len(fx.bad))
	}
}
