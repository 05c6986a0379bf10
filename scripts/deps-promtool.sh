#!/usr/bin/env bash
# Installs promtool, which the httpserver test uses to check /metrics the way
# the issue asks (`promtool check metrics`). Debian ships it in the
# prometheus package. Called from deps.sh; idempotent; quiet when promtool
# is there. Without root it cannot install: it says so and carries on (the
# test then skips), except under CI=true, where it stops with status 1, as
# the test would fail there anyway.
set -euo pipefail

command -v promtool >/dev/null 2>&1 && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "missing: promtool (apt-get install prometheus, or run as root); the /metrics promtool test skips (fails under CI=true)" >&2
	[ "${CI:-}" = true ] && exit 1
	exit 0
fi
export DEBIAN_FRONTEND=noninteractive
# Quiet unless something fails: then everything apt said goes to stderr.
if ! out=$(apt-get update -qq 2>&1 && apt-get install -y -qq --no-install-recommends prometheus 2>&1); then
	echo "$out" >&2
	exit 1
fi
command -v promtool >/dev/null 2>&1 || { echo "prometheus installed but promtool is not on PATH" >&2; exit 1; }
