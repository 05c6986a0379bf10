package metrics_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/receiptd/receiptd/metrics"
)

func TestPebbleCollectorReadsASnapshotAtScrape(t *testing.T) {
	db, err := pebble.Open("", &pebble.Options{FS: vfs.NewMem()})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	reg := prometheus.NewRegistry()
	reg.MustRegister(metrics.NewPebbleCollector(db.Metrics))

	// Before any write: the figures exist and no flush has happened.
	if v := value(t, reg, "receiptd_pebble_flushes_total"); v != 0 {
		t.Errorf("flushes before any write: %v", v)
	}
	for i := range 1000 {
		if err := db.Set(fmt.Appendf(nil, "key-%04d", i), make([]byte, 100), pebble.NoSync); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Flush(); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, closer, err := db.Get([]byte("key-0500")); err != nil {
			t.Fatal(err)
		} else {
			closer.Close()
		}
	}

	if v := value(t, reg, "receiptd_pebble_flushes_total"); v < 1 {
		t.Errorf("flushes after Flush: %v, want at least 1", v)
	}
	if v := value(t, reg, "receiptd_pebble_disk_usage_bytes"); v < 1000*100/10 {
		t.Errorf("disk usage %v bytes after writing 100 KB", v)
	}
	if v := value(t, reg, "receiptd_pebble_wal_written_bytes_total"); v < 1000*100 {
		t.Errorf("WAL written %v bytes after writing 100 KB", v)
	}
	hits, misses := value(t, reg, "receiptd_pebble_block_cache_hits_total"), value(t, reg, "receiptd_pebble_block_cache_misses_total")
	if hits < 1 || misses < 1 {
		t.Errorf("block cache hits %v misses %v after reading one key twice from a table, want both ≥ 1", hits, misses)
	}
	if v := value(t, reg, "receiptd_pebble_read_amplification"); v < 1 {
		t.Errorf("read amplification %v with one table, want ≥ 1", v)
	}
	if n := testutil.CollectAndCount(metrics.NewPebbleCollector(db.Metrics)); n != 10 {
		t.Errorf("%d figures exported, want 10", n)
	}
	problems, err := testutil.GatherAndLint(reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
}

func TestPebbleCollectorWithoutSnapshotExportsNothing(t *testing.T) {
	for name, c := range map[string]*metrics.PebbleCollector{
		"nil func":   metrics.NewPebbleCollector(nil),
		"nil result": metrics.NewPebbleCollector(func() *pebble.Metrics { return nil }),
	} {
		reg := prometheus.NewRegistry()
		if err := reg.Register(c); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		mfs, err := reg.Gather()
		if err != nil || len(mfs) != 0 {
			t.Errorf("%s: %d families (err %v), want none", name, len(mfs), err)
		}
	}
}

// value returns the value of the unlabelled gauge or counter name.
func value(t *testing.T, g prometheus.Gatherer, name string) float64 {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name && len(mf.GetMetric()) == 1 {
			m := mf.GetMetric()[0]
			if strings.HasSuffix(name, "_total") {
				return m.GetCounter().GetValue()
			}
			return m.GetGauge().GetValue()
		}
	}
	t.Fatalf("%s not exported", name)
	return 0
}
