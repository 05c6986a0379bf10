package indexer

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Digest is sha256 over every key and value of the index in key order,
// each length-prefixed, leaving out the undo log. Two indexes with equal
// digests answer every query alike: a run killed and restarted digests as
// an uninterrupted one, and a run that rolled back a reorg as one that only
// saw the winning branch. The undo log is left out because it depends on
// history, not content: Rollback cannot bring back undo records the window
// already dropped.
func (ix *Index) Digest() ([32]byte, error) {
	h := sha256.New()
	var buf [binary.MaxVarintLen64]byte
	err := ix.walk(func(k, v []byte) error {
		if k[0] == pUndo {
			return nil
		}
		for _, b := range [][]byte{k, v} {
			h.Write(buf[:binary.PutUvarint(buf[:], uint64(len(b)))])
			h.Write(b)
		}
		return nil
	})
	if err != nil {
		return [32]byte{}, fmt.Errorf("indexer: digest: %w", err)
	}
	return [32]byte(h.Sum(nil)), nil
}

// Dump writes every key and value, undo log included, one per line as
// "<key hex> <value length> <value hex>", values over 64 bytes cut.
func (ix *Index) Dump(w io.Writer) error {
	return ix.walk(func(k, v []byte) error {
		shown, more := v, ""
		if len(v) > 64 {
			shown, more = v[:64], "…"
		}
		_, err := fmt.Fprintf(w, "%c %x %d %x%s\n", k[0], k[1:], len(v), shown, more)
		return err
	})
}

func (ix *Index) walk(fn func(k, v []byte) error) error {
	r, err := ix.Reader()
	if err != nil {
		return err
	}
	defer r.Close()
	if err := r.enter(); err != nil {
		return err
	}
	defer r.leave()
	it, err := r.snap.NewIter(nil, nil)
	if err != nil {
		return err
	}
	for ok := it.First(); ok; ok = it.Next() {
		if err := fn(it.Key(), it.Value()); err != nil {
			return errors.Join(err, it.Close())
		}
	}
	return errors.Join(it.Error(), it.Close())
}
