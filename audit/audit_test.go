package audit_test

import (
	"bytes"
	"context"
	"errors"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/receiptd/receiptd/audit"
	"github.com/receiptd/receiptd/audit/audittest"
)

// runAudit audits the export of blocks and returns the reports and summary.
func runAudit(t *testing.T, c *audittest.Chain, blocks []*types.Block, cfg audit.Config) ([]audit.BlockReport, audit.Summary) {
	t.Helper()
	data, err := audittest.Export(c.GenesisBlock, blocks)
	if err != nil {
		t.Fatal(err)
	}
	return runBytes(t, c, data, cfg)
}

func runBytes(t *testing.T, c *audittest.Chain, data []byte, cfg audit.Config) ([]audit.BlockReport, audit.Summary) {
	t.Helper()
	var reps []audit.BlockReport
	sum, err := audit.Run(context.Background(), c.Genesis, bytes.NewReader(data), cfg, func(r audit.BlockReport) error {
		reps = append(reps, r)
		return nil
	})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return reps, sum
}

func generate(t *testing.T, fork audittest.Fork, n int) *audittest.Chain {
	t.Helper()
	g, err := audittest.Genesis(fork)
	if err != nil {
		t.Fatal(err)
	}
	return audittest.Generate(g, n, 3)
}

func TestRunTamperedHeader(t *testing.T) {
	const n, bad = 8, 5 // block numbers
	tampers := []struct {
		name   string
		f      func(h *types.Header)
		reason audit.Reason
	}{
		{"none", nil, ""},
		{"state root", func(h *types.Header) { h.Root[0] ^= 1 }, audit.ReasonStateRoot},
		{"receipts root", func(h *types.Header) { h.ReceiptHash[0] ^= 1 }, audit.ReasonReceiptsRoot},
		{"gas used", func(h *types.Header) { h.GasUsed++ }, audit.ReasonGas},
		{"bloom", func(h *types.Header) { h.Bloom[0] ^= 1 }, audit.ReasonBloom},
		{"tx root", func(h *types.Header) { h.TxHash[0] ^= 1 }, audit.ReasonBody},
		{"timestamp", func(h *types.Header) { h.Time = 0 }, audit.ReasonHeader},
	}
	for _, fork := range audittest.Forks() {
		c := generate(t, fork, n)
		for _, tc := range tampers {
			t.Run(string(fork)+"/"+tc.name, func(t *testing.T) {
				blocks := append([]*types.Block(nil), c.Blocks...)
				if tc.f != nil {
					blocks[bad-1] = audittest.Tamper(blocks[bad-1], tc.f)
				}
				reps, sum := runAudit(t, c, blocks, audit.Config{Workers: 2, CheckpointInterval: 3})
				if len(reps) != n+1 {
					t.Fatalf("have %d reports, want %d", len(reps), n+1)
				}
				head := c.Blocks[n-1]
				for i, r := range reps {
					want := audit.BlockReport{Verdict: audit.VerdictValid}
					switch {
					case i == 0:
						want.Reason = audit.ReasonKnown
					case tc.f != nil && i == bad:
						want = audit.BlockReport{Verdict: audit.VerdictInvalid, Reason: tc.reason}
					case tc.f != nil && i > bad:
						want = audit.BlockReport{Verdict: audit.VerdictInvalid, Reason: audit.ReasonUnknownParent}
					}
					if r.Verdict != want.Verdict || r.Reason != want.Reason || r.Number == nil || *r.Number != uint64(i) {
						t.Errorf("block %d: have %v %q (%s), want %v %q", i, r.Verdict, r.Reason, r.Detail, want.Verdict, want.Reason)
					}
				}
				if tc.f != nil {
					head = c.Blocks[bad-2]
				}
				if sum.HeadNumber != head.NumberU64() || sum.HeadHash != head.Hash() || sum.StateRoot != head.Root() {
					t.Errorf("summary head #%d %x root %x, want #%d %x root %x", sum.HeadNumber, sum.HeadHash, sum.StateRoot, head.NumberU64(), head.Hash(), head.Root())
				}
				wantInvalid := 0
				if tc.f != nil {
					wantInvalid = n - bad + 1
				}
				if sum.Invalid != wantInvalid || sum.Valid != n+1-wantInvalid {
					t.Errorf("summary valid %d invalid %d, want %d and %d", sum.Valid, sum.Invalid, n+1-wantInvalid, wantInvalid)
				}
			})
		}
	}
}

func TestRunForks(t *testing.T) {
	c := generate(t, audittest.Cancun, 10)
	side := c.Fork(4, 3)       // #5', #6', #7' on #4
	sibling := c.Fork(9, 1)[0] // #10' on #9
	badTen := audittest.Tamper(c.Blocks[9], func(h *types.Header) { h.Root = common.Hash{1} })
	tests := []struct {
		name     string
		blocks   []*types.Block
		interval int
		head     *types.Block
		reasons  []audit.Reason // per block after the genesis
	}{
		{
			name:     "side branch replays from a checkpoint",
			blocks:   append(append([]*types.Block(nil), c.Blocks...), side...),
			interval: 2,
			head:     side[2],
			reasons:  []audit.Reason{"", "", "", "", "", "", "", "", "", "", "", "", ""},
		},
		{
			name:     "valid sibling after an invalid block",
			blocks:   append(append(append([]*types.Block(nil), c.Blocks[:9]...), badTen), sibling),
			interval: 64,
			head:     sibling,
			reasons:  []audit.Reason{"", "", "", "", "", "", "", "", "", audit.ReasonStateRoot, ""},
		},
		{
			name:     "repeated block is known",
			blocks:   append(append([]*types.Block(nil), c.Blocks...), c.Blocks[3]),
			interval: 4,
			head:     c.Blocks[9],
			reasons:  []audit.Reason{"", "", "", "", "", "", "", "", "", "", audit.ReasonKnown},
		},
		{
			name:     "fork deeper than the kept checkpoints",
			blocks:   append(append([]*types.Block(nil), c.Blocks...), side[0]),
			interval: 1,
			head:     c.Blocks[9],
			reasons:  []audit.Reason{"", "", "", "", "", "", "", "", "", "", audit.ReasonStateUnavailable},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			reps, sum := runAudit(t, c, tc.blocks, audit.Config{Workers: 1, CheckpointInterval: tc.interval})
			if len(reps) != len(tc.reasons)+1 {
				t.Fatalf("have %d reports, want %d", len(reps), len(tc.reasons)+1)
			}
			for i, want := range tc.reasons {
				if r := reps[i+1]; r.Reason != want {
					t.Errorf("item %d (#%d): have %v %q (%s), want %q", i+1, *r.Number, r.Verdict, r.Reason, r.Detail, want)
				}
			}
			if sum.HeadHash != tc.head.Hash() || sum.StateRoot != tc.head.Root() {
				t.Errorf("head %x, want #%d %x", sum.HeadHash, tc.head.NumberU64(), tc.head.Hash())
			}
		})
	}
}

func TestRunBadBytes(t *testing.T) {
	c := generate(t, audittest.Cancun, 4)
	good, err := audittest.Export(c.GenesisBlock, c.Blocks)
	if err != nil {
		t.Fatal(err)
	}
	prefix, err := audittest.Export(c.GenesisBlock, c.Blocks[:2])
	if err != nil {
		t.Fatal(err)
	}
	rest := good[len(prefix):]
	tests := []struct {
		name    string
		data    []byte
		reasons []audit.Reason // per item, genesis included
		decoded int
		head    uint64
		max     uint64 // Config.MaxBlockBytes; 0: the default
	}{
		{"empty", nil, nil, 0, 0, 0},
		{"truncated tail", good[:len(good)-7], []audit.Reason{audit.ReasonKnown, "", "", "", audit.ReasonTruncated}, 4, 3, 0},
		{"garbage tail", append(append([]byte(nil), good...), 0x01, 0x02), []audit.Reason{audit.ReasonKnown, "", "", "", "", audit.ReasonTruncated}, 5, 4, 0},
		// An intact list that is not a block: skipped, the stream resumes.
		{"undecodable middle item", append(append(append([]byte(nil), prefix...), 0xc2, 0x80, 0x80), rest...),
			[]audit.Reason{audit.ReasonKnown, "", "", audit.ReasonUndecodable, "", ""}, 5, 4, 0},
		{"all garbage", []byte("this is not rlp"), []audit.Reason{audit.ReasonTruncated}, 0, 0, 0},
		// A length no file reaches: the stream ends there, rather than the
		// bytes after the prefix being read as the next item.
		{"absurd length prefix", []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, []audit.Reason{audit.ReasonTruncated}, 0, 0, 0},
		{"length of 2^63, then a list", []byte{0xff, 0x80, 0, 0, 0, 0, 0, 0, 0, 0xc2, 0x80, 0x80}, []audit.Reason{audit.ReasonTruncated}, 0, 0, 0},
		// An intact item over the limit is skipped whole, and the stream
		// resumes after it.
		{"oversized item", append(append(append([]byte(nil), prefix...), 0xf9, 0x20, 0x00), append(make([]byte, 8192), rest...)...),
			[]audit.Reason{audit.ReasonKnown, "", "", audit.ReasonOversized, "", ""}, 5, 4, 4096},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			reps, sum := runBytes(t, c, tc.data, audit.Config{Workers: 2, MaxBlockBytes: tc.max})
			if len(reps) != len(tc.reasons) {
				t.Fatalf("have %d reports, want %d: %+v", len(reps), len(tc.reasons), reps)
			}
			for i, want := range tc.reasons {
				if reps[i].Reason != want {
					t.Errorf("item %d: have %q (%s), want %q", i, reps[i].Reason, reps[i].Detail, want)
				}
			}
			if sum.Decoded != tc.decoded || sum.HeadNumber != tc.head {
				t.Errorf("decoded %d head #%d, want %d and #%d", sum.Decoded, sum.HeadNumber, tc.decoded, tc.head)
			}
		})
	}
}

func TestRunRefusesBadGenesis(t *testing.T) {
	g, err := audittest.Genesis(audittest.Cancun)
	if err != nil {
		t.Fatal(err)
	}
	g.Config.TerminalTotalDifficulty = nil
	_, err = audit.Run(context.Background(), g, bytes.NewReader(nil), audit.Config{}, func(audit.BlockReport) error { return nil })
	if !errors.Is(err, audit.ErrBadGenesis) {
		t.Fatalf("have %v, want ErrBadGenesis", err)
	}
	g.Config.TerminalTotalDifficulty = big.NewInt(0)
	g.Config.CancunTime, g.Config.ShanghaiTime = nil, g.Config.CancunTime
	if _, err := audit.Run(context.Background(), g, bytes.NewReader(nil), audit.Config{}, func(audit.BlockReport) error { return nil }); err != nil {
		t.Fatalf("a Shanghai genesis is usable: %v", err)
	}
}

// Forks made after the head has moved on rebuild from the nearest kept
// checkpoint below them, whatever order the checkpoints were made in: a
// fork at #10 leaves a checkpoint below newer ones, and a later fork at
// #12 must still replay whole blocks (it once replayed stripped ones).
func TestRunForksAfterAFork(t *testing.T) {
	c := generate(t, audittest.Cancun, 20)
	ten := c.Fork(9, 1)[0]     // #10' on #9
	twelve := c.Fork(11, 1)[0] // #12' on #11
	blocks := append(append([]*types.Block(nil), c.Blocks...), ten, twelve)
	reps, sum := runAudit(t, c, blocks, audit.Config{Workers: 1, CheckpointInterval: 4})
	for _, r := range reps {
		if r.Verdict != audit.VerdictValid {
			t.Errorf("#%d: %v %q (%s)", *r.Number, r.Verdict, r.Reason, r.Detail)
		}
	}
	if sum.Invalid != 0 || sum.HeadHash != twelve.Hash() {
		t.Fatalf("summary %d invalid, head %x; want none invalid, head #12' %x", sum.Invalid, sum.HeadHash, twelve.Hash())
	}
}
