package kv

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// Every test runs against both backends: the index relies on exactly the
// behaviour checked here and nothing more.
func backends(t *testing.T, test func(t *testing.T, s Store)) {
	t.Run("memory", func(t *testing.T) { test(t, NewMemory()) })
	t.Run("pebble", func(t *testing.T) {
		s, err := OpenPebble("db", PebbleOptions{FS: vfs.NewMem()})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		test(t, s)
	})
}

func commit(t *testing.T, s Store, kvs ...string) {
	t.Helper()
	b := s.NewBatch()
	for i := 0; i < len(kvs); i += 2 {
		var err error
		if kvs[i+1] == "-" {
			err = b.Delete([]byte(kvs[i]))
		} else {
			err = b.Set([]byte(kvs[i]), []byte(kvs[i+1]))
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Commit(true); err != nil {
		t.Fatal(err)
	}
}

func keys(t *testing.T, r Reader, lower, upper string) string {
	t.Helper()
	var lo, hi []byte
	if lower != "" {
		lo = []byte(lower)
	}
	if upper != "" {
		hi = []byte(upper)
	}
	it, err := r.NewIter(lo, hi)
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	var out bytes.Buffer
	for ok := it.First(); ok; ok = it.Next() {
		fmt.Fprintf(&out, "%s=%s ", it.Key(), it.Value())
	}
	if err := it.Error(); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

func TestGetSetDelete(t *testing.T) {
	backends(t, func(t *testing.T, s Store) {
		if _, err := s.Get([]byte("a")); !errors.Is(err, ErrNotFound) {
			t.Fatalf("get absent: %v", err)
		}
		commit(t, s, "a", "1", "b", "2", "c", "")
		commit(t, s, "b", "-", "a", "3")
		if v, err := s.Get([]byte("a")); err != nil || string(v) != "3" {
			t.Fatalf("a = %q, %v", v, err)
		}
		if _, err := s.Get([]byte("b")); !errors.Is(err, ErrNotFound) {
			t.Fatalf("deleted b: %v", err)
		}
		if v, err := s.Get([]byte("c")); err != nil || len(v) != 0 {
			t.Fatalf("empty value c = %q, %v", v, err)
		}
		if got := keys(t, s, "", ""); got != "a=3 c= " {
			t.Fatalf("keys %q", got)
		}
	})
}

func TestBatchIsAtomicAndInvisibleUntilCommit(t *testing.T) {
	backends(t, func(t *testing.T, s Store) {
		b := s.NewBatch()
		b.Set([]byte("x"), []byte("1"))
		b.Set([]byte("x"), []byte("2"))
		b.Delete([]byte("y"))
		if b.Len() != 3 {
			t.Fatalf("len %d", b.Len())
		}
		if _, err := s.Get([]byte("x")); !errors.Is(err, ErrNotFound) {
			t.Fatal("uncommitted write visible")
		}
		discard := s.NewBatch()
		discard.Set([]byte("z"), []byte("1"))
		if err := discard.Close(); err != nil {
			t.Fatal(err)
		}
		if err := b.Commit(true); err != nil {
			t.Fatal(err)
		}
		if err := b.Commit(true); err == nil {
			t.Fatal("second commit of a batch succeeded")
		}
		if got := keys(t, s, "", ""); got != "x=2 " {
			t.Fatalf("keys %q, want the last write of x only", got)
		}
	})
}

func TestSnapshotIsolation(t *testing.T) {
	backends(t, func(t *testing.T, s Store) {
		commit(t, s, "a", "1", "b", "1")
		snap, err := s.NewSnapshot()
		if err != nil {
			t.Fatal(err)
		}
		commit(t, s, "a", "2", "b", "-", "c", "2")
		if got := keys(t, snap, "", ""); got != "a=1 b=1 " {
			t.Fatalf("snapshot sees %q", got)
		}
		if v, _ := snap.Get([]byte("a")); string(v) != "1" {
			t.Fatalf("snapshot a = %q", v)
		}
		if err := snap.Close(); err != nil {
			t.Fatal(err)
		}
		if err := snap.Close(); err != nil {
			t.Fatal("second snapshot close:", err)
		}
		if _, err := snap.Get([]byte("a")); !errors.Is(err, ErrClosed) {
			t.Fatalf("get on closed snapshot: %v", err)
		}
	})
}

func TestIteratorBoundsAndSeeks(t *testing.T) {
	backends(t, func(t *testing.T, s Store) {
		commit(t, s, "a", "", "b1", "", "b2", "", "b3", "", "c", "")
		if got := keys(t, s, "b", "c"); got != "b1= b2= b3= " {
			t.Fatalf("bounded %q", got)
		}
		it, err := s.NewIter([]byte("b"), []byte("c"))
		if err != nil {
			t.Fatal(err)
		}
		defer it.Close()
		steps := []struct {
			name string
			move func() bool
			want string // "" = invalid
		}{
			{"last", it.Last, "b3"},
			{"prev", it.Prev, "b2"},
			{"seekGE b2", func() bool { return it.SeekGE([]byte("b2")) }, "b2"},
			{"seekGE b20", func() bool { return it.SeekGE([]byte("b20")) }, "b3"},
			{"next past end", it.Next, ""},
			{"seekLT b2", func() bool { return it.SeekLT([]byte("b2")) }, "b1"},
			{"prev past start", it.Prev, ""},
			{"seekLT z", func() bool { return it.SeekLT([]byte("z")) }, "b3"},
			{"seekGE before lower", func() bool { return it.SeekGE([]byte("a")) }, "b1"},
			{"seekLT lower", func() bool { return it.SeekLT([]byte("b1")) }, ""},
			{"seekGE past upper", func() bool { return it.SeekGE([]byte("c")) }, ""},
			{"first", it.First, "b1"},
		}
		for _, st := range steps {
			ok := st.move()
			got := ""
			if ok {
				got = string(it.Key())
			}
			if got != st.want || ok != it.Valid() {
				t.Fatalf("%s: at %q (valid %v), want %q", st.name, got, it.Valid(), st.want)
			}
		}
	})
}

func TestCloseTwice(t *testing.T) {
	backends(t, func(t *testing.T, s Store) {
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatal("second close:", err)
		}
	})
}

func TestPebbleKeepsDataAcrossReopen(t *testing.T) {
	fs := vfs.NewMem()
	s, err := OpenPebble("db", PebbleOptions{FS: fs, CacheBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	commit(t, s, "k", "v")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = OpenPebble("db", PebbleOptions{FS: fs})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if v, err := s.Get([]byte("k")); err != nil || string(v) != "v" {
		t.Fatalf("after reopen k = %q, %v", v, err)
	}
}
