package clienttest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// live is one `receiptd run` child process shared by the package's tests:
// an embedded devnet (faults on) with a block every 100 ms, so that
// subscriptions see events steadily without the back-to-back slots of
// --fast taking both cores from node and Chromium.
type live struct {
	url  string // http://127.0.0.1:PORT/graphql
	dir  string
	cmd  *exec.Cmd
	log  *bytes.Buffer // the child's stderr
	done chan error
}

var (
	liveOnce sync.Once
	server   *live
	liveErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if server != nil {
		if err := server.stop(); err != nil {
			fmt.Fprintln(os.Stderr, "stop receiptd:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// receiptd returns the GraphQL URL of the shared server, starting it on
// first use and waiting until it has indexed some blocks and receipts.
func receiptd(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs receiptd")
	}
	liveOnce.Do(func() { server, liveErr = start() })
	if liveErr != nil {
		t.Fatalf("receiptd: %v", liveErr)
	}
	return server.url
}

func start() (*live, error) {
	dir, err := os.MkdirTemp("", "receiptd-clienttest-")
	if err != nil {
		return nil, err
	}
	bin := filepath.Join(dir, "receiptd")
	build := exec.Command("go", "build", "-o", bin, "github.com/receiptd/receiptd/cmd/receiptd")
	if out, err := build.CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("go build: %v\n%s", err, out)
	}
	l := &live{dir: dir, log: new(bytes.Buffer), done: make(chan error, 1)}
	l.cmd = exec.Command(bin, "run", "--data", filepath.Join(dir, "data"), "--block-time", "100ms",
		"--http", "127.0.0.1:0", "--progress", "0")
	stderr, err := l.cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := l.cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	// The address comes from the log line `msg="serving http" addr=...`.
	addr := make(chan string, 1)
	var logMu sync.Mutex
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			logMu.Lock()
			l.log.WriteString(line + "\n")
			logMu.Unlock()
			if strings.Contains(line, `msg="serving http"`) {
				if i := strings.Index(line, "addr="); i >= 0 {
					select {
					case addr <- strings.Fields(line[i+len("addr="):])[0]:
					default:
					}
				}
			}
		}
		l.done <- l.cmd.Wait()
	}()
	fail := func(err error) (*live, error) {
		l.stop()
		logMu.Lock()
		defer logMu.Unlock()
		return nil, fmt.Errorf("%w\nreceiptd's log:\n%s", err, tail(l.log.String(), 30))
	}
	select {
	case a := <-addr:
		l.url = "http://" + a + "/graphql"
	case err := <-l.done:
		l.done <- err
		return fail(fmt.Errorf("exited before serving: %v", err))
	case <-time.After(30 * time.Second):
		return fail(errors.New("not serving after 30 s"))
	}
	if err := l.waitIndexed(20, 60*time.Second); err != nil {
		return fail(err)
	}
	return l, nil
}

// waitIndexed polls the status until the index holds blocks consensus
// blocks and a receipt past genesis in some domain.
func (l *live) waitIndexed(blocks uint64, within time.Duration) error {
	const q = `{ status { consensusNumber } receipts(where: {numberFrom: 1}, first: 1) { nodes { hash } } }`
	deadline := time.Now().Add(within)
	var last string
	for time.Now().Before(deadline) {
		var res struct {
			Data struct {
				Status   struct{ ConsensusNumber string }
				Receipts struct{ Nodes []struct{ Hash string } }
			}
		}
		body, err := post(l.url, q)
		if err == nil {
			err = json.Unmarshal(body, &res)
		}
		if err == nil {
			n, _ := strconv.ParseUint(strings.TrimPrefix(res.Data.Status.ConsensusNumber, "0x"), 16, 64)
			if n >= blocks && len(res.Data.Receipts.Nodes) > 0 {
				return nil
			}
			last = string(body)
		} else {
			last = err.Error()
		}
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("not %d blocks indexed after %s; last status: %s", blocks, within, last)
}

// stop interrupts the server (it shuts down cleanly on SIGINT), kills it
// after 10 s, and removes its directory.
func (l *live) stop() error {
	defer os.RemoveAll(l.dir)
	if l.cmd.Process == nil {
		return nil
	}
	l.cmd.Process.Signal(syscall.SIGINT)
	select {
	case err := <-l.done:
		l.done <- err
		return err
	case <-time.After(10 * time.Second):
		l.cmd.Process.Kill()
		return errors.New("did not stop within 10 s of SIGINT; killed")
	}
}

func post(url, query string) ([]byte, error) {
	body, _ := json.Marshal(map[string]string{"query": query})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err == nil && res.StatusCode != http.StatusOK {
		err = fmt.Errorf("HTTP %d: %s", res.StatusCode, b)
	}
	return b, err
}

func tail(s string, lines int) string {
	ls := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(ls[max(0, len(ls)-lines):], "\n")
}
