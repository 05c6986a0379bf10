// Package proof builds and verifies fraud proofs against execution receipts
// (DESIGN.md §1.7).
//
// Verifier checks a proof against consensus-chain data alone: the consensus
// state the proof's block applies to (the block tree holds the bad ER and
// its parent ER), the consensus block that derived the bad ER's domain block
// (fetched by hash through ConsensusBlocks), and what the proof carries. It
// holds no domain state. Build makes the proof of the highest-priority wrong
// field of a bad ER from the honest derivation and execution of the same
// domain block; it runs off the hot path of verification and never returns
// a proof that does not verify against the data it was built from.
//
// # What a verified proof guarantees
//
// A proof verifies only if the bad ER contradicts consensus data, given
// that its parent ER is right (a proof against the parent prunes both). Each
// kind re-derives one field and compares:
//
//   - BundleValidity: the validity of inboxed bundle i, re-derived with
//     domain.Derive over the domain's bundles 0..i of the consensus block, from
//     the parent header (anchored to the parent ER's domain block hash) and
//     the accounts the validity context reads, each proved by a Merkle proof
//     against the parent ER's final state root.
//   - InvalidExtrinsicsRoot: the ordered transactions follow from the
//     consensus block and the ER's own validity flags (Valid bundles' txs,
//     each hash once, shuffled by the consensus randomness).
//   - InvalidStateTransition: trace[i] is recomputed from trace[i−1] (the
//     parent ER's final root for init) by one go-ethereum step on a stateless
//     witness; the transaction of a tx step is proved under the ER's
//     extrinsics root. Trace-length proofs count the transactions the flags
//     keep and carry nothing else.
//   - InvalidExecutionResult: the whole block re-executed on a block-level
//     witness gives the gas used, receipts root, bloom or fees.
//   - InvalidDomainBlockHash: the header follows from the parent header, the
//     consensus block and the ER's own execution fields.
//
// Priority (bundle validity, extrinsics root, trace, execution result, block
// hash) lets each kind trust the fields ranked above it: a verifier of a
// lower kind takes them from the bad ER, so an ER wrong in a higher field is
// still bad, and a proof of a lower field against it is still sound.
//
// # Canonical encoding
//
// Every byte of a proof matters, so flipping any byte makes it fail. The
// verifier records what a stateless run reads: trie nodes, codes and
// headers of a witness, nodes of a Merkle proof, proved accounts. Each list
// must be strictly ascending (no duplicates) and wholly read, else
// ErrNonCanonical or ErrWitnessUnused; a witness header is read when
// BLOCKHASH walks through it, Headers[0] always (it anchors the witness to
// the parent ER). A block in a proof has no withdrawals list at all. (The
// wire witness has no keys list, so there is none to require empty.)
//
// Build makes witnesses of exactly that content. A step's witness is
// go-ethereum's (domain.Executor.BuildStepWitness) trimmed to what a
// recorded stateless run of the step reads. A block's witness is collected
// by running the block statelessly on a database that fetches each node and
// code from the honest store on first read (domain.WitnessSource):
// go-ethereum's witness builder gathers read-only trie paths through the
// prefetcher, which the first IntermediateRoot consumes, and the domain
// executor takes a root after every transaction for the trace.
//
// # Decisions
//
//   - A transaction step runs with a gas pool of the whole block gas limit,
//     and the proof carries no gas-used-before. Admission keeps the declared
//     gas of a consensus block's bundles within the domain block gas limit, so
//     the pool check never binds in a derived block, and before Amsterdam the
//     pool affects nothing else: the root is the same as with the pool the
//     design names, and an unverifiable field would break canonical encoding.
//   - The first wrong trace entry is found by a scan of the bad trace against
//     the honest one. Both are in hand in full (an ER carries its trace), so
//     a bisection over Merkle subtrees would hash O(n) nodes to save O(n)
//     comparisons of 32 bytes. A trace of the wrong length gets a
//     trace-length proof, whatever its entries say: phases depend on length.
//   - BundleValidityProof carries the parent domain header: the validity
//     context needs its base fee, gas limit and fork rules.
//   - An ExecutionResultProof's block has the header the bad ER describes
//     (the derived header with the ER's execution fields) and the ER's
//     transactions; the verifier rejects any other header or body.
//   - The domain block gas limit is the consensus DomainConfig's, as the
//     devnet and verifier pass it to domain.Derive.
//
// # Imports
//
// proof imports go-ethereum, protocol and domain. It must not import
// devnet, verifier, indexer or any service package, nor go-ethereum's
// beacon/... or eth/catalyst.
package proof
