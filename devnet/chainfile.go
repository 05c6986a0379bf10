package devnet

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/rlp"

	"github.com/receiptd/receiptd/protocol"
)

// The consensus-chain file ("consensus.chain") records a devnet's canonical
// consensus chain so that a follower can replay it as a source. Layout:
//
//	magic    8 bytes  "RCPTCHN" followed by the version byte 0x01
//	network  RLP list [spec, [[domain id, genesis JSON], ...]]
//	         spec: protocol.ChainSpec; genesis JSON: as `geth init` takes it,
//	         one per registered domain, by ascending id
//	blocks   RLP of protocol.Block, one after another: numbers 1, 2, ...,
//	         each the child of the one before (block 1 of the spec's
//	         consensus genesis, which the spec fixes)
//	trailer  RLP byte string of 40 bytes: block count (8, big-endian) ‖
//	         hash of the last block (32; the genesis hash when empty)
//
// The trailer makes a file cut at a block boundary detectable. Readers
// validate everything at the boundary: the spec, each genesis against the
// spec's genesis hash and root, each block's encoding, roots and link to
// its parent, and the trailer against what they read.
const chainFileVersion = 1

var chainFileMagic = [8]byte{'R', 'C', 'P', 'T', 'C', 'H', 'N', chainFileVersion}

// ErrChainFile is wrapped by every error about a consensus-chain file that
// is truncated, corrupt or not one at all.
var ErrChainFile = errors.New("devnet: bad consensus-chain file")

// maxNetworkBytes bounds the encoded network record (spec and geneses).
const maxNetworkBytes = 256 << 20

// trailerSize is the length of the trailer's payload.
const trailerSize = 8 + common.HashLength

// networkRecord is the RLP form of a Network.
type networkRecord struct {
	Spec    *protocol.ChainSpec
	Geneses []genesisRecord
}

type genesisRecord struct {
	Domain protocol.DomainID
	JSON   []byte
}

// ChainWriter writes a consensus-chain file. It is not safe for
// concurrent use.
type ChainWriter struct {
	w      *bufio.Writer
	count  uint64
	head   common.Hash
	closed bool
}

// NewChainWriter writes the file's magic and network to w.
func NewChainWriter(w io.Writer, net Network) (*ChainWriter, error) {
	rec, err := encodeNetwork(net)
	if err != nil {
		return nil, err
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	if _, err := bw.Write(chainFileMagic[:]); err != nil {
		return nil, fmt.Errorf("devnet: write chain file: %w", err)
	}
	if err := rlp.Encode(bw, rec); err != nil {
		return nil, fmt.Errorf("devnet: write chain file network: %w", err)
	}
	gh := net.Spec.GenesisHeader()
	return &ChainWriter{w: bw, head: gh.Hash()}, nil
}

// Write appends the next canonical block, which must be the child of the
// last one written (of the genesis, first).
func (cw *ChainWriter) Write(b *protocol.Block) error {
	if cw.closed {
		return errors.New("devnet: chain writer closed")
	}
	if b.Header.Number != cw.count+1 || b.Header.ParentHash != cw.head {
		return fmt.Errorf("devnet: chain file: block #%d (parent %s) does not follow #%d %s",
			b.Header.Number, b.Header.ParentHash, cw.count, cw.head)
	}
	if err := rlp.Encode(cw.w, b); err != nil {
		return fmt.Errorf("devnet: write block #%d: %w", b.Header.Number, err)
	}
	cw.count++
	cw.head = b.Hash()
	return nil
}

// Close writes the trailer and flushes. It does not close the underlying
// writer. A second Close does nothing.
func (cw *ChainWriter) Close() error {
	if cw.closed {
		return nil
	}
	cw.closed = true
	var t [trailerSize]byte
	binary.BigEndian.PutUint64(t[:8], cw.count)
	copy(t[8:], cw.head[:])
	if err := rlp.Encode(cw.w, t[:]); err != nil {
		return fmt.Errorf("devnet: write chain file trailer: %w", err)
	}
	if err := cw.w.Flush(); err != nil {
		return fmt.Errorf("devnet: write chain file: %w", err)
	}
	return nil
}

// ChainReader reads a consensus-chain file block by block, validating each
// at the boundary. It is not safe for concurrent use.
type ChainReader struct {
	s      *rlp.Stream
	net    Network
	offset int64 // of the next item
	count  uint64
	head   common.Hash
	done   bool
}

// NewChainReader reads and validates the magic and the network.
func NewChainReader(r io.Reader) (*ChainReader, error) {
	br := bufio.NewReaderSize(r, 1<<20)
	var magic [8]byte
	if _, err := io.ReadFull(br, magic[:]); err != nil {
		return nil, fmt.Errorf("%w: no magic: %w", ErrChainFile, err)
	}
	if !bytes.Equal(magic[:7], chainFileMagic[:7]) {
		return nil, fmt.Errorf("%w: wrong magic %q", ErrChainFile, magic[:7])
	}
	if magic[7] != chainFileVersion {
		return nil, fmt.Errorf("%w: version %d, this build reads %d", ErrChainFile, magic[7], chainFileVersion)
	}
	cr := &ChainReader{s: rlp.NewStream(br, 0), offset: int64(len(magic))}
	raw, err := cr.item("network", rlp.List, maxNetworkBytes)
	if err == io.EOF {
		return nil, fmt.Errorf("%w: truncated: no network after the magic", ErrChainFile)
	} else if err != nil {
		return nil, err
	}
	var rec networkRecord
	if err := rlp.DecodeBytes(raw, &rec); err != nil {
		return nil, fmt.Errorf("%w: network: %w", ErrChainFile, err)
	}
	geneses := make(map[protocol.DomainID][]byte, len(rec.Geneses))
	for _, g := range rec.Geneses {
		if _, dup := geneses[g.Domain]; dup {
			return nil, fmt.Errorf("%w: network: domain %d has two geneses", ErrChainFile, g.Domain)
		}
		geneses[g.Domain] = g.JSON
	}
	net, err := decodeNetwork(rec.Spec, geneses)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrChainFile, err)
	}
	cr.net = net
	gh := net.Spec.GenesisHeader()
	cr.head = gh.Hash()
	return cr, nil
}

// Network returns the recorded network.
func (cr *ChainReader) Network() Network { return cr.net }

// Offset is the file offset of the next item: across a call to Next,
// its change is the block's encoded size.
func (cr *ChainReader) Offset() int64 { return cr.offset }

// Next returns the next block. After the last block it checks the trailer
// and returns io.EOF; a file that ends without one is truncated.
func (cr *ChainReader) Next() (*protocol.Block, error) {
	if cr.done {
		return nil, io.EOF
	}
	kind, _, err := cr.s.Kind()
	switch {
	case err == io.EOF:
		return nil, fmt.Errorf("%w: truncated: ends after block #%d at offset %d without its trailer", ErrChainFile, cr.count, cr.offset)
	case err != nil:
		return nil, cr.broken(fmt.Sprintf("block #%d", cr.count+1), err)
	case kind == rlp.String:
		return nil, cr.trailer()
	}
	raw, err := cr.item(fmt.Sprintf("block #%d", cr.count+1), rlp.List, protocol.MaxBlockBytes)
	if err != nil {
		return nil, err
	}
	b, err := protocol.DecodeBlock(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: block after #%d at offset %d: %w", ErrChainFile, cr.count, cr.offset-int64(len(raw)), err)
	}
	if b.Header.Number != cr.count+1 || b.Header.ParentHash != cr.head {
		return nil, fmt.Errorf("%w: block #%d (parent %s) at offset %d does not follow #%d %s",
			ErrChainFile, b.Header.Number, b.Header.ParentHash, cr.offset-int64(len(raw)), cr.count, cr.head)
	}
	cr.count++
	cr.head = b.Hash()
	return b, nil
}

// trailer checks the trailer and that nothing follows it.
func (cr *ChainReader) trailer() error {
	raw, err := cr.item("trailer", rlp.String, trailerSize+1)
	if err != nil {
		return err
	}
	var t []byte
	if err := rlp.DecodeBytes(raw, &t); err != nil || len(t) != trailerSize {
		return fmt.Errorf("%w: trailer at offset %d: want %d bytes", ErrChainFile, cr.offset-int64(len(raw)), trailerSize)
	}
	count, head := binary.BigEndian.Uint64(t[:8]), common.BytesToHash(t[8:])
	if count != cr.count || head != cr.head {
		return fmt.Errorf("%w: trailer says %d blocks ending in %s, file has %d ending in %s", ErrChainFile, count, head, cr.count, cr.head)
	}
	if _, _, err := cr.s.Kind(); err != io.EOF {
		return fmt.Errorf("%w: data after the trailer at offset %d", ErrChainFile, cr.offset)
	}
	cr.done = true
	return io.EOF
}

// item reads the next top-level item, which must be of kind and at most
// max bytes of payload. It returns io.EOF at a clean end.
func (cr *ChainReader) item(what string, kind rlp.Kind, max uint64) ([]byte, error) {
	k, size, err := cr.s.Kind()
	if err != nil {
		if err == io.EOF {
			return nil, io.EOF
		}
		return nil, cr.broken(what, err)
	}
	if k != kind {
		return nil, fmt.Errorf("%w: %s at offset %d: RLP %v, want %v", ErrChainFile, what, cr.offset, k, kind)
	}
	if size > max {
		return nil, fmt.Errorf("%w: %s at offset %d: %d bytes, limit %d", ErrChainFile, what, cr.offset, size, max)
	}
	raw, err := cr.s.Raw()
	if err != nil {
		return nil, cr.broken(what, err)
	}
	cr.offset += int64(len(raw))
	return raw, nil
}

// broken reports a read failure inside the item at the current offset.
func (cr *ChainReader) broken(what string, err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w: truncated inside the %s at offset %d (after block #%d)", ErrChainFile, what, cr.offset, cr.count)
	}
	return fmt.Errorf("%w: %s at offset %d (after block #%d): %w", ErrChainFile, what, cr.offset, cr.count, err)
}
