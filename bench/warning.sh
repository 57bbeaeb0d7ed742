#!/usr/bin/env bash
# Builds the load generator and the server in Release, then measures missile warning latency (report → b-w-m-w at every receiver) under a saturating picture load and writes the Markdown report.
# Usage: bench/warning.sh [extra warning options, e.g. --duration 20s]
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build bench/Kizuna.LoadGen -c Release -nologo -v q
dotnet build src/Kizuna.Server -c Release -nologo -v q
exec dotnet bench/Kizuna.LoadGen/bin/Release/net10.0/Kizuna.LoadGen.dll warning --out "${KIZUNA_WARNING_OUT:-/tmp/kizuna-warning.md}" "$@"
