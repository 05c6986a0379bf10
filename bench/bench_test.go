package bench

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

func TestFreshDir(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, path string)
	}{
		{"absent", func(*testing.T, string) {}},
		{"left by an earlier run", func(t *testing.T, path string) {
			if err := os.MkdirAll(filepath.Join(path, "index"), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(path, "index", "MANIFEST"), []byte("x"), 0o644); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			tc.setup(t, filepath.Join(dir, "data-2-0"))
			path, err := freshDir(dir, "data-2-0")
			if err != nil {
				t.Fatal(err)
			}
			if path != filepath.Join(dir, "data-2-0") {
				t.Fatalf("path %s", path)
			}
			if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("%s still there: %v", path, err)
			}
		})
	}
}
