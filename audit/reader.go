package audit

import (
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strings"

	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/core/types/bal"
	"github.com/ethereum/go-ethereum/rlp"
)

// exportBlock is the record `geth export` writes (cmd/utils.exportBlock in
// go-ethereum v1.17.10): the network block fields with an optional trailing
// EIP-7928 access list.
type exportBlock struct {
	Header      *types.Header
	Txs         []*types.Transaction
	Uncles      []*types.Header
	Withdrawals []*types.Withdrawal  `rlp:"optional"`
	AccessList  *bal.BlockAccessList `rlp:"optional"`
}

func (b *exportBlock) block() *types.Block {
	block := types.NewBlockWithHeader(b.Header).WithBody(types.Body{
		Transactions: b.Txs,
		Uncles:       b.Uncles,
		Withdrawals:  b.Withdrawals,
	})
	return block.WithAccessListUnsafe(b.AccessList)
}

// record is one item of an export stream: a block, or why there is none.
type record struct {
	index  int   // position in the stream, from 0
	offset int64 // byte offset of the item in the (decompressed) stream
	size   int64 // encoded bytes read for it
	block  *types.Block
	reason Reason // set when block is nil
	detail string
	final  bool // the stream cannot be read past this record
}

// blockReader splits a geth export stream into RLP items. RLP carries no sync
// marker, so the reader trusts each item's outer list header: an item whose
// header is intact but whose content does not decode is reported and skipped
// (the next item starts right after it); a broken header or a cut-off item
// ends the stream.
type blockReader struct {
	r        *bufio.Reader
	maxBytes uint64
	index    int
	offset   int64
	done     bool
}

func newBlockReader(r io.Reader, maxBytes uint64) *blockReader {
	return &blockReader{r: bufio.NewReaderSize(r, 1<<20), maxBytes: maxBytes}
}

// next returns the next record, or io.EOF at the clean end of the stream.
func (br *blockReader) next() (record, error) {
	if br.done {
		return record{}, io.EOF
	}
	rec := record{index: br.index, offset: br.offset}
	br.index++
	head, size, err := br.readListHeader()
	switch {
	case errors.Is(err, io.EOF) && len(head) == 0:
		br.done = true
		return record{}, io.EOF
	case err != nil:
		return br.stop(rec, err), nil
	}
	br.offset += int64(len(head))
	if size > math.MaxInt64 { // no file holds it, and int64(size) would be negative
		return br.stop(rec, fmt.Errorf("item of %d bytes is longer than any file", size)), nil
	}
	if size > br.maxBytes {
		n, err := io.CopyN(io.Discard, br.r, int64(size))
		br.offset += n
		if err != nil {
			return br.stop(rec, fmt.Errorf("item of %d bytes cut off: %w", size, err)), nil
		}
		rec.reason, rec.detail = ReasonOversized, fmt.Sprintf("item of %d bytes exceeds the %d-byte limit", size, br.maxBytes)
		return rec, nil
	}
	raw := make([]byte, len(head)+int(size))
	copy(raw, head)
	n, err := io.ReadFull(br.r, raw[len(head):])
	br.offset += int64(n)
	if err != nil {
		return br.stop(rec, fmt.Errorf("item of %d bytes cut off after %d: %w", size, n, err)), nil
	}
	rec.size = int64(len(raw))
	var eb exportBlock
	if err := rlp.DecodeBytes(raw, &eb); err != nil {
		rec.reason, rec.detail = ReasonUndecodable, err.Error()
		return rec, nil
	}
	rec.block = eb.block()
	return rec, nil
}

func (br *blockReader) stop(rec record, err error) record {
	br.done = true
	rec.reason, rec.detail, rec.final = ReasonTruncated, err.Error(), true
	return rec
}

// readListHeader reads an RLP list header and returns its bytes and the
// payload size. io.EOF with no bytes read is the clean end of the stream.
func (br *blockReader) readListHeader() ([]byte, uint64, error) {
	b, err := br.r.ReadByte()
	if err != nil {
		return nil, 0, err
	}
	head := []byte{b}
	switch {
	case b < 0xc0:
		return head, 0, fmt.Errorf("item starts with byte %#x, not an RLP list", b)
	case b <= 0xf7:
		return head, uint64(b - 0xc0), nil
	}
	lenOfLen := int(b - 0xf7)
	var size uint64
	for i := 0; i < lenOfLen; i++ {
		c, err := br.r.ReadByte()
		if err != nil {
			return head, 0, fmt.Errorf("list header cut off: %w", io.ErrUnexpectedEOF)
		}
		head = append(head, c)
		if i == 0 && c == 0 {
			return head, 0, errors.New("non-canonical RLP list size (leading zero)")
		}
		size = size<<8 | uint64(c)
	}
	if size < 56 {
		return head, 0, errors.New("non-canonical RLP list size (long form under 56)")
	}
	return head, size, nil
}

// OpenChain opens a geth export file, gunzipping it when the name ends in
// ".gz" as geth does. The caller closes the result.
func OpenChain(path string) (io.ReadCloser, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open chain file: %w", err)
	}
	if !strings.HasSuffix(path, ".gz") {
		return f, nil
	}
	zr, err := gzip.NewReader(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("open chain file %s: %w", path, err)
	}
	return &gzipFile{Reader: zr, f: f}, nil
}

type gzipFile struct {
	*gzip.Reader
	f *os.File
}

func (g *gzipFile) Close() error {
	return errors.Join(g.Reader.Close(), g.f.Close())
}
