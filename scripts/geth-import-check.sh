#!/usr/bin/env bash
# geth-import-check.sh DIR: the outside check of an exported domain chain.
#
# DIR is a domain directory written by `receiptd devnet export`
# (genesis.json, chain.rlp, head.json). The script runs the geth binary
# v1.17.0 -- `geth init genesis.json`, `geth import chain.rlp` -- in a
# throw-away datadir and compares the head block's hash and state root that
# geth ends with (`geth db metadata`) with the ones head.json names. Exit
# status: 0 same head, 1 a mismatch or a failed import, 2 bad usage.
#
# geth is taken from $GETH, else PATH, else $(go env GOPATH)/bin; when
# missing it is installed with `go install .../cmd/geth@v1.17.0` (a few
# minutes on two cores).
set -euo pipefail

if [ $# -ne 1 ] || [ ! -f "$1/genesis.json" ] || [ ! -f "$1/chain.rlp" ] || [ ! -f "$1/head.json" ]; then
	echo "usage: $0 DIR  (DIR holds genesis.json, chain.rlp and head.json)" >&2
	exit 2
fi
dir=$1
geth_version=v1.17.0

geth=${GETH:-}
if [ -z "$geth" ]; then
	geth=$(command -v geth || true)
fi
if [ -z "$geth" ]; then
	geth="$(go env GOPATH)/bin/geth"
	if [ ! -x "$geth" ]; then
		echo "installing geth $geth_version ..." >&2
		go install "github.com/ethereum/go-ethereum/cmd/geth@$geth_version"
	fi
fi
# Read the version once: under pipefail, `geth version | grep -q` fails
# whenever grep exits before geth has written everything (SIGPIPE).
version=$("$geth" version)
if ! grep -q "^Version: ${geth_version#v}" <<<"$version"; then
	echo "warning: $geth is not geth $geth_version:" "$(grep '^Version' <<<"$version")" >&2
fi

# head.json field: "name": "0x..."
field() { sed -n "s/.*\"$1\": *\"\\(0x[0-9a-fA-F]*\\)\".*/\\1/p" "$dir/head.json"; }
want_hash=$(field hash)
want_root=$(field stateRoot)
if [ -z "$want_hash" ] || [ -z "$want_root" ]; then
	echo "$dir/head.json names no hash and stateRoot" >&2
	exit 2
fi

datadir=$(mktemp -d)
trap 'rm -rf "$datadir"' EXIT
log="$datadir/geth.log"
if ! "$geth" --datadir "$datadir" init "$dir/genesis.json" >"$log" 2>&1; then
	tail -20 "$log" >&2
	echo "FAIL: geth init $dir/genesis.json" >&2
	exit 1
fi
if ! "$geth" --datadir "$datadir" import "$dir/chain.rlp" >>"$log" 2>&1; then
	tail -20 "$log" >&2
	echo "FAIL: geth import $dir/chain.rlp" >&2
	exit 1
fi
meta=$("$geth" --datadir "$datadir" db metadata 2>/dev/null)
# Table rows: | headBlock.Hash | 0x... |
row() { printf '%s\n' "$meta" | sed -n "s/^| *$1 *| *\\(0x[0-9a-fA-F]*\\) *|$/\\1/p"; }
got_hash=$(row 'headBlock\.Hash')
got_root=$(row 'headBlock\.Root')

if [ "$got_hash" != "$want_hash" ] || [ "$got_root" != "$want_root" ]; then
	echo "FAIL: geth head $got_hash root $got_root, want $want_hash root $want_root" >&2
	exit 1
fi
echo "ok: geth $(sed -n 's/^Version: //p' <<<"$version") imports $dir to head $got_hash root $got_root"
