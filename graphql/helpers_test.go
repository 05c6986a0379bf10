package graphql

import (
	"fmt"

	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/rlp"

	"github.com/receiptd/receiptd/indexer"
	"github.com/receiptd/receiptd/protocol"
)

func errorf(format string, args ...any) error { return fmt.Errorf(format, args...) }

func encodeProof(p *protocol.FraudProof) ([]byte, error) { return rlp.EncodeToBytes(p) }

func hexU(n uint64) string { return hexutil.EncodeUint64(n) }

func indexerAll() indexer.ReceiptQuery {
	return indexer.ReceiptQuery{PageArgs: indexer.PageArgs{First: indexer.MaxPageSize}}
}
