package metrics

import (
	"github.com/cockroachdb/pebble/v2"
	"github.com/prometheus/client_golang/prometheus"
)

// PebbleCollector exports a few of pebble's statistics, read from a fresh
// snapshot at every scrape, so they cost nothing between scrapes:
//
//	receiptd_pebble_disk_usage_bytes          gauge    bytes on disk: tables, WAL, manifest
//	receiptd_pebble_read_amplification        gauge    sublevels a read may visit
//	receiptd_pebble_compactions_total         counter  compactions completed
//	receiptd_pebble_compaction_debt_bytes     gauge    bytes to compact to reach a stable LSM shape
//	receiptd_pebble_flushes_total             counter  memtable flushes completed
//	receiptd_pebble_memtable_size_bytes       gauge    bytes allocated by memtables
//	receiptd_pebble_block_cache_size_bytes    gauge    bytes held by the block cache
//	receiptd_pebble_block_cache_hits_total    counter  block cache hits
//	receiptd_pebble_block_cache_misses_total  counter  block cache misses
//	receiptd_pebble_wal_written_bytes_total   counter  bytes written to the WAL
//
// The counters restart from zero when the database is reopened, which
// Prometheus's rate() treats as a counter reset.
type PebbleCollector struct {
	snapshot func() *pebble.Metrics

	diskUsage, readAmp, compactions, compactionDebt, flushes *prometheus.Desc
	memtable, cacheSize, cacheHits, cacheMisses, walWritten  *prometheus.Desc
}

var _ prometheus.Collector = (*PebbleCollector)(nil)

// NewPebbleCollector returns a collector that calls snapshot at each scrape,
// typically a pebble DB's Metrics method. snapshot runs on the scrape's
// goroutine and must be safe to call at any time: once the database is
// closed it should return nil, and the collector then exports nothing, as it
// does when snapshot itself is nil.
func NewPebbleCollector(snapshot func() *pebble.Metrics) *PebbleCollector {
	desc := func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc(prometheus.BuildFQName(Namespace, "pebble", name), help, nil, nil)
	}
	return &PebbleCollector{
		snapshot:       snapshot,
		diskUsage:      desc("disk_usage_bytes", "Bytes pebble uses on disk: live and obsolete tables, WAL, manifest."),
		readAmp:        desc("read_amplification", "Sublevels a pebble read may have to visit (L0 sublevels plus non-empty levels)."),
		compactions:    desc("compactions_total", "Pebble compactions completed."),
		compactionDebt: desc("compaction_debt_bytes", "Estimated bytes pebble must compact to reach a stable LSM shape."),
		flushes:        desc("flushes_total", "Pebble memtable flushes completed."),
		memtable:       desc("memtable_size_bytes", "Bytes allocated by pebble's memtables."),
		cacheSize:      desc("block_cache_size_bytes", "Bytes held by pebble's block cache."),
		cacheHits:      desc("block_cache_hits_total", "Pebble block cache hits."),
		cacheMisses:    desc("block_cache_misses_total", "Pebble block cache misses."),
		walWritten:     desc("wal_written_bytes_total", "Bytes pebble wrote to its write-ahead log."),
	}
}

// Describe sends the descriptors of every metric the collector exports.
func (c *PebbleCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.diskUsage, c.readAmp, c.compactions, c.compactionDebt, c.flushes,
		c.memtable, c.cacheSize, c.cacheHits, c.cacheMisses, c.walWritten} {
		ch <- d
	}
}

// Collect takes a snapshot and sends its figures; nothing when there is no
// snapshot.
func (c *PebbleCollector) Collect(ch chan<- prometheus.Metric) {
	if c.snapshot == nil {
		return
	}
	s := c.snapshot()
	if s == nil {
		return
	}
	gauge := func(d *prometheus.Desc, v float64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v)
	}
	counter := func(d *prometheus.Desc, v float64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v)
	}
	gauge(c.diskUsage, float64(s.DiskSpaceUsage()))
	gauge(c.readAmp, float64(s.ReadAmp()))
	counter(c.compactions, float64(s.Compact.Count))
	gauge(c.compactionDebt, float64(s.Compact.EstimatedDebt))
	counter(c.flushes, float64(s.Flush.Count))
	gauge(c.memtable, float64(s.MemTable.Size))
	gauge(c.cacheSize, float64(s.BlockCache.Size))
	counter(c.cacheHits, float64(s.BlockCache.Hits))
	counter(c.cacheMisses, float64(s.BlockCache.Misses))
	counter(c.walWritten, float64(s.WAL.BytesWritten))
}
