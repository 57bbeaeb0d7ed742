#!/usr/bin/env bash
# Builds the load generator and the server in Release, then measures missile warning latency (report → b-w-m-w at every receiver) under a saturating picture load and writes the Markdown report.
# The server is pinned to CPU $NODE_CPU (default 0) and this generator to CPU $GEN_CPU (default 1) with taskset.
# Usage: bench/warning.sh [extra warning options, e.g. --duration 20s]
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build bench/Kizuna.LoadGen -c Release -nologo -v q
dotnet build src/Kizuna.Server -c Release -nologo -v q
exec taskset -c "${GEN_CPU:-1}" dotnet bench/Kizuna.LoadGen/bin/Release/net10.0/Kizuna.LoadGen.dll warning --node-cpus "${NODE_CPU:-0}" --out "${KIZUNA_WARNING_OUT:-/tmp/kizuna-warning.md}" "$@"
