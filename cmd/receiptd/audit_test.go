package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/ethereum/go-ethereum/core/types"
	"github.com/receiptd/receiptd/audit/audittest"
)

func TestRunAudit(t *testing.T) {
	dir := t.TempDir()
	g, err := audittest.Genesis(audittest.Cancun)
	if err != nil {
		t.Fatal(err)
	}
	c := audittest.Generate(g, 5, 2)
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	gj, err := audittest.GenesisJSON(g)
	if err != nil {
		t.Fatal(err)
	}
	genesis := write("genesis.json", gj)
	export := func(blocks []*types.Block) []byte {
		data, err := audittest.Export(c.GenesisBlock, blocks)
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	good := export(c.Blocks)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(good)
	zw.Close()
	bad := append([]*types.Block(nil), c.Blocks...)
	bad[2] = audittest.Tamper(bad[2], func(h *types.Header) { h.Root[0] ^= 1 })
	noTTD := *g
	cfg := *g.Config
	cfg.TerminalTotalDifficulty = nil
	noTTD.Config = &cfg
	noTTDJSON, err := audittest.GenesisJSON(&noTTD)
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name     string
		args     []string
		code     int
		lines    int    // JSON lines on stdout, summary included
		headLine uint64 // head_number of the summary
	}{
		{"all valid", []string{"--genesis", genesis, write("chain.rlp", good)}, 0, 7, 5},
		{"gzip", []string{"--genesis", genesis, "--workers", "1", write("chain.rlp.gz", gz.Bytes())}, 0, 7, 5},
		{"state root tampered", []string{"--genesis", genesis, write("bad.rlp", export(bad))}, 1, 7, 2},
		{"truncated", []string{"--genesis", genesis, write("cut.rlp", good[:len(good)-3])}, 1, 7, 4},
		{"nothing decodes", []string{"--genesis", genesis, write("junk.rlp", []byte("junk"))}, 2, 2, 0},
		{"missing chain file", []string{"--genesis", genesis, filepath.Join(dir, "nope.rlp")}, 2, 0, 0},
		{"missing genesis", []string{"--genesis", filepath.Join(dir, "nope.json"), write("c2.rlp", good)}, 2, 0, 0},
		{"genesis not JSON", []string{"--genesis", write("bad.json", []byte("{")), write("c3.rlp", good)}, 2, 0, 0},
		{"genesis without TTD", []string{"--genesis", write("nottd.json", noTTDJSON), write("c4.rlp", good)}, 2, 0, 0},
		{"no genesis flag", []string{write("c5.rlp", good)}, 2, 0, 0},
		{"two chain files", []string{"--genesis", genesis, "a", "b"}, 2, 0, 0},
		{"bad flag", []string{"--bogus"}, 2, 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), append([]string{"audit"}, tc.args...), &stdout, &stderr)
			if code := exitCode(err, &stderr); code != tc.code {
				t.Fatalf("exit %d, want %d; err %v; stderr %s", code, tc.code, err, stderr.String())
			}
			var lines []map[string]any
			sc := bufio.NewScanner(&stdout)
			for sc.Scan() {
				var m map[string]any
				if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
					t.Fatalf("stdout line %q is not JSON: %v", sc.Text(), err)
				}
				lines = append(lines, m)
			}
			if len(lines) != tc.lines {
				t.Fatalf("have %d stdout lines, want %d: %s", len(lines), tc.lines, stdout.String())
			}
			if tc.lines == 0 {
				return
			}
			sum := lines[len(lines)-1]
			if sum["type"] != "summary" || sum["head_number"] != float64(tc.headLine) {
				t.Errorf("summary %v, want head_number %d", sum, tc.headLine)
			}
			for _, l := range lines[:len(lines)-1] {
				for _, key := range []string{"number", "hash", "verdict", "gas", "txs"} {
					if _, ok := l[key]; !ok {
						t.Errorf("block line %v lacks %q", l, key)
					}
				}
			}
		})
	}
}
