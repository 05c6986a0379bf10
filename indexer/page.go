package indexer

import (
	"bytes"
	"errors"
	"fmt"
	"slices"

	"github.com/receiptd/receiptd/indexer/internal/kv"
)

// Cursor is an opaque position in a listing: the index key of an item.
// Seeking to it costs the same wherever it is, so page 10,000 costs what
// page 1 does.
type Cursor []byte

// Page sizes.
const (
	DefaultPageSize = 50
	MaxPageSize     = 1000
)

// PageArgs are Relay's connection arguments: First items after After, or
// Last items before Before (both cursors may bound the window). Desc
// reverses the listing's natural order (ascending keys). Neither First nor
// Last: First = DefaultPageSize. Over MaxPageSize: ErrBadQuery.
type PageArgs struct {
	After, Before Cursor
	First, Last   int
	Desc          bool
}

// Page is one page of a listing, in listing order. Cursors[i] is the
// cursor of Items[i]. HasNext and HasPrev say whether matching items lie
// beyond the page in each direction (for the direction opposite to the
// paging, only when a cursor bounds that side).
//
// A page whose filters rejected MaxSkipped entries ends there, however
// few items it holds (none, possibly): Resume is the key the walk stopped
// at, and HasNext (HasPrev, Backward) is true. EndCursor (StartCursor)
// returns it, so a client paging on from the page's cursor goes on where
// the walk stopped.
type Page[T any] struct {
	Items            []T
	Cursors          []Cursor
	HasPrev, HasNext bool
	Resume           Cursor
	Backward         bool // read with Last: Resume bounds the start
}

// MaxSkipped bounds the entries one page's walk may read and reject
// (filters the key range cannot express: a number range without a domain,
// a challenge's domain): a filter that matches nothing costs this much,
// not a walk of the whole listing.
const MaxSkipped = 2 * MaxPageSize

// StartCursor is the cursor of the first item (for a backward page cut
// short, where it stopped), nil for an empty page.
func (p *Page[T]) StartCursor() Cursor {
	if p.Resume != nil && p.Backward {
		return p.Resume
	}
	if len(p.Cursors) == 0 {
		return nil
	}
	return p.Cursors[0]
}

// EndCursor is the cursor of the last item (for a forward page cut short,
// where it stopped), nil for an empty page.
func (p *Page[T]) EndCursor() Cursor {
	if p.Resume != nil && !p.Backward {
		return p.Resume
	}
	if len(p.Cursors) == 0 {
		return nil
	}
	return p.Cursors[len(p.Cursors)-1]
}

// decodeFunc turns an index entry into an item; keep is false for an item
// the query's filters reject.
type decodeFunc[T any] func(v view, key, value []byte) (item T, keep bool, err error)

func (a *PageArgs) check(rng keyRange) error {
	var errs []error
	switch {
	case a.First < 0 || a.Last < 0:
		errs = append(errs, fmt.Errorf("%w: negative page size", ErrBadQuery))
	case a.First > 0 && a.Last > 0:
		errs = append(errs, fmt.Errorf("%w: both first and last", ErrBadQuery))
	case a.First > MaxPageSize || a.Last > MaxPageSize:
		errs = append(errs, fmt.Errorf("%w: page size over %d", ErrBadQuery, MaxPageSize))
	}
	for _, c := range []Cursor{a.After, a.Before} {
		if c != nil && (bytes.Compare(c, rng.lower) < 0 || (rng.upper != nil && bytes.Compare(c, rng.upper) >= 0)) {
			errs = append(errs, fmt.Errorf("%w: %x", ErrBadCursor, []byte(c)))
		}
	}
	return errors.Join(errs...)
}

// walker moves through a key range in listing order (asc, or desc).
type walker struct {
	it   kv.Iterator
	desc bool
}

func succ(k []byte) []byte { return append(slices.Clip(k), 0) }

func (w walker) start() bool {
	if w.desc {
		return w.it.Last()
	}
	return w.it.First()
}

func (w walker) end() bool {
	if w.desc {
		return w.it.First()
	}
	return w.it.Last()
}

func (w walker) next() bool {
	if w.desc {
		return w.it.Prev()
	}
	return w.it.Next()
}

func (w walker) prev() bool {
	if w.desc {
		return w.it.Next()
	}
	return w.it.Prev()
}

// after moves to the first item after c (inclusive: at or after).
func (w walker) after(c []byte, inclusive bool) bool {
	switch {
	case w.desc && inclusive:
		return w.it.SeekLT(succ(c))
	case w.desc:
		return w.it.SeekLT(c)
	case inclusive:
		return w.it.SeekGE(c)
	}
	return w.it.SeekGE(succ(c))
}

// before moves to the last item before c (inclusive: at or before).
func (w walker) before(c []byte, inclusive bool) bool {
	switch {
	case w.desc && inclusive:
		return w.it.SeekGE(c)
	case w.desc:
		return w.it.SeekGE(succ(c))
	case inclusive:
		return w.it.SeekLT(succ(c))
	}
	return w.it.SeekLT(c)
}

// precedes reports whether key a comes before b in listing order.
func (w walker) precedes(a, b []byte) bool {
	if w.desc {
		return bytes.Compare(a, b) > 0
	}
	return bytes.Compare(a, b) < 0
}

// scan reads one page of the entries in rng. It seeks to the cursor and
// reads forward: its cost is the page size plus the entries filters skip,
// at most MaxSkipped.
func scan[T any](r *Reader, rng keyRange, args PageArgs, decode decodeFunc[T]) (*Page[T], error) {
	if err := args.check(rng); err != nil {
		return nil, err
	}
	if err := r.enter(); err != nil {
		return nil, err
	}
	defer r.leave()
	it, err := r.snap.NewIter(rng.lower, rng.upper)
	if err != nil {
		return nil, fmt.Errorf("indexer: list: %w", err)
	}
	page, err := scanIter(r.inner(), walker{it: it, desc: args.Desc}, args, decode)
	if err := errors.Join(err, it.Error(), it.Close()); err != nil {
		return nil, err
	}
	return page, nil
}

func scanIter[T any](v view, w walker, args PageArgs, decode decodeFunc[T]) (*Page[T], error) {
	backward := args.Last > 0
	limit := args.First
	if backward {
		limit = args.Last
	} else if limit == 0 {
		limit = DefaultPageSize
	}
	// inWindow: the far cursor bounds the walk.
	inWindow := func(k []byte) bool {
		if backward {
			return args.After == nil || w.precedes(args.After, k)
		}
		return args.Before == nil || w.precedes(k, args.Before)
	}
	step := w.next
	var ok bool
	switch {
	case backward && args.Before != nil:
		ok, step = w.before(args.Before, false), w.prev
	case backward:
		ok, step = w.end(), w.prev
	case args.After != nil:
		ok = w.after(args.After, false)
	default:
		ok = w.start()
	}
	page := &Page[T]{Backward: backward}
	more := false
	skipped := 0
	for ; ok && inWindow(w.it.Key()); ok = step() {
		item, keep, err := decode(v, w.it.Key(), w.it.Value())
		if err != nil {
			return nil, err
		}
		if !keep {
			if skipped++; skipped == MaxSkipped {
				page.Resume = Cursor(bytes.Clone(w.it.Key()))
				more = true
				break
			}
			continue
		}
		if len(page.Items) == limit {
			more = true
			break
		}
		page.Items = append(page.Items, item)
		page.Cursors = append(page.Cursors, Cursor(bytes.Clone(w.it.Key())))
	}
	// The other side: is there a matching item at or beyond the cursor the
	// page started from?
	var other bool
	var err error
	switch {
	case backward && args.Before != nil:
		other, err = exists(v, w, w.after(args.Before, true), w.next, decode)
	case !backward && args.After != nil:
		other, err = exists(v, w, w.before(args.After, true), w.prev, decode)
	}
	if err != nil {
		return nil, err
	}
	if backward {
		slices.Reverse(page.Items)
		slices.Reverse(page.Cursors)
		page.HasPrev, page.HasNext = more, other
	} else {
		page.HasNext, page.HasPrev = more, other
	}
	return page, nil
}

// exists reports whether a matching item lies on the walk; past
// MaxSkipped rejected entries it gives up and says there may be.
func exists[T any](v view, w walker, ok bool, step func() bool, decode decodeFunc[T]) (bool, error) {
	for skipped := 0; ok; ok = step() {
		_, keep, err := decode(v, w.it.Key(), w.it.Value())
		if err != nil || keep {
			return keep, err
		}
		if skipped++; skipped == MaxSkipped {
			return true, nil
		}
	}
	return false, nil
}
