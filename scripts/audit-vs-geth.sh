#!/usr/bin/env bash
# audit-vs-geth.sh [DIR]: `receiptd audit` beside the geth v1.17.0 binary's
# `geth import` on the same exported chain, the outside check of audit's
# throughput (the in-process comparison is BenchmarkAudit in audit/).
#
# It exports a one-domain devnet chain of about 20,000 mixed transactions
# (transfers, token calls, deployments) into DIR (default: a temporary
# directory), checks with geth-import-check.sh that geth accepts it with
# the head receiptd names, then times three alternating rounds of
#   geth --datadir D import chain.rlp   (after a fresh `geth init`)
#   receiptd audit --genesis genesis.json chain.rlp
# Each figure is the whole command's wall time, process start and database
# open included for both; the best of the rounds counts, so that a burst of
# load on a shared machine does not decide the ratio. Exit status: 0 when
# both agree on the head, 1 otherwise, 2 on bad usage.
set -euo pipefail

if [ $# -gt 1 ]; then
	echo "usage: $0 [DIR]" >&2
	exit 2
fi
root=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-$(mktemp -d)}
mkdir -p "$work"
[ $# -eq 1 ] || trap 'rm -rf "$work"' EXIT
rounds=${ROUNDS:-3}

export CGO_ENABLED=1
go build -o "$work/receiptd" "$root/cmd/receiptd"
chain="$work/chain"
if [ ! -f "$chain/domain-1/chain.rlp" ]; then
	"$work/receiptd" devnet export --blocks 200 --domains 1 --tx-per-block 300 \
		--no-faults --fork-probability 0 --out "$chain" >/dev/null
fi
dom="$chain/domain-1"
"$root/scripts/geth-import-check.sh" "$dom"
geth=${GETH:-$(command -v geth || echo "$(go env GOPATH)/bin/geth")}

now() { date +%s%N; }
best_geth=0
best_audit=0
for r in $(seq "$rounds"); do
	rm -rf "$work/geth"
	"$geth" --datadir "$work/geth" init "$dom/genesis.json" >/dev/null 2>&1
	t0=$(now)
	"$geth" --datadir "$work/geth" import "$dom/chain.rlp" >/dev/null 2>&1
	t1=$(now)
	"$work/receiptd" audit --genesis "$dom/genesis.json" "$dom/chain.rlp" >"$work/audit.jsonl" 2>/dev/null
	t2=$(now)
	g=$((t1 - t0))
	a=$((t2 - t1))
	echo "round $r: geth import $((g / 1000000)) ms, receiptd audit $((a / 1000000)) ms"
	if [ "$best_geth" -eq 0 ] || [ "$g" -lt "$best_geth" ]; then best_geth=$g; fi
	if [ "$best_audit" -eq 0 ] || [ "$a" -lt "$best_audit" ]; then best_audit=$a; fi
done

summary=$(tail -1 "$work/audit.jsonl")
field() { printf '%s\n' "$summary" | sed -n "s/.*\"$1\":\"\\{0,1\\}\\([0-9a-fx]*\\).*/\\1/p"; }
txs=$(field txs)
head_hash=$(field head_hash)
want_hash=$(sed -n 's/.*"hash": *"\(0x[0-9a-fA-F]*\)".*/\1/p' "$dom/head.json")
if [ "$head_hash" != "$want_hash" ]; then
	echo "FAIL: audit head $head_hash, want $want_hash" >&2
	exit 1
fi
awk -v txs="$txs" -v g="$best_geth" -v a="$best_audit" 'BEGIN {
	printf "%d txs, best of rounds: geth import %.0f tx/s, receiptd audit %.0f tx/s: audit/geth %.2f\n",
		txs, txs / (g / 1e9), txs / (a / 1e9), g / a
}'
