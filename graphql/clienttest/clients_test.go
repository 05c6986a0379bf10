package clienttest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// runNode runs a script of js/ with args and logs its output line by
// line; the script's exit status decides the test.
func runNode(t *testing.T, env []string, script string, args ...string) string {
	t.Helper()
	node := nodeBin(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, append([]string{script}, args...)...)
	cmd.Dir = jsDir
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	for _, line := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
		t.Logf("%s: %s", script, line)
	}
	if err != nil {
		t.Fatalf("node %s: %v", script, err)
	}
	return string(out)
}

// graphql-js builds the client schema from introspection, the explorer
// queries validate against it and run without errors, and wrong queries
// are refused (validate.mjs and queries.mjs).
func TestGraphQLJSValidatesExplorerQueries(t *testing.T) {
	url := receiptd(t)
	out := runNode(t, nil, "validate.mjs", url)
	if !strings.Contains(out, "\n0 errors") {
		t.Fatal("validate.mjs did not report 0 errors")
	}
}

// The graphql-ws client receives 3 new heads and 3 receipt updates, then
// completes both subscriptions and closes the socket normally.
func TestGraphQLWSReceivesSubscriptionEvents(t *testing.T) {
	url := receiptd(t)
	out := runNode(t, nil, "subscribe.mjs", url, "3")
	if !strings.Contains(out, "received 3 heads and 3 receipt updates; socket closed 1000") {
		t.Fatal("subscribe.mjs did not report its events and a normal close")
	}
}

// The console page in headless Chromium runs an example query and shows
// its result; the screenshot is kept in the test's temp dir and copied to
// /tmp/receiptd-console.png for a human to look at.
func TestConsoleRunsExampleInChromium(t *testing.T) {
	browser := chromiumBin(t)
	url := receiptd(t)
	png := filepath.Join(t.TempDir(), "console.png")
	runNode(t, []string{"CHROMIUM=" + browser}, "console.mjs", url, png)
	b, err := os.ReadFile(png)
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if len(b) < 8 || string(b[1:4]) != "PNG" {
		t.Fatalf("screenshot %s is not a PNG", png)
	}
	t.Logf("screenshot: %s (%d bytes)", png, len(b))
	const stable = "/tmp/receiptd-console.png"
	if err := os.WriteFile(stable, b, 0o644); err != nil {
		t.Logf("copy to %s: %v", stable, err)
	} else {
		t.Logf("screenshot copied to %s", stable)
	}
}
