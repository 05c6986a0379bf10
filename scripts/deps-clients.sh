#!/usr/bin/env bash
# Installs what graphql/clienttest and graphql/bench need beyond Go: the
# npm packages of graphql/clienttest/js (`npm ci`, pinned by its
# package-lock.json), Debian's chromium for the console check, and wrk for
# the load benchmark (graphql/bench). Idempotent and quiet when everything is there.
#
# node (v20 or newer) and npm are not installed here: Debian's nodejs is
# too old for graphql-ws. Without them, or without root for apt-get, the
# script warns and goes on, and the tests skip; under CI=true it is an
# error, because CI must run those tests.
set -euo pipefail
cd "$(dirname "$0")/.."

problems=()
missing() {
	if [ "${CI:-}" = true ]; then
		problems+=("$1")
	else
		echo "deps-clients: $1 (the tests that need it will skip)" >&2
	fi
}

need_apt=()
[ -x "${CHROMIUM:-/usr/bin/chromium}" ] || need_apt+=(chromium)
command -v wrk >/dev/null 2>&1 || need_apt+=(wrk)
if [ ${#need_apt[@]} -gt 0 ]; then
	if [ "$(id -u)" = 0 ]; then
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
	else
		missing "missing ${need_apt[*]}: run apt-get install ${need_apt[*]} as root"
	fi
fi

js=graphql/clienttest/js
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	missing "node and npm are missing: install Node.js 20 or newer"
elif [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 20 ]; then
	missing "node $(node --version) is older than v20"
elif ! cmp -s "$js/package-lock.json" "$js/node_modules/.package-lock.json.installed" 2>/dev/null; then
	# npm ci removes node_modules first, so it runs only when the lock
	# file changed since the last install (the copy beside the packages).
	(cd "$js" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
	cp "$js/package-lock.json" "$js/node_modules/.package-lock.json.installed"
fi

if [ ${#problems[@]} -gt 0 ]; then
	printf 'deps-clients: %s\n' "${problems[@]}" >&2
	exit 1
fi
