package devnet

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/receiptd/receiptd/protocol"
)

// chainFile records d's canonical chain in memory and returns it with
// the offset of each block's end.
func chainFile(t *testing.T, d *Devnet) ([]byte, []int) {
	t.Helper()
	var buf bytes.Buffer
	cw, err := NewChainWriter(&buf, d.Network())
	if err != nil {
		t.Fatal(err)
	}
	var ends []int
	for n := uint64(1); n <= d.Head().Header.Number; n++ {
		b, _ := d.BlockByNumber(n)
		if err := cw.Write(b); err != nil {
			t.Fatal(err)
		}
		ends = append(ends, cw.w.Buffered()+buf.Len())
	}
	if err := cw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := cw.Close(); err != nil {
		t.Fatal("second close:", err)
	}
	return buf.Bytes(), ends
}

// readChain reads a whole chain file.
func readChain(data []byte) ([]*protocol.Block, error) {
	cr, err := NewChainReader(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	var out []*protocol.Block
	for {
		b, err := cr.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, b)
	}
}

func TestChainFileRoundTrip(t *testing.T) {
	cfg := testConfig(41)
	cfg.ForkProbability = 0.4
	d := newTestDevnet(t, cfg, 12)
	data, _ := chainFile(t, d)
	blocks, err := readChain(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(blocks) != 12 {
		t.Fatalf("read %d blocks, wrote 12", len(blocks))
	}
	// Replaying the file through the protocol's rules gives the devnet's state.
	genesis, _ := d.BlockByNumber(0)
	st, err := protocol.Genesis(d.Network().Spec)
	if err != nil || st.Hash != genesis.Hash() {
		t.Fatalf("genesis %v", err)
	}
	for i, b := range blocks {
		want, _ := d.BlockByNumber(uint64(i + 1))
		if b.Hash() != want.Hash() {
			t.Fatalf("#%d: read %s, devnet has %s", i+1, b.Hash(), want.Hash())
		}
		if st, _, err = st.Apply(b, protocol.ApplyOptions{}); err != nil {
			t.Fatalf("#%d does not apply: %v", i+1, err)
		}
	}
	if st.Hash != d.HeadState().Hash {
		t.Fatal("replayed state differs from the devnet's head state")
	}

	// An empty chain has a trailer too.
	empty, _ := chainFile(t, newTestDevnet(t, testConfig(42), 0))
	if got, err := readChain(empty); err != nil || len(got) != 0 {
		t.Fatalf("empty chain: %d blocks, %v", len(got), err)
	}
}

func TestChainFileDamage(t *testing.T) {
	d := newTestDevnet(t, testConfig(43), 5)
	data, ends := chainFile(t, d)
	flip := func(at int) []byte {
		c := bytes.Clone(data)
		c[at] ^= 0x40
		return c
	}
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"empty file", nil, "no magic"},
		{"other file", []byte("#!/bin/sh\necho hello\n"), "wrong magic"},
		{"newer version", append(append([]byte("RCPTCHN"), 2), data[8:]...), "version 2"},
		{"magic only", data[:8], "no network"},
		{"cut in the network", data[:ends[0]/2], "truncated inside the network"},
		{"cut in block 3", data[:ends[2]-7], "truncated inside the block #3"},
		{"cut after block 3", data[:ends[2]], "ends after block #3"},
		{"cut before the trailer", data[:ends[4]], "ends after block #5"},
		{"cut in the trailer", data[:len(data)-1], "truncated inside the trailer"},
		{"flipped byte in block 4", flip(ends[3] - 40), "block"},
		{"flipped trailer", flip(len(data) - 1), "trailer says"},
		{"data after the trailer", append(bytes.Clone(data), 0xc0), "after the trailer"},
		{"block left out", append(bytes.Clone(data[:ends[1]]), data[ends[2]:]...), "does not follow"},
	}
	for _, tc := range cases {
		_, err := readChain(tc.data)
		t.Logf("%s: %v", tc.name, err)
		if !errors.Is(err, ErrChainFile) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want ErrChainFile with %q", tc.name, err, tc.want)
		}
	}

	// The writer refuses a chain with a gap.
	cw, err := NewChainWriter(io.Discard, d.Network())
	if err != nil {
		t.Fatal(err)
	}
	b2, _ := d.BlockByNumber(2)
	if err := cw.Write(b2); err == nil {
		t.Error("writer took block #2 first")
	}
}
