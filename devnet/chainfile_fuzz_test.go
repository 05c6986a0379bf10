package devnet

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

// The chain-file reader never panics or loops on any input: every read
// ends in a block, io.EOF, or an error.
func FuzzChainReader(f *testing.F) {
	var buf bytes.Buffer
	d, err := New(Config{Seed: 3, FastMode: true, Domains: 1, TxPerBlock: 2, ForkProbability: -1, Logger: quiet()})
	if err != nil {
		f.Fatal(err)
	}
	w, err := NewChainWriter(&buf, d.Network())
	if err != nil {
		f.Fatal(err)
	}
	w.Close()
	f.Add(buf.Bytes())
	f.Add([]byte("RCPTCHN\x01"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, in []byte) {
		r, err := NewChainReader(bytes.NewReader(in))
		if err != nil {
			return
		}
		for range 10_000 {
			if _, err := r.Next(); err != nil {
				if !errors.Is(err, io.EOF) && err.Error() == "" {
					t.Fatal("error without a message")
				}
				return
			}
		}
		t.Fatal("reader did not end")
	})
}
