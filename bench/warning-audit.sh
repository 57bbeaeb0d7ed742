#!/usr/bin/env bash
# Missile warning latency with the audit trail on and off, alternating in one run (on, off, on,
# off, ...), so drift of a shared machine falls on both alike. Each round is one bench/warning.sh
# run with KIZUNA_AUDIT=true or false in the node's environment (the `audit` setting).
# Usage: bench/warning-audit.sh [rounds, default 3] [extra warning options, e.g. --duration 10s]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds="${1:-3}"
shift || true
out="${KIZUNA_WARNING_AUDIT_OUT:-/tmp/kizuna-warning-audit.md}"
work="$(mktemp -d)"
dotnet build bench/Kizuna.LoadGen -c Release -nologo -v q
dotnet build src/Kizuna.Server -c Release -nologo -v q
for round in $(seq 1 "$rounds"); do
  for audit in true false; do
    echo "round $round, audit $audit"
    KIZUNA_AUDIT="$audit" dotnet bench/Kizuna.LoadGen/bin/Release/net10.0/Kizuna.LoadGen.dll warning --out "$work/$round-$audit.md" "$@" > "$work/$round-$audit.log" 2>&1
  done
done
{
  echo "# Warning latency, audit trail on and off (alternating, $rounds rounds)"
  echo
  echo "Each row: one bench/warning.sh run; the rows of its table under load (picture lane) and without (baseline)."
  echo
  echo "| Round | Audit | Row | Reports | Arrivals | Missing | p50 ms | p99 ms | max ms |"
  echo "|---|---|---|---|---|---|---|---|---|"
  for round in $(seq 1 "$rounds"); do
    for audit in true false; do
      grep -E '^\| ' "$work/$round-$audit.md" | grep -vE '^\| (Picture lane|---)' | awk -F'|' -v r="$round" -v a="$audit" 'NF > 8 { printf "| %s | %s |%s|%s|%s|%s|%s|%s|%s|\n", r, a, $2, $3, $4, $5, $6, $7, $8 }'
    done
  done
} > "$out"
cat "$out"
echo "Full reports: $work"
