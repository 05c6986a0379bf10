package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// parseFlags fills fs from, in rising precedence: the defaults, a config
// file (--config FILE or RECEIPTD_CONFIG), environment variables named
// RECEIPTD_ plus the flag's name in upper case with dashes as underscores
// (RECEIPTD_DATA, RECEIPTD_HTTP, RECEIPTD_LOG_LEVEL), and the command line.
// A config file holds `name = value` lines, with # comments; its names are
// the flags' names. Every bad setting is reported at once, with where it
// came from. A RECEIPTD_ variable that names no flag (a misspelling, most
// likely) is ignored with a warning on the flag set's output.
func parseFlags(fs *flag.FlagSet, args []string) error {
	var errs []error
	path := configPath(args)
	if path == "" {
		path = os.Getenv("RECEIPTD_CONFIG")
	}
	if path != "" {
		if err := applyConfigFile(fs, path); err != nil {
			errs = append(errs, err)
		}
	}
	newLayer(fs)
	known := map[string]bool{"RECEIPTD_CONFIG": true}
	fs.VisitAll(func(f *flag.Flag) {
		name := "RECEIPTD_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		known[name] = true
		if v, ok := os.LookupEnv(name); ok && f.Name != "config" {
			if err := fs.Set(f.Name, v); err != nil {
				errs = append(errs, fmt.Errorf("environment %s=%q: %v", name, v, err))
			}
		}
	})
	for _, kv := range os.Environ() {
		// RECEIPTD_BENCH_* belong to the benchmarks, which may start receiptd.
		if name, _, _ := strings.Cut(kv, "="); strings.HasPrefix(name, "RECEIPTD_") && !strings.HasPrefix(name, "RECEIPTD_BENCH_") && !known[name] {
			fmt.Fprintf(fs.Output(), "warning: environment %s is not a setting of receiptd %s: ignored\n", name, fs.Name())
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	newLayer(fs)
	return fs.Parse(args)
}

// newLayer tells repeatable flags (sourceList) that a higher layer of
// settings begins: its values replace theirs rather than add to them.
func newLayer(fs *flag.FlagSet) {
	fs.VisitAll(func(f *flag.Flag) {
		if l, ok := f.Value.(interface{ newLayer() }); ok {
			l.newLayer()
		}
	})
}

// configPath finds --config on the command line before it is parsed.
func configPath(args []string) string {
	for i, a := range args {
		for _, p := range []string{"-config", "--config"} {
			if a == p && i+1 < len(args) {
				return args[i+1]
			}
			if v, ok := strings.CutPrefix(a, p+"="); ok {
				return v
			}
		}
	}
	return ""
}

func applyConfigFile(fs *flag.FlagSet, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("config file: %w", err)
	}
	defer f.Close()
	var errs []error
	s := bufio.NewScanner(f)
	for n := 1; s.Scan(); n++ {
		line := strings.TrimSpace(s.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, value, ok := strings.Cut(line, "=")
		name, value = strings.TrimSpace(name), strings.Trim(strings.TrimSpace(value), `"`)
		switch {
		case !ok:
			errs = append(errs, fmt.Errorf("%s:%d: want name = value", path, n))
		case fs.Lookup(name) == nil || name == "config":
			errs = append(errs, fmt.Errorf("%s:%d: unknown setting %q", path, n, name))
		default:
			if err := fs.Set(name, value); err != nil {
				errs = append(errs, fmt.Errorf("%s:%d: %s: %v", path, n, name, err))
			}
		}
	}
	if err := s.Err(); err != nil {
		errs = append(errs, fmt.Errorf("config file: %w", err))
	}
	return errors.Join(errs...)
}

// lockDataDir takes an exclusive lock on the data directory, so that a
// second receiptd on it fails at once instead of corrupting it. The lock
// (flock on DIR/LOCK, holding the owner's pid) goes with the process, so
// a crashed receiptd never leaves a stale one.
func lockDataDir(dir string) (unlock func(), err error) {
	path := filepath.Join(dir, "LOCK")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		owner, _ := os.ReadFile(path)
		f.Close()
		who := strings.TrimSpace(string(owner))
		if who == "" {
			who = "unknown"
		}
		return nil, fmt.Errorf("data directory %s is in use by another receiptd (pid %s)", dir, who)
	}
	f.Truncate(0)
	f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	return func() { syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
}
