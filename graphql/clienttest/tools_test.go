package clienttest

import (
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// jsDir is the npm project the node scripts live in.
const jsDir = "js"

// need stops the test when a tool is missing: a failure under CI=true,
// where the tools must be there, else a skip that says what to install.
func need(t *testing.T, what string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	const hint = "run scripts/deps-clients.sh"
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is missing: %v (%s; CI must have it)", what, err, hint)
	}
	t.Skipf("%s is missing: %v (%s)", what, err, hint)
}

// nodeBin returns node's path, with the npm packages installed.
func nodeBin(t *testing.T) string {
	t.Helper()
	node, err := exec.LookPath("node")
	need(t, "node", err)
	npmOnce.Do(func() { npmErr = npmCI() })
	need(t, "the npm packages of "+jsDir, npmErr)
	return node
}

var (
	npmOnce sync.Once
	npmErr  error
)

// npmCI installs the locked packages when node_modules lacks them. npm
// writes node_modules/.package-lock.json on install; its absence means
// nothing (or not all) was installed.
func npmCI() error {
	if _, err := os.Stat(filepath.Join(jsDir, "node_modules", ".package-lock.json")); err == nil {
		return nil
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		return err
	}
	cmd := exec.Command(npm, "ci", "--no-audit", "--no-fund", "--loglevel=error")
	cmd.Dir = jsDir
	if out, err := cmd.CombinedOutput(); err != nil {
		return &toolError{what: "npm ci", err: err, out: out}
	}
	return nil
}

// chromiumBin is the browser the console check drives: $CHROMIUM, else
// /usr/bin/chromium (Debian's package).
func chromiumBin(t *testing.T) string {
	t.Helper()
	path := os.Getenv("CHROMIUM")
	if path == "" {
		path = "/usr/bin/chromium"
	}
	_, err := exec.LookPath(path)
	need(t, "chromium", err)
	return path
}

type toolError struct {
	what string
	err  error
	out  []byte
}

func (e *toolError) Error() string { return e.what + ": " + e.err.Error() + "\n" + string(e.out) }
