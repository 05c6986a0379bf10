package indexer

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// Scenario scripts under testdata/scenarios: reorgs, restarts and crashes,
// one file each. Each runs on both backends (scripts that crash or reopen,
// on pebble only). Commands, one per line, # comments:
//
//	commit BRANCH FROM..TO     commit fixture blocks of BRANCH
//	rollback TO
//	reopen                     close and open the index again
//	crash                      reopen on a crash image of the filesystem
//	expect progress N
//	expect same BRANCH:FROM..TO ...   digest equals a fresh run of those segments
//
// Any command may end with "=> ErrName": it must fail with that error.
func TestScenarios(t *testing.T) {
	files, err := filepath.Glob("testdata/scenarios/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no scenarios: %v", err)
	}
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		script := string(b)
		for _, be := range []string{"memory", "pebble"} {
			if be == "memory" && (strings.Contains(script, "\ncrash") || strings.Contains(script, "\nreopen")) {
				continue
			}
			t.Run(strings.TrimSuffix(filepath.Base(file), ".txt")+"/"+be, func(t *testing.T) {
				runScenario(t, be, script)
			})
		}
	}
}

func scenarioError(name string) error {
	switch name {
	case "ErrOutOfOrder":
		return ErrOutOfOrder
	case "ErrRollbackTooDeep":
		return ErrRollbackTooDeep
	}
	return fmt.Errorf("unknown error name %q", name)
}

type scenario struct {
	t    *testing.T
	be   string
	fs   *vfs.MemFS
	ix   *Index
	opts Options
}

func runScenario(t *testing.T, be, script string) {
	s := &scenario{t: t, be: be, opts: Options{UndoRetention: testRetention}}
	s.ix = s.open()
	defer func() { s.ix.Close() }()
	sc := bufio.NewScanner(strings.NewReader(script))
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		cmd, wantErr, _ := strings.Cut(text, "=>")
		err := s.run(strings.Fields(cmd))
		switch want := strings.TrimSpace(wantErr); {
		case want == "" && err != nil:
			t.Fatalf("line %d %q: %v", line, text, err)
		case want != "" && !errors.Is(err, scenarioError(want)):
			t.Fatalf("line %d %q: got %v, want %s", line, text, err, want)
		}
	}
}

func (s *scenario) open() *Index {
	opts := s.opts
	if s.be == "memory" {
		ix, err := OpenMemory(opts)
		if err != nil {
			s.t.Fatal(err)
		}
		return ix
	}
	if s.fs == nil {
		s.fs = vfs.NewCrashableMem()
	}
	opts.FS = s.fs
	ix, err := Open("idx", opts)
	if err != nil {
		s.t.Fatal(err)
	}
	return ix
}

func (s *scenario) run(f []string) error {
	ctx := context.Background()
	switch {
	case len(f) == 3 && f[0] == "commit":
		from, to, err := span(f[2])
		if err != nil {
			return err
		}
		return commitSegment(s.ix, f[1], from, to)
	case len(f) == 2 && f[0] == "rollback":
		to, err := strconv.ParseUint(f[1], 10, 64)
		if err != nil {
			return err
		}
		return s.ix.Rollback(ctx, to)
	case len(f) == 1 && f[0] == "reopen":
		if err := s.ix.Close(); err != nil {
			return err
		}
		s.ix = s.open()
		return nil
	case len(f) == 1 && f[0] == "crash":
		s.fs = s.fs.CrashClone(vfs.CrashCloneCfg{UnsyncedDataPercent: 50, RNG: rand.New(rand.NewPCG(7, 7))})
		s.ix.Close()
		s.ix = s.open()
		return nil
	case len(f) == 3 && f[0] == "expect" && f[1] == "progress":
		p, ok, err := s.ix.Progress()
		if err != nil || !ok || strconv.FormatUint(p.Number, 10) != f[2] {
			return fmt.Errorf("progress %d (committed %v, %v), want %s", p.Number, ok, err, f[2])
		}
		return nil
	case len(f) >= 3 && f[0] == "expect" && f[1] == "same":
		ref, err := OpenMemory(s.opts)
		if err != nil {
			return err
		}
		defer ref.Close()
		for _, seg := range f[2:] {
			branch, rng, _ := strings.Cut(seg, ":")
			from, to, err := span(rng)
			if err != nil {
				return err
			}
			if err := commitSegment(ref, branch, from, to); err != nil {
				return err
			}
		}
		got, err1 := s.ix.Digest()
		want, err2 := ref.Digest()
		if err := errors.Join(err1, err2); err != nil {
			return err
		}
		if got != want {
			return fmt.Errorf("digest differs from a fresh run of %v", f[2:])
		}
		return nil
	}
	return fmt.Errorf("unknown command %q", f)
}

func span(s string) (from, to uint64, err error) {
	a, b, ok := strings.Cut(s, "..")
	if !ok {
		return 0, 0, fmt.Errorf("range %q is not FROM..TO", s)
	}
	from, err1 := strconv.ParseUint(a, 10, 64)
	to, err2 := strconv.ParseUint(b, 10, 64)
	return from, to, errors.Join(err1, err2)
}

// commitSegment is commitChain returning the first error.
func commitSegment(ix *Index, branch string, from, to uint64) error {
	for n := from; n <= to; n++ {
		p, ok, err := ix.Progress()
		if err != nil {
			return err
		}
		parent := p.Hash
		if !ok {
			parent = [32]byte{}
		}
		h := header(branch, n, parent)
		if err := ix.Commit(context.Background(), n, h.Hash(), func(w *Writer) error { return writeBlock(w, branch, h) }); err != nil {
			return err
		}
	}
	return nil
}
