// Package audit re-executes a geth-format chain (a genesis as `geth init` takes
// it, blocks as `geth export` writes them) and judges every block the way a
// go-ethereum v1.17 node importing the file would.
//
// # What it guarantees
//
// Each block is checked against its parent, which must be a standing block
// (the genesis or a block that verified earlier in the stream):
//
//  1. header rules, by the consensus engine geth builds for the config
//     (eth/ethconfig.CreateConsensusEngine: beacon wrapping clique when the
//     config names clique, beacon wrapping the ethash faker otherwise; a config
//     without terminalTotalDifficulty is refused, as geth refuses it);
//  2. body rules, those of core.BlockValidator.ValidateBody;
//  3. execution by core.StateProcessor;
//  4. state rules by core.BlockValidator.ValidateState (gas used, bloom,
//     receipts root, requests hash, access list, state root).
//
// A block that fails is reported with a stable reason code and skipped; later
// blocks still verify against the chain that stands. The head is the last
// block that verified. A block that is already standing is reported valid with
// reason "known" and does not move the head (geth ignores known blocks).
//
// # Reason codes
//
// Reasons are stable strings; the detail beside them is go-ethereum's message.
//
//	undecodable       the item's RLP framing is intact but it is not a block;
//	                  the stream resumes at the next item
//	truncated         the stream's framing is broken (non-list item, cut-off
//	                  item, unreadable or corrupt file); reading stops here
//	oversized         an item larger than Config.MaxBlockBytes; skipped
//	genesis-mismatch  block 0 in the file is not the genesis block
//	unknown-parent    the parent hash names no standing block
//	state-unavailable the parent stands but is older than every kept state
//	                  checkpoint (a fork deeper than the kept history)
//	header            the consensus engine rejects the header
//	body              transactions/uncles/withdrawals/blobs/access list do not
//	                  match the header, or the block is oversized
//	tx                a transaction cannot be applied (nonce, funds, gas, ...)
//	execution         any other execution failure (system calls, requests)
//	gas               gas used differs from the header's
//	bloom             logs bloom differs
//	receipts-root     receipts root differs
//	requests-hash     EIP-7685 requests hash differs or is misplaced
//	access-list       EIP-7928 block access list differs or is misplaced
//	state-root        state root differs
//
// # How state is kept
//
// Only what verification needs is kept, all in memory: headers of standing
// blocks within Config.Retain of the head, bodies back to the oldest state
// checkpoint, and state in a hash-scheme trie database over a memory database.
// The head's state lives in one state.StateDB that carries over from block to
// block, with one IntermediateRoot per block, as bare execution would. Every
// Config.CheckpointInterval blocks that state is committed (a checkpoint, kept
// referenced; the oldest of four is released). When a block fails after its
// execution touched the live state, or a block builds on a standing block that
// is not the head, the parent state is rebuilt from the newest checkpoint that
// is its ancestor by replaying the standing blocks in between, then committed
// as a fresh checkpoint so a run of bad blocks costs one rebuild.
//
// # Senders
//
// Sender recovery (and transaction hashing) runs in a pool of Config.Workers
// goroutines ahead of execution; blocks reach the executor in file order
// through a bounded queue. Recovery is most of the CPU time, but the executor
// is the critical path: with as many workers as cores the Go scheduler
// time-slices it with them, and it ran half its wall time waiting for a core.
// So the pool has one worker fewer than GOMAXPROCS, and the executor shares
// recovery rather than wait: each block's transactions are claimed in chunks
// of 16 by whichever goroutine comes first, the executor included, and the
// executor waits only for chunks a worker is in the middle of. Every core
// stays busy, and none takes the executor's.
//
// # Throughput
//
// audit is measured against go-ethereum twice (BenchmarkAudit) and once
// outside the process (scripts/audit-vs-geth.sh). The baseline that stands
// for "geth's import" is core.BlockChain configured as `geth import`
// configures it on a new data directory: pebble on disk, the path scheme,
// snapshots on, geth's default caches; the script times the geth v1.17.0
// binary itself. audit beats it mainly by what it does not do: it writes no
// blocks, receipts, snapshot or trie history to disk. BenchmarkAudit also
// reports core.BlockChain on a memory database with the hash scheme, geth
// with nothing to write, which audit beats by much less: on two cores both
// are bound by sender recovery (about 70% of the CPU time of bare execution
// on the benchmark's mixed workload), which both spread over every core.
//
// Each comparison runs twice in BenchmarkAudit: at one GC setting for both
// (the process's GOGC), and as the two binaries set the collector, audit at
// GOGC 200 (cmd/receiptd) and geth at GOGC 50 (the default of `geth
// --gogc`). audit allocates most of its garbage in go-ethereum's state and
// trie code and is about a fifth faster at 200; geth barely moves at 50.
// The state checkpoints cost 5-8% of audit's instructions (callgrind: 125.6 G
// against 118.7 G with none over 1,024 blocks of the benchmark's workload;
// 19.1 G against 17.6 G over the benchmark's 160 blocks, which take one),
// and are kept: they are how audit judges a bad block and goes on. The cost
// is committing each new trie node to the trie database once, and resolving
// trie paths again in the reopened state; so a longer interval does not
// amortize it (125.1 G at 512, since the state that carries over iterates
// every account mutated since its last commit once per block), and carrying
// the values read before a checkpoint over to the reopened state saved
// nothing measurable. Nor does the collector leave much: GOGC 400 instead
// of 200 saves about 2% of the instructions for 25-45% more peak RSS.
//
// # Imports
//
// audit uses go-ethereum and the standard library only; it must not import
// other receiptd packages, nor go-ethereum's beacon/... or eth/catalyst.
package audit
