package graphql

import (
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/receiptd/receiptd/indexer"
)

// pageInput is the Relay arguments every listing takes.
type pageInput struct {
	First  *int32
	After  *string
	Last   *int32
	Before *string
}

// args converts Relay arguments to the index's, enforcing the server's
// page sizes: neither first nor last gives DefaultPage; more than MaxPage
// is refused.
func (s *Server) args(in pageInput, desc bool) (indexer.PageArgs, error) {
	a := indexer.PageArgs{Desc: desc}
	var errs []error
	size := func(name string, v *int32) int {
		if v == nil {
			return 0
		}
		switch {
		case *v < 0:
			errs = append(errs, fmt.Errorf("%s must not be negative", name))
		case int(*v) > s.cfg.MaxPage:
			errs = append(errs, fmt.Errorf("%s %d is over the maximum page size %d", name, *v, s.cfg.MaxPage))
		}
		return int(*v)
	}
	a.First, a.Last = size("first", in.First), size("last", in.Last)
	if in.First != nil && in.Last != nil {
		errs = append(errs, errors.New("pass first or last, not both"))
	}
	if in.First != nil && *in.First == 0 || in.Last != nil && *in.Last == 0 {
		errs = append(errs, errors.New("a page size of 0 asks for nothing; omit it for the default"))
	}
	if in.First == nil && in.Last == nil {
		a.First = s.cfg.DefaultPage
	}
	var err error
	if a.After, err = decodeCursor("after", in.After); err != nil {
		errs = append(errs, err)
	}
	if a.Before, err = decodeCursor("before", in.Before); err != nil {
		errs = append(errs, err)
	}
	return a, errors.Join(errs...)
}

func encodeCursor(c indexer.Cursor) string { return base64.RawURLEncoding.EncodeToString(c) }

func decodeCursor(name string, s *string) (indexer.Cursor, error) {
	if s == nil {
		return nil, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(*s)
	if err != nil || len(b) == 0 || len(b) > 128 {
		return nil, fmt.Errorf("%s: %q is not a cursor this server gave out", name, truncate(*s, 40))
	}
	return indexer.Cursor(b), nil
}

// listErr turns an index listing error into what the client may see.
func (s *Server) listErr(err error) error {
	switch {
	case errors.Is(err, indexer.ErrBadCursor):
		return errors.New("the cursor does not belong to this listing (its filters or order changed?)")
	case errors.Is(err, indexer.ErrBadQuery):
		return fmt.Errorf("bad page arguments: %v", err)
	}
	return s.internal("list", err)
}

// connection is a page of a listing in Relay's shape.
type connection[T any] struct {
	nodes   []T
	cursors []indexer.Cursor
	info    pageInfo
	count   func() (*Long, error)
}

func newConnection[R any, T any](p *indexer.Page[R], wrap func(R) T, count func() (*Long, error)) *connection[T] {
	c := &connection[T]{cursors: p.Cursors, count: count}
	c.nodes = make([]T, len(p.Items))
	for i, it := range p.Items {
		c.nodes[i] = wrap(it)
	}
	c.info = pageInfo{next: p.HasNext, prev: p.HasPrev}
	// A page cut short by the index's scan budget may have no edges but
	// still a cursor to go on from (indexer.Page.Resume).
	if cur := p.StartCursor(); cur != nil {
		start := encodeCursor(cur)
		c.info.start = &start
	}
	if cur := p.EndCursor(); cur != nil {
		end := encodeCursor(cur)
		c.info.end = &end
	}
	return c
}

func (c *connection[T]) Edges() []*edge[T] {
	out := make([]*edge[T], len(c.nodes))
	for i, n := range c.nodes {
		out[i] = &edge[T]{cursor: encodeCursor(c.cursors[i]), node: n}
	}
	return out
}

func (c *connection[T]) Nodes() []T          { return c.nodes }
func (c *connection[T]) PageInfo() *pageInfo { return &c.info }

func (c *connection[T]) TotalCount() (*Long, error) {
	if c.count == nil {
		return nil, nil
	}
	return c.count()
}

type edge[T any] struct {
	cursor string
	node   T
}

func (e *edge[T]) Cursor() string { return e.cursor }
func (e *edge[T]) Node() T        { return e.node }

type pageInfo struct {
	next, prev bool
	start, end *string
}

func (p *pageInfo) HasNextPage() bool     { return p.next }
func (p *pageInfo) HasPreviousPage() bool { return p.prev }
func (p *pageInfo) StartCursor() *string  { return p.start }
func (p *pageInfo) EndCursor() *string    { return p.end }

// countOf adapts an index counter that may not apply (ok false: null).
func (s *Server) countOf(f func() (uint64, bool, error)) func() (*Long, error) {
	return func() (*Long, error) {
		n, ok, err := f()
		if err != nil {
			return nil, s.internal("count", err)
		}
		if !ok {
			return nil, nil
		}
		return longPtr(n), nil
	}
}

// filtered pages through a listing whose filter the index cannot apply
// (a challenge's kind), keeping the items keep accepts, until the page is
// full or the listing ends. It reads at most maxRounds index pages, so a
// filter matching almost nothing costs a bounded amount; the page then
// ends early with hasNextPage (or hasPreviousPage) true and a cursor to
// go on from where the reading stopped (indexer.Page.Resume).
func filtered[T any](fetch func(indexer.PageArgs) (*indexer.Page[T], error), a indexer.PageArgs, keep func(T) bool) (*indexer.Page[T], error) {
	const maxRounds = 8
	backward := a.Last > 0
	want := a.First
	if backward {
		want = a.Last
	}
	if backward {
		a.Last = indexer.MaxPageSize
	} else {
		a.First = indexer.MaxPageSize
	}
	out := new(indexer.Page[T])
	var items []T
	var cursors []indexer.Cursor
	for round := 0; ; round++ {
		p, err := fetch(a)
		if err != nil {
			return nil, err
		}
		if round == 0 {
			out.HasPrev, out.HasNext = p.HasPrev, p.HasNext
		}
		n := len(p.Items)
		full := false
		for j := range n {
			i := j
			if backward {
				i = n - 1 - j
			}
			if !keep(p.Items[i]) {
				continue
			}
			if len(items) == want {
				full = true
				break
			}
			items = append(items, p.Items[i])
			cursors = append(cursors, p.Cursors[i])
		}
		more := p.HasNext
		if backward {
			more = p.HasPrev
		}
		if full || !more || n == 0 || round == maxRounds-1 {
			if backward {
				out.HasPrev = full || more
			} else {
				out.HasNext = full || more
			}
			if !full && more { // cut short: go on after what was read
				out.Backward = backward
				if out.Resume = p.EndCursor(); backward {
					out.Resume = p.StartCursor()
				}
			}
			break
		}
		if backward {
			a.Before = p.StartCursor()
		} else {
			a.After = p.EndCursor()
		}
	}
	if backward {
		for i, j := 0, len(items)-1; i < j; i, j = i+1, j-1 {
			items[i], items[j] = items[j], items[i]
			cursors[i], cursors[j] = cursors[j], cursors[i]
		}
	}
	out.Items, out.Cursors = items, cursors
	return out, nil
}
