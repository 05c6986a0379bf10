package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// wrkScript POSTs the JSON bodies of the file named by its argument, one a
// line, in turn; counts responses that are not 200 or carry "errors"; and
// prints the figures on one line the caller parses.
const wrkScript = `
local bodies, i = {}, 0
bad = 0 -- a global: done() reads it from each thread with thread:get
function init(args)
  for line in io.lines(args[1]) do bodies[#bodies + 1] = line end
  i = math.random(#bodies)
end
function request()
  i = i % #bodies + 1
  return wrk.format("POST", nil, {["Content-Type"] = "application/json"}, bodies[i])
end
function response(status, headers, body)
  if status ~= 200 or string.find(body, '"errors"', 1, true) then bad = bad + 1 end
end
local threads = {}
function setup(thread) table.insert(threads, thread) end
function done(summary, latency, requests)
  local b = 0
  for _, t in ipairs(threads) do b = b + t:get("bad") end
  io.write(string.format("RESULT %d %d %d %d %d %d\n", latency:percentile(50), latency:percentile(99),
    summary.requests, summary.duration, b, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
`

// result is one wrk run's figures.
type result struct {
	name     string
	p50, p99 time.Duration
	requests int
	rps      float64
	bad      int // responses that were not 200 or carried errors
	sockErrs int
}

func (r result) String() string {
	s := fmt.Sprintf("%-34s p50 %7.2f ms   p99 %7.2f ms   %8.0f req/s   (%d requests)", r.name, ms(r.p50), ms(r.p99), r.rps, r.requests)
	if r.bad > 0 || r.sockErrs > 0 {
		s += fmt.Sprintf("   %d BAD RESPONSES, %d socket errors", r.bad, r.sockErrs)
	}
	return s
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// driver runs wrk: conns connections over threads threads for d a query.
type driver struct {
	dir            string
	conns, threads int
	d              time.Duration
}

// run drives url with the request bodies (GraphQL queries with their
// variables), in turn, after a 2 s warm-up.
func (w driver) run(ctx context.Context, name, url string, bodies []map[string]any) (result, error) {
	dir, err := os.MkdirTemp(w.dir, "wrk-")
	if err != nil {
		return result{}, err
	}
	defer os.RemoveAll(dir)
	script, data := filepath.Join(dir, "post.lua"), filepath.Join(dir, "bodies")
	var b strings.Builder
	for _, body := range bodies {
		j, err := json.Marshal(body)
		if err != nil {
			return result{}, err
		}
		b.Write(j)
		b.WriteByte('\n')
	}
	if err := os.WriteFile(script, []byte(wrkScript), 0o644); err != nil {
		return result{}, err
	}
	if err := os.WriteFile(data, []byte(b.String()), 0o644); err != nil {
		return result{}, err
	}
	// Warm up: caches, connections, the Go scheduler.
	if _, err := w.wrk(ctx, script, data, url, 2*time.Second); err != nil {
		return result{}, err
	}
	r, err := w.wrk(ctx, script, data, url, w.d)
	r.name = name
	return r, err
}

func (w driver) wrk(ctx context.Context, script, data, url string, d time.Duration) (result, error) {
	cmd := exec.CommandContext(ctx, "wrk", "-t", strconv.Itoa(w.threads), "-c", strconv.Itoa(w.conns), "-d", fmt.Sprintf("%ds", int(d.Seconds())),
		"--timeout", "5s", "-s", script, url, "--", data)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return result{}, fmt.Errorf("wrk: %v\n%s", err, out)
	}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) != 7 || f[0] != "RESULT" {
			continue
		}
		var v [6]int64
		for i := range v {
			if v[i], err = strconv.ParseInt(f[i+1], 10, 64); err != nil {
				return result{}, fmt.Errorf("wrk: %q: %v", line, err)
			}
		}
		return result{p50: time.Duration(v[0]) * time.Microsecond, p99: time.Duration(v[1]) * time.Microsecond,
			requests: int(v[2]), rps: float64(v[2]) / (float64(v[3]) / 1e6), bad: int(v[4]), sockErrs: int(v[5])}, nil
	}
	return result{}, fmt.Errorf("wrk printed no RESULT line:\n%s", out)
}
