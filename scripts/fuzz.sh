#!/usr/bin/env bash
# Runs every Go fuzz target in the module for FUZZTIME each (default 10s; a
# count such as 40000x works too). A crash fails the run and leaves its
# input under the package's testdata/fuzz/, where `go test` replays it from
# then on. On Go 1.26 a duration can end a target with a bare "context
# deadline exceeded" and no input written: that is golang/go#75804 (fixed
# in Go 1.27), not a finding; CI uses a count, which has no deadline.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${FUZZTIME:-10s}
status=0
for pkg in $(go list ./...); do
	targets=$(go test -list '^Fuzz' "$pkg" 2>/dev/null | grep '^Fuzz' || true)
	for target in $targets; do
		echo "fuzz $pkg $target ($fuzztime)"
		if ! go test "$pkg" -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" -parallel 2 >/tmp/receiptd-fuzz.log 2>&1; then
			cat /tmp/receiptd-fuzz.log
			status=1
		fi
	done
done
exit $status
