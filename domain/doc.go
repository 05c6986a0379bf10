// Package domain executes one block of an EVM domain with go-ethereum and
// records what a fraud proof needs: the execution trace, the fees, and the
// stateless witness of any single trace step.
//
// A domain block is an Ethereum block (DESIGN.md §1.1, §1.5): every fork up
// to Cancun is active at genesis, Prague and later are not, the consensus
// engine is go-ethereum's beacon engine, and an exported domain chain imports
// into geth unchanged. The package guarantees that:
//
//   - ChainConfig and NewGenesis give the config and genesis geth takes
//     (`geth init`), including the EIP-4788 beacon-roots contract;
//   - NewHeader derives a header geth's header verification accepts;
//   - Executor.Execute runs a block exactly as go-ethereum's state processor
//     does, and additionally records the state root after initialisation
//     (the EIP-4788 system call), after every transaction and after
//     finalisation: trace[0], trace[1..n], trace[n+1];
//   - Executor.BuildStepWitness and ExecuteStep re-execute one trace step
//     from a go-ethereum stateless witness, without any other state, and
//     reproduce the trace entry a full execution computed;
//   - StateStore keeps state in go-ethereum's hash-scheme trie database,
//     with reference-counted garbage collection in memory, explicit
//     flushing, and mark-and-sweep pruning of flushed state (prune.go).
//
// # Trace steps
//
// For a block of n transactions step 0 is initialisation, step i in 1..n is
// transaction i−1, and step n+1 is finalisation (post-execution and the
// engine's Finalize). Under Cancun finalisation changes nothing, so
// trace[n+1] = trace[n]; both are kept because the protocol names them.
// The pre-state of step 0 is the parent block's final root, of step i > 0
// trace[i−1]; a transaction step's gas pool is the block gas limit less the
// gas used by the transactions before it.
//
// # Concurrency
//
// An Executor is immutable after construction and may be shared by any
// number of goroutines; each call needs its own *state.StateDB, which is
// owned by the calling goroutine until the call returns. StateStore's
// methods may be called concurrently (go-ethereum's trie database holds its
// own lock); the caller orders Release after the last use of a root.
//
// # Imports
//
// This package imports go-ethereum and receiptd's protocol package only. It
// must not import the verifier, indexer, proof or any service package, nor
// go-ethereum's beacon/... or eth/catalyst packages.
package domain
