// Package verifier follows a consensus chain, re-derives and re-executes
// every domain block, judges every execution receipt, and records it all
// in the index, one atomic commit per consensus block.
//
// # Pipeline
//
// A fetcher goroutine reads blocks ahead of the tip (Config.Lookahead) and
// does the state-free work: the block's BLS signatures of bundles and
// submissions in one batch (one by one, on a worker pool, only when the
// batch fails, so the verdict names the bad one), then decoding of
// extrinsics and sender recovery on the pool. The follower's
// goroutine applies each block to the consensus state in order (election
// thresholds, admission, the block tree), executes the domain blocks it
// derives — one goroutine per domain, concurrently — judges the receipts
// the block carries against the honest receipts it computed, and commits.
// So block n+1 is prepared while block n executes.
//
// # Verdicts
//
// A receipt is valid when every field it claims about its domain block
// equals receiptd's (CheckContent, in the design's fault priority), and
// its parent is not a pending bad receipt (CheckParent). A bad receipt that
// is confirmed anyway is recorded as confirmed-bad and logged as an error.
//
// # Crash safety and reorgs
//
// Each commit holds the block's records, the per-domain progress (verified
// height, state root, newest flushed state) and, every CheckpointEvery
// blocks, a checkpoint of the follower's memory. Domain state is committed
// to go-ethereum's hash-scheme trie database after every block and flushed
// to disk, and synced, every FlushEvery domain blocks, before the commit
// that names it. A restart (after kill -9 too) loads the newest
// checkpoint, re-executes the domain blocks whose state was not flushed
// (states are content-addressed, so writing them again is harmless); when
// the flushed state the checkpoint names is gone too (the state directory
// lost), from the newest older one the index's checkpoints name that is
// still on disk, or from genesis. It then replays the
// consensus blocks after the checkpoint from the index without committing,
// and resumes after the last committed block: the index ends exactly as an
// uninterrupted run leaves it. Executions kept for proofs are not in the
// checkpoint: a challenger that needs one for a receipt executed before the
// restart (or before it was started as a challenger) executes that domain
// block again from the flushed state below it (challenger.go, reexecuted).
// One part of the index is not the same from run to run, crash or not: in
// the challenge modes a proof is built beside the follower, and its
// challenge is recorded at the block being committed when it is ready, so
// that block depends on timing; a proof in flight at a crash is built
// again after the restart. Receipts, verdicts and everything else are as
// above.
// A reorg rolls the index back to the common ancestor in one batch and
// restores the follower from its in-memory ring of recent states (or from
// a checkpoint for older ancestors).
//
// Domain states stay referenced in memory from the newest confirmed
// receipt's block (any pending receipt may need a proof built on its
// parent state) and for the reorg window; older ones are released. States
// flushed to disk are pruned every Config.PruneEvery flushes: the hash
// scheme keeps no reference counts on disk, so the follower marks every
// node reachable from the states a restart or reorg may open (those in
// memory and in the reorg ring, and those from the oldest flushed state a
// checkpoint still in the index names up to the head; prune.go) and
// deletes the rest (domain.StateStore.Prune). Each snapshot remembers the
// newest flushed state on its chain, and a rollback returns to it, so a
// checkpoint never names a state flushed on an orphaned fork.
//
// verifier imports protocol, domain and source, never indexer internals,
// graphql or cmd.
package verifier
