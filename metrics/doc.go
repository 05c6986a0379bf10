// Package metrics owns receiptd's Prometheus metrics: the Metricer interface
// every component records through, its no-op twin for tests, the
// implementation on a private registry, and a Collector that reads pebble's
// statistics at scrape time. The table of every metric, with an example alert
// for each, is METRICS.md beside this file.
//
// # What it guarantees
//
// Every name starts with receiptd_, including the Go runtime and process
// collectors (receiptd_go_goroutines, receiptd_process_cpu_seconds_total), so
// one prefix selects all of receiptd. Names carry base units (_seconds,
// _bytes, _blocks), counters end in _total, every metric has help text, and
// the exposition passes `promtool check metrics`. Nothing registers with
// client_golang's global registry: each Metrics has a registry of its own, so
// two in one process (or one per test) never collide.
//
// Every Record method is safe for concurrent use, never blocks on I/O and
// never panics on out-of-range input: negative counts and durations are
// recorded as zero.
//
// # Why cardinality stays bounded
//
// A time series exists per combination of label values, so every label here
// takes values from a set whose size is known in advance:
//
//   - verdict, result: fixed sets (Verdict*, Proof* constants). Any other
//     value is recorded as "other".
//   - domain: a registered domain's id. A network runs a handful of domains;
//     past 256 distinct ids new ones are recorded as "other".
//   - stage, kind, status, component: names chosen in receiptd's code (the
//     Stage*, SourceError*, Challenge* and Component* constants are the ones
//     in use), never from input. Each label accepts at most 32 distinct values;
//     later ones are recorded as "other".
//   - field (GraphQL): the root field a request asks for, a name from the
//     schema ("receipt", "domainBlock", "__schema"), or "multiple", "none",
//     "refused"; never the client's operation name, which any client could
//     vary to crowd out the others. About twenty values in use; past 64 new
//     ones are recorded as "other".
//
// Empty values are recorded as "unknown" and invalid UTF-8 as "invalid", so a
// bad value never panics a Record call.
//
// # Imports
//
// metrics imports client_golang and pebble and no other receiptd package:
// every package may import it.
package metrics
