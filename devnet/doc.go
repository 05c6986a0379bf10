// Package devnet is receiptd's embedded DecEx network: a deterministic
// consensus chain with domains, staked operators elected per slot, an EVM
// workload, faulty operators, forks and reorgs. It is the chain
// `receiptd run` follows by default, the node `receiptd devnet` serves, and
// the source of recorded chains for tests and benchmarks.
//
// # What it guarantees
//
//   - Determinism: every choice comes from the seed (keys, elections, the
//     workload, faults, forks). Two devnets with the same Config produce the
//     same consensus and domain blocks, whatever the wall clock does:
//     timestamps are logical (genesis time + slot).
//   - Validity: every block it makes passes protocol.State.Apply, and every
//     domain block it derives is a valid Ethereum block (the honest domain
//     chain exports to geth).
//   - Faults are only where configured: an operator without a fault rate
//     always backs the honest receipt.
//
// # The model, as it runs
//
// One goroutine (Run, or the caller of Step) owns the chain. Each slot it
// picks a parent (the canonical head, or, with the fork probability, an
// ancestor up to MaxReorgDepth back, building a longer branch that becomes
// canonical), lets every elected operator of every domain build a bundle
// from the domain's mempool, collects receipt-only submissions when a
// domain's head receipt lags, applies queued fraud proofs, and seals the
// block through protocol's Builder. It then derives and executes every
// domain block the new consensus block makes, so it knows the honest
// receipt for each domain block on every fork.
//
// Operators: an honest operator carries the head receipt, or its own honest
// receipt for head + 1 when that domain block exists; it submits nothing
// while the head is a receipt it disagrees with (backing it would get it
// slashed). A faulty operator mutates the receipts it adds with the
// configured probability per fault kind, and may fill a bundle with an
// illegal or undecodable transaction. The devnet's operators never submit
// fraud proofs: challenging is receiptd's job.
//
// # Imports
//
// devnet imports protocol, domain and devnet/workload, and never verifier,
// indexer, graphql or cmd packages.
package devnet
