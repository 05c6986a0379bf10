package httpserver_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/receiptd/receiptd/httpserver"
	"github.com/receiptd/receiptd/metrics"
)

// start runs a server on 127.0.0.1:0 that the test closes when it ends.
func start(t *testing.T, cfg httpserver.Config, mount func(*httpserver.Server)) *httpserver.Server {
	t.Helper()
	cfg.Addr = "127.0.0.1:0"
	if cfg.Gatherer == nil {
		cfg.Gatherer = metrics.New().Registry()
	}
	s, err := httpserver.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if mount != nil {
		mount(s)
	}
	if err := s.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.Close(ctx); err != nil {
			t.Error(err)
		}
	})
	return s
}

var client = &http.Client{Timeout: 5 * time.Second}

func get(t *testing.T, s *httpserver.Server, method, path string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(method, "http://"+s.Addr().String()+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, string(body)
}

func TestEndpoints(t *testing.T) {
	m := metrics.New()
	m.RecordConsensusHead(42)
	var notReady atomic.Pointer[error]
	behind := errors.New("follower 12 blocks behind the source")
	notReady.Store(&behind)
	s := start(t, httpserver.Config{
		Gatherer: m.Registry(),
		Ready: func() error {
			if p := notReady.Load(); p != nil {
				return *p
			}
			return nil
		},
	}, nil)

	if port := s.Addr().(*net.TCPAddr).Port; port == 0 {
		t.Fatal("Addr reports port 0, want the bound port")
	}
	if code, _, body := get(t, s, "GET", "/healthz"); code != 200 || body != "ok\n" {
		t.Errorf("/healthz: %d %q, want 200 ok", code, body)
	}
	if code, _, body := get(t, s, "GET", "/readyz"); code != 503 || body != "not ready: follower 12 blocks behind the source\n" {
		t.Errorf("/readyz while not ready: %d %q, want 503 with the reason", code, body)
	}
	notReady.Store(nil)
	if code, _, body := get(t, s, "GET", "/readyz"); code != 200 || body != "ready\n" {
		t.Errorf("/readyz when ready: %d %q, want 200 ready", code, body)
	}
	code, h, body := get(t, s, "GET", "/metrics")
	if code != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/plain") {
		t.Errorf("/metrics: %d %q, want 200 text/plain", code, h.Get("Content-Type"))
	}
	if !strings.Contains(body, "\nreceiptd_consensus_head_number 42\n") {
		t.Errorf("/metrics lacks receiptd_consensus_head_number 42:\n%.500s", body)
	}
	if code, _, _ := get(t, s, "HEAD", "/healthz"); code != 200 {
		t.Errorf("HEAD /healthz: %d, want 200", code)
	}
	if code, _, _ := get(t, s, "POST", "/healthz"); code != http.StatusMethodNotAllowed {
		t.Errorf("POST /healthz: %d, want 405", code)
	}
	if code, _, _ := get(t, s, "GET", "/nothing-here"); code != 404 {
		t.Errorf("GET /nothing-here: %d, want 404", code)
	}
}

func TestMount(t *testing.T) {
	var mountErrs []error
	s := start(t, httpserver.Config{}, func(s *httpserver.Server) {
		mountErrs = append(mountErrs, s.Mount("/graphql", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, `{"data":{}}`)
		})))
		if err := s.Mount("GET /metrics", http.NotFoundHandler()); err == nil {
			t.Error("mounting over /metrics succeeded, want a conflict error")
		}
		if err := s.Mount("/nil", nil); err == nil {
			t.Error("mounting a nil handler succeeded")
		}
	})
	if mountErrs[0] != nil {
		t.Fatal(mountErrs[0])
	}
	if code, _, body := get(t, s, "POST", "/graphql"); code != 200 || body != `{"data":{}}` {
		t.Errorf("POST /graphql: %d %q", code, body)
	}
	if code, _, body := get(t, s, "GET", "/metrics"); code != 200 || !strings.Contains(body, "receiptd_") {
		t.Errorf("/metrics after mounting: %d", code)
	}
	if code, _, _ := get(t, s, "GET", "/readyz"); code != 200 {
		t.Errorf("/readyz with no Ready func: %d, want 200", code)
	}
	if err := s.Mount("/late", http.NotFoundHandler()); !errors.Is(err, httpserver.ErrStarted) {
		t.Errorf("Mount after Start: %v, want ErrStarted", err)
	}
}

func TestLifecycle(t *testing.T) {
	s, err := httpserver.New(httpserver.Config{Addr: "127.0.0.1:0", Gatherer: metrics.New().Registry()})
	if err != nil {
		t.Fatal(err)
	}
	if s.Addr() != nil {
		t.Errorf("Addr before Start: %v, want nil", s.Addr())
	}
	ctx := t.Context()
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Start(ctx); !errors.Is(err, httpserver.ErrStarted) {
		t.Errorf("second Start: %v, want ErrStarted", err)
	}
	addr := s.Addr().String()

	// A second server cannot bind the same address.
	other, _ := httpserver.New(httpserver.Config{Addr: addr, Gatherer: metrics.New().Registry()})
	if err := other.Start(ctx); err == nil || !strings.Contains(err.Error(), addr) {
		t.Errorf("Start on a bound address: %v, want an error naming %s", err, addr)
	}

	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(ctx); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if conn, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		conn.Close()
		t.Error("the address still accepts connections after Close")
	}
	if err := s.Start(ctx); !errors.Is(err, httpserver.ErrClosed) {
		t.Errorf("Start after Close: %v, want ErrClosed", err)
	}

	unstarted, _ := httpserver.New(httpserver.Config{Addr: "127.0.0.1:0", Gatherer: metrics.New().Registry()})
	if err := unstarted.Close(ctx); err != nil {
		t.Errorf("Close before Start: %v", err)
	}
}

// Close lets a request in flight finish; when its context ends first, it
// cuts the connection and says so.
func TestCloseIsGracefulThenForced(t *testing.T) {
	for _, tc := range []struct {
		name    string
		release time.Duration // when the handler finishes
		wait    time.Duration // how long Close may wait
		wantErr bool
	}{
		{name: "graceful", release: 100 * time.Millisecond, wait: 5 * time.Second},
		{name: "forced", release: time.Hour, wait: 100 * time.Millisecond, wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			entered := make(chan struct{})
			s, err := httpserver.New(httpserver.Config{Addr: "127.0.0.1:0", Gatherer: metrics.New().Registry()})
			if err != nil {
				t.Fatal(err)
			}
			s.Mount("/slow", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				close(entered)
				select {
				case <-time.After(tc.release):
					io.WriteString(w, "done")
				case <-r.Context().Done():
				}
			}))
			if err := s.Start(t.Context()); err != nil {
				t.Fatal(err)
			}
			result := make(chan error, 1)
			go func() {
				resp, err := client.Get("http://" + s.Addr().String() + "/slow")
				if err == nil {
					body, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					if string(body) != "done" {
						err = errors.New("body " + string(body))
					}
				}
				result <- err
			}()
			<-entered
			ctx, cancel := context.WithTimeout(context.Background(), tc.wait)
			defer cancel()
			err = s.Close(ctx)
			if tc.wantErr != (err != nil) || (tc.wantErr && !errors.Is(err, context.DeadlineExceeded)) {
				t.Errorf("Close: %v, want error %v", err, tc.wantErr)
			}
			if reqErr := <-result; tc.wantErr == (reqErr == nil) {
				t.Errorf("request: %v, want it to fail only when Close is forced", reqErr)
			}
		})
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	err := httpserver.Config{Addr: "localhost", ReadTimeout: -1, MaxScrapesInFlight: -1}.Validate()
	if err == nil {
		t.Fatal("invalid config accepted")
	}
	for _, want := range []string{"Addr \"localhost\"", "gatherer (the metrics registry) is required", "ReadTimeout is negative", "MaxScrapesInFlight is negative"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if _, err := httpserver.New(httpserver.Config{Gatherer: metrics.New().Registry()}); err == nil ||
		!strings.Contains(err.Error(), "Addr is required") {
		t.Errorf("New without Addr: %v", err)
	}
	if err := (httpserver.Config{Addr: "127.0.0.1:0", Gatherer: metrics.New().Registry()}).Validate(); err != nil {
		t.Errorf("valid config rejected: %v", err)
	}
}
