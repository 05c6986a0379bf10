package kv

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"testing"
)

// BenchmarkGet reads records at random keys through a snapshot, as
// GraphQL requests do, from a store written the way the index writes one:
// batches of hash-keyed records, enough of them (about 600 MB) that the
// tree has several levels and the block cache holds a tenth. It compares
// tables with and without bloom filters, on the same writes.
//
//	go test ./indexer/internal/kv -run XXX -bench Get -benchtime 20000x
//
// The stores are built under $RECEIPTD_BENCH_DIR when it is set, and
// reused by later runs.
func BenchmarkGet(b *testing.B) {
	const records, value, perBatch = 2_000_000, 300, 5_000
	key := func(i int) []byte {
		h := sha256.Sum256(binary.BigEndian.AppendUint64(nil, uint64(i)))
		return append([]byte{'r'}, h[:]...)
	}
	for _, noBloom := range []bool{true, false} {
		name := map[bool]string{true: "no-bloom", false: "bloom"}[noBloom]
		b.Run(name, func(b *testing.B) {
			dir := b.TempDir()
			if d := os.Getenv("RECEIPTD_BENCH_DIR"); d != "" {
				dir = fmt.Sprintf("%s/kv-get-%s", d, name)
			}
			p, err := OpenPebble(dir, PebbleOptions{CacheBytes: 64 << 20, NoBloom: noBloom})
			if err != nil {
				b.Fatal(err)
			}
			defer p.Close()
			if _, err := p.Get(key(records - 1)); err != nil { // not yet written
				v := make([]byte, value)
				for i := 0; i < records; i += perBatch {
					batch := p.NewBatch()
					for j := i; j < i+perBatch; j++ {
						binary.BigEndian.PutUint64(v, uint64(j))
						if err := batch.Set(key(j), v); err != nil {
							b.Fatal(err)
						}
					}
					if err := batch.Commit(false); err != nil {
						b.Fatal(err)
					}
				}
			}
			levels := p.db.Metrics().String()
			b.Logf("levels:\n%s", levels[:min(len(levels), 1200)])
			snap, err := p.NewSnapshot()
			if err != nil {
				b.Fatal(err)
			}
			defer snap.Close()
			keys := make([][]byte, 4096)
			rng := rand.New(rand.NewPCG(1, 2))
			for i := range keys {
				keys[i] = key(rng.IntN(records))
			}
			b.ResetTimer()
			for i := range b.N {
				if _, err := snap.Get(keys[i%len(keys)]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
