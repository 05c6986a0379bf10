package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// A write that succeeds replaces the file with the given mode; one that
// fails leaves the old file as it was and no temporary file behind.
func TestWrite(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	for _, tc := range []struct {
		name    string
		content string
		err     error
		want    string
	}{
		{"create", "one", nil, "one"},
		{"replace", "two", nil, "two"},
		{"a failed write keeps the old file", "thr", errors.New("disk on fire"), "two"},
	} {
		err := Write(path, 0o644, func(w io.Writer) error {
			if _, err := io.WriteString(w, tc.content); err != nil {
				return err
			}
			return tc.err
		})
		if (err != nil) != (tc.err != nil) {
			t.Fatalf("%s: %v", tc.name, err)
		}
		got, err := os.ReadFile(path)
		if err != nil || string(got) != tc.want {
			t.Fatalf("%s: file %q, %v; want %q", tc.name, got, err, tc.want)
		}
		if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o644 {
			t.Fatalf("%s: mode %v", tc.name, fi.Mode())
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 1 {
			t.Fatalf("%s: %d entries in the directory, want the file alone", tc.name, len(entries))
		}
	}
}
