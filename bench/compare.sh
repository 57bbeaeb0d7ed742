#!/usr/bin/env bash
# Builds the load generator and the server in Release, then runs the relay-vs-Kizuna comparison
# (with TLS rows and the 2,000 idle TLS clients test) and writes the Markdown report.
# Usage: bench/compare.sh [extra compare options, e.g. --duration 20s]
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build bench/Kizuna.LoadGen -c Release -nologo -v q
dotnet build src/Kizuna.Server -c Release -nologo -v q
exec dotnet bench/Kizuna.LoadGen/bin/Release/net10.0/Kizuna.LoadGen.dll compare --tls --out "${KIZUNA_COMPARE_OUT:-/tmp/kizuna-compare.md}" "$@"
