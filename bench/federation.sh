#!/usr/bin/env bash
# The federation benchmark: three linked nodes pinned to CPU 0, the generator pinned to CPU 1.
#   bench/federation.sh [--duration 5s] [--rate 2000] [--reports 40] [--out FILE]
# = taskset -c 1 dotnet Kizuna.LoadGen.dll federation --node-cpus 0 --out /tmp/kizuna-federation.md [options]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dotnet build "$root/src/Kizuna.Server" -c Release --nologo -v quiet -clp:ErrorsOnly
dotnet build "$root/bench/Kizuna.LoadGen" -c Release --nologo -v quiet -clp:ErrorsOnly
exec taskset -c 1 dotnet "$root/bench/Kizuna.LoadGen/bin/Release/net10.0/Kizuna.LoadGen.dll" federation \
  --node-cpus 0 --out "${KIZUNA_FEDERATION_OUT:-/tmp/kizuna-federation.md}" "$@"
