#!/usr/bin/env bash
# Installs what receiptd's build and tests need on a fresh Debian machine
# with Go: the Go modules, and gcc for cgo (sender recovery is 3.5x slower
# without it). Idempotent; quiet when everything is there.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v gcc >/dev/null 2>&1 || need_apt+=(gcc libc6-dev)
if [ ${#need_apt[@]} -gt 0 ]; then
	if [ "$(id -u)" = 0 ]; then
		apt-get update -qq && apt-get install -y -qq "${need_apt[@]}"
	else
		echo "missing: ${need_apt[*]} (install them, or run as root)" >&2
		exit 1
	fi
fi
go mod download
# promtool checks the /metrics output in the tests.
./scripts/deps-promtool.sh
./scripts/deps-clients.sh # node packages, chromium and wrk for graphql/clienttest and graphql/bench
