// Package workload generates a deterministic EVM workload for a domain chain:
// funded accounts and pre-deployed contracts for the genesis (Alloc), then a
// stream of signed transactions (Next) mixing ETH transfers, ERC-20 style
// token transfers, storage-heavy calls and token deployments, and, for faulty
// operators, illegal transactions (Illegal) and undecodable bytes
// (Undecodable).
//
// Guarantees:
//   - Determinism: equal Configs give identical keys, Alloc and tx bytes.
//   - Validity: executed in order under Cancun rules on a chain whose genesis
//     holds Alloc, every tx from Next succeeds (receipt status 1), provided
//     each is priced with the base fee of its block (within a doubling) and
//     blocks respect their gas limit (see MaxTxGas). Types 0, 1 and 2 only.
//   - Isolation: Illegal uses its own account, key and RNG; it never changes
//     the honest stream, and each illegal tx fails exactly the go-ethereum
//     pre-check its IllegalKind names.
//
// The contracts are written with go-ethereum's core/vm/program (no solc):
//   - token: transfer(address,uint256) (0xa9059cbb) and balanceOf(address)
//     (0x70a08231); balances at keccak(pad32(holder) ‖ pad32(0)) as Solidity
//     lays out mapping slot 0; transfer reverts on a short balance, emits
//     Transfer(address,address,uint256) and returns true.
//   - storage: each call writes pad32(caller) into StorageSlotsPerCall (K = 8)
//     fresh slots keccak(pad32(caller) ‖ calldata[0:32]) + i; the stream's
//     calldata is a per-stream counter, so state grows by K slots a call.
//   - deployments: init code that credits DeployedTokenSupply to the deployer
//     and returns the token runtime, so deployed code is real and callable.
//
// A Generator is owned by one goroutine. The package imports go-ethereum and
// the standard library only; it must not import receiptd packages (devnet and
// benchmarks import it) nor go-ethereum's chain machinery (core), which
// belongs to the callers and the tests.
package workload
