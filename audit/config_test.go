package audit_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/receiptd/receiptd/audit"
	"github.com/receiptd/receiptd/audit/audittest"
)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name  string
		cfg   audit.Config
		wants []string // substrings of the error; none means valid
	}{
		{"defaults", audit.Config{}, nil},
		{"every problem at once", audit.Config{Workers: -1, ProgressInterval: -time.Second, CheckpointInterval: -2, Retain: 10, MaxBlockBytes: 5},
			[]string{"workers", "progress interval", "checkpoint interval", "retain", "max block bytes"}},
		{"retain shorter than the checkpoints reach", audit.Config{CheckpointInterval: 4096, Retain: 8192},
			[]string{"retain must cover the kept checkpoints"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg
			cfg.EnsureDefaults()
			err := cfg.Validate()
			if len(tc.wants) == 0 {
				if err != nil {
					t.Fatalf("have %v, want valid", err)
				}
				return
			}
			if err == nil {
				t.Fatal("have valid, want an error")
			}
			for _, w := range tc.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestRunProgress(t *testing.T) {
	c := generate(t, audittest.Cancun, 4)
	now := time.Unix(0, 0)
	clock := func() time.Time { now = now.Add(3 * time.Second); return now }
	var progress bytes.Buffer
	_, sum := runAudit(t, c, c.Blocks, audit.Config{Progress: &progress, ProgressInterval: 5 * time.Second, Now: clock})
	lines := strings.Split(strings.TrimSpace(progress.String()), "\n")
	// The clock moves 3 s a call: start, then one call per block (5 items),
	// then the summary; a line is due every second call.
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "audit: height=1 ") || !strings.Contains(lines[1], "height=3 ") {
		t.Errorf("progress lines %q", lines)
	}
	if sum.ElapsedSeconds != 18 {
		t.Errorf("elapsed %v, want 18 (6 clock reads after the start)", sum.ElapsedSeconds)
	}
}
