package workload

import (
	"encoding/binary"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/vm"
	"github.com/ethereum/go-ethereum/core/vm/program"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/holiman/uint256"
)

// ABI selectors of the token contract, as Solidity computes them.
var (
	SelectorTransfer  = [4]byte{0xa9, 0x05, 0x9c, 0xbb} // transfer(address,uint256)
	SelectorBalanceOf = [4]byte{0x70, 0xa0, 0x82, 0x31} // balanceOf(address)
)

// TransferEventTopic is topic 0 of the token's Transfer(address,address,uint256) log.
var TransferEventTopic = crypto.Keccak256Hash([]byte("Transfer(address,address,uint256)"))

// StorageSlotsPerCall is K, the number of fresh storage slots every call to
// the storage contract writes.
const StorageSlotsPerCall = 8

// DeployedTokenSupply is the token balance a deployment's constructor gives
// its deployer, so a deployed token is callable beyond balanceOf.
const DeployedTokenSupply = 1_000_000_000

// contracts holds the bytecode the workload uses; it is built once per
// Generator from fixed programs, so every Generator holds identical code.
type contracts struct {
	tokenRuntime   []byte
	storageRuntime []byte
	tokenInitCode  []byte
}

func buildContracts() contracts {
	runtime := tokenRuntime()
	return contracts{
		tokenRuntime:   runtime,
		storageRuntime: storageRuntime(),
		tokenInitCode:  tokenInitCode(runtime),
	}
}

// TokenBalanceSlot is the storage slot of holder's balance in the token
// contract: keccak256(pad32(holder) ‖ pad32(0)), Solidity's layout of a
// mapping(address => uint256) at slot 0.
func TokenBalanceSlot(holder common.Address) common.Hash {
	var buf [64]byte
	copy(buf[12:32], holder[:])
	return crypto.Keccak256Hash(buf[:])
}

// StorageSlots returns the K slots a call to the storage contract from caller
// with the 32-byte calldata seed writes: keccak256(pad32(caller) ‖ seed) + i
// for i in [0, K). Each is set to pad32(caller).
func StorageSlots(caller common.Address, seed [32]byte) [StorageSlotsPerCall]common.Hash {
	var buf [64]byte
	copy(buf[12:32], caller[:])
	copy(buf[32:], seed[:])
	base := new(uint256.Int).SetBytes(crypto.Keccak256(buf[:]))
	var slots [StorageSlotsPerCall]common.Hash
	for i := range slots {
		slots[i] = new(uint256.Int).AddUint64(base, uint64(i)).Bytes32()
	}
	return slots
}

// storageSeed is the calldata of the seq-th storage call: seq as a 32-byte
// big-endian word, unique within one honest stream.
func storageSeed(seq uint64) [32]byte {
	var seed [32]byte
	binary.BigEndian.PutUint64(seed[24:], seq)
	return seed
}

// tokenRuntime is an ERC-20 subset: transfer(address,uint256) and
// balanceOf(address). Non-payable; short calldata, unknown selectors, short
// balances and overflowing credits revert, as solc-built tokens do.
func tokenRuntime() []byte {
	addrMask := new(uint256.Int).SubUint64(new(uint256.Int).Lsh(uint256.NewInt(1), 160), 1)
	return assemble(func(a *assembler) {
		p := a.p
		// Dispatcher.
		p.Op(vm.CALLVALUE)
		a.jumpIf("revert")
		p.Push(0).Op(vm.CALLDATALOAD).Push(0xe0).Op(vm.SHR) // [sel]
		p.Op(vm.DUP1).Push(SelectorTransfer[:]).Op(vm.EQ)
		a.jumpIf("transfer")
		p.Op(vm.DUP1).Push(SelectorBalanceOf[:]).Op(vm.EQ)
		a.jumpIf("balanceOf")
		a.label("revert")
		p.Push(0).Op(vm.DUP1, vm.REVERT)

		// balanceOf(address) returns (uint256).
		a.label("balanceOf")
		p.Op(vm.POP)
		p.Push(36).Op(vm.CALLDATASIZE, vm.LT) // calldatasize < 36
		a.jumpIf("revert")
		p.Push(4).Op(vm.CALLDATALOAD).Push(addrMask).Op(vm.AND) // [holder]
		hashBalanceSlot(p)                                      // [slot]
		p.Op(vm.SLOAD).Push(0).Op(vm.MSTORE)
		p.Return(0, 32)

		// transfer(address to, uint256 amount) returns (bool).
		a.label("transfer")
		p.Op(vm.POP)
		p.Push(68).Op(vm.CALLDATASIZE, vm.LT)
		a.jumpIf("revert")
		p.Push(36).Op(vm.CALLDATALOAD)                          // [amt]
		p.Push(4).Op(vm.CALLDATALOAD).Push(addrMask).Op(vm.AND) // [to, amt]
		p.Op(vm.CALLER)
		hashBalanceSlot(p)                  // [fslot, to, amt]
		p.Op(vm.DUP1, vm.SLOAD)             // [fbal, fslot, to, amt]
		p.Op(vm.DUP1, vm.DUP5, vm.GT)       // amt > fbal
		a.jumpIf("revert")                  // [fbal, fslot, to, amt]
		p.Op(vm.DUP4, vm.SWAP1, vm.SUB)     // [fbal-amt, fslot, to, amt]
		p.Op(vm.SWAP1, vm.SSTORE)           // [to, amt]
		p.Op(vm.DUP1)                       // [to, to, amt]
		hashBalanceSlot(p)                  // [tslot, to, amt]
		p.Op(vm.DUP1, vm.SLOAD, vm.DUP4)    // [amt, tbal, tslot, to, amt]
		p.Op(vm.ADD)                        // [sum, tslot, to, amt]
		p.Op(vm.DUP1, vm.DUP5, vm.GT)       // amt > sum: the credit overflowed
		a.jumpIf("revert")                  // [sum, tslot, to, amt]
		p.Op(vm.SWAP1, vm.SSTORE)           // [to, amt]
		p.Op(vm.DUP2).Push(0).Op(vm.MSTORE) // mem[0:32] = amt
		p.Op(vm.CALLER).Push(TransferEventTopic).Push(32).Push(0)
		p.Op(vm.LOG3) // LOG3(0, 32, Transfer, from, to); [amt]
		p.Op(vm.POP)
		p.Push(1).Push(0).Op(vm.MSTORE)
		p.Return(0, 32)
	})
}

// hashBalanceSlot replaces the address on top of the stack with its balance
// slot, keccak256(pad32(addr) ‖ pad32(0)), using memory [0, 64).
func hashBalanceSlot(p *program.Program) {
	p.Push(0).Op(vm.MSTORE)
	p.Push(0).Push(32).Op(vm.MSTORE)
	p.Push(64).Push(0).Op(vm.KECCAK256)
}

// storageRuntime writes pad32(CALLER) into the K slots
// keccak256(pad32(CALLER) ‖ calldata[0:32]) + i. It has no branches.
func storageRuntime() []byte {
	p := program.New()
	p.Op(vm.CALLER).Push(0).Op(vm.MSTORE)
	p.Push(0).Op(vm.CALLDATALOAD).Push(32).Op(vm.MSTORE)
	p.Push(64).Push(0).Op(vm.KECCAK256) // [base]
	for i := range StorageSlotsPerCall {
		p.Op(vm.CALLER, vm.DUP2) // [base, caller, base]
		if i > 0 {
			p.Push(i).Op(vm.ADD)
		}
		p.Op(vm.SSTORE) // slot base+i = caller; [base]
	}
	p.Op(vm.STOP)
	return p.Bytes()
}

// tokenInitCode credits DeployedTokenSupply to the deployer and returns the
// token runtime as the new contract's code.
func tokenInitCode(runtime []byte) []byte {
	p := program.New()
	p.Push(DeployedTokenSupply).Op(vm.CALLER)
	hashBalanceSlot(p)
	p.Op(vm.SSTORE)
	p.ReturnViaCodeCopy(runtime)
	return p.Bytes()
}

// assembler adds named jump labels to program.Program. Targets are pushed as
// fixed-width PUSH2, so code positions do not depend on label values and
// assemble can run a body twice: once to place labels, once to emit them.
type assembler struct {
	p      *program.Program
	known  map[string]uint16 // label positions from the previous pass
	placed map[string]uint16 // label positions in this pass
}

func assemble(body func(a *assembler)) []byte {
	first := &assembler{p: program.New(), known: map[string]uint16{}, placed: map[string]uint16{}}
	body(first)
	second := &assembler{p: program.New(), known: first.placed, placed: map[string]uint16{}}
	body(second)
	for name, pos := range second.placed {
		if first.placed[name] != pos {
			panic(fmt.Sprintf("workload: label %q moved between passes", name)) // a bug in a fixed program
		}
	}
	return second.p.Bytes()
}

func (a *assembler) label(name string) {
	a.placed[name] = uint16(a.p.Label())
	a.p.Op(vm.JUMPDEST)
}

// jumpIf jumps to name when the value on top of the stack is non-zero.
func (a *assembler) jumpIf(name string) {
	pos := a.known[name]
	a.p.Op(vm.PUSH2).Append([]byte{byte(pos >> 8), byte(pos)})
	a.p.Op(vm.JUMPI)
}
