package proof

import (
	"crypto/ecdsa"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/core/vm"
	"github.com/ethereum/go-ethereum/core/vm/program"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/params"
)

const testKeys = 10

var (
	storageAddr   = common.HexToAddress("0x00000000000000000000000000000000005707e0")
	blockHashAddr = common.HexToAddress("0x0000000000000000000000000000000000b10c4a")
)

func testKey(i int) *ecdsa.PrivateKey {
	key, err := crypto.ToECDSA(crypto.Keccak256([]byte(fmt.Sprint("receiptd/proof/test-key/", i))))
	if err != nil {
		panic(err)
	}
	return key
}

func testAddr(i int) common.Address { return crypto.PubkeyToAddress(testKey(i).PublicKey) }

// storageCode stores calldata[32:64] at slot calldata[0:32], logs the
// counter at slot 1000 as a topic and bumps it.
func storageCode() []byte {
	return program.New().
		Push(32).Op(vm.CALLDATALOAD).Push(0).Op(vm.CALLDATALOAD).Op(vm.SSTORE).
		Push(1000).Op(vm.SLOAD).Push(0).Push(0).Op(vm.LOG1).
		Push(1000).Op(vm.SLOAD).Push(1).Op(vm.ADD).Push(1000).Op(vm.SSTORE).
		Op(vm.STOP).Bytes()
}

// blockHashCode stores BLOCKHASH(NUMBER−1) at slot NUMBER and
// BLOCKHASH(NUMBER−3) at slot NUMBER+2^64.
func blockHashCode() []byte {
	return program.New().
		Push(1).Op(vm.NUMBER).Op(vm.SUB).Op(vm.BLOCKHASH).Op(vm.NUMBER).Op(vm.SSTORE).
		Push(3).Op(vm.NUMBER).Op(vm.SUB).Op(vm.BLOCKHASH).
		Push(new(big.Int).Lsh(common.Big1, 64)).Op(vm.NUMBER).Op(vm.ADD).Op(vm.SSTORE).
		Op(vm.STOP).Bytes()
}

// txKind is a kind of transaction the tests put in bundles.
type txKind int

const (
	kindTransfer    txKind = iota // dynamic-fee value transfer
	kindStore                     // legacy call to the storage contract
	kindBlockHash                 // access-list call reading BLOCKHASH
	kindOutOfGas                  // call to the storage contract that runs out of gas
	kindNonceHigh                 // illegal: nonce ahead of the account's
	kindUndecodable               // bytes that are no transaction
)

// tx signs a transaction of the kind from key k with its next nonce, and
// takes the nonce unless the tx is illegal. salt varies the payload.
func (e *env) tx(k int, kind txKind, salt int64) []byte {
	e.t.Helper()
	var (
		chainID = e.genesis.Config.ChainID
		nonce   = e.nonces[k]
		feeCap  = big.NewInt(20 * params.GWei)
		tip     = big.NewInt((1 + salt%3) * params.GWei)
		data    = append(common.LeftPadBytes(big.NewInt(salt).Bytes(), 32), common.LeftPadBytes(big.NewInt(7*salt+1).Bytes(), 32)...)
		to      = common.BigToAddress(big.NewInt(0xbeef00 + salt))
		txdata  types.TxData
	)
	switch kind {
	case kindTransfer:
		txdata = &types.DynamicFeeTx{ChainID: chainID, Nonce: nonce, GasTipCap: tip, GasFeeCap: feeCap, Gas: params.TxGas, To: &to, Value: big.NewInt(salt + 1)}
	case kindStore:
		txdata = &types.LegacyTx{Nonce: nonce, GasPrice: feeCap, Gas: 100_000, To: &storageAddr, Data: data}
	case kindBlockHash:
		txdata = &types.AccessListTx{ChainID: chainID, Nonce: nonce, GasPrice: feeCap, Gas: 100_000, To: &blockHashAddr,
			AccessList: types.AccessList{{Address: storageAddr, StorageKeys: []common.Hash{{31: 1}}}}}
	case kindOutOfGas:
		txdata = &types.DynamicFeeTx{ChainID: chainID, Nonce: nonce, GasTipCap: tip, GasFeeCap: feeCap, Gas: 25_000, To: &storageAddr, Data: data}
	case kindNonceHigh:
		txdata = &types.DynamicFeeTx{ChainID: chainID, Nonce: nonce + 5, GasTipCap: tip, GasFeeCap: feeCap, Gas: params.TxGas, To: &to}
	case kindUndecodable:
		return []byte{0x02, 0xc3, 0x01, byte(salt)}
	}
	tx := types.MustSignNewTx(testKey(k), e.signer, txdata)
	if kind != kindNonceHigh {
		e.nonces[k]++
	}
	raw, err := tx.MarshalBinary()
	if err != nil {
		e.t.Fatal(err)
	}
	return raw
}

func txHash(raw []byte) common.Hash {
	var tx types.Transaction
	if err := tx.UnmarshalBinary(raw); err != nil {
		panic(err)
	}
	return tx.Hash()
}
