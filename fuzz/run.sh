#!/usr/bin/env bash
# Fuzzes one of the two stream parsers with afl-fuzz through SharpFuzz (fuzz/README.md).
#   fuzz/run.sh xml|tak [seconds]     (default 300 seconds)
# Needs Debian's afl++ (apt-get install -y afl++); the SharpFuzz instrumenter is installed here as a
# dotnet tool into fuzz/.tools. Findings land in fuzz/findings/<target>/default/{crashes,hangs}/.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

target="${1:-}"
seconds="${2:-300}"
if [[ "$target" != "xml" && "$target" != "tak" ]]; then
  echo "usage: fuzz/run.sh xml|tak [seconds]" >&2
  exit 2
fi
command -v afl-fuzz >/dev/null || { echo "afl-fuzz not found: apt-get install -y afl++" >&2; exit 1; }

tools="$PWD/.tools"
if [[ ! -x "$tools/sharpfuzz" ]]; then
  dotnet tool install --tool-path "$tools" SharpFuzz.CommandLine --version 2.3.0
fi

out="$PWD/out/$target"
rm -rf "$out"
dotnet publish Kizuna.Fuzz/Kizuna.Fuzz.csproj -c Release -o "$out/bin" --nologo -v quiet
# Seeds first: an instrumented assembly runs only under afl-fuzz.
dotnet "$out/bin/Kizuna.Fuzz.dll" seeds "$out/seeds"
# Instrument only the code under test, not the harness or the runtime.
"$tools/sharpfuzz" "$out/bin/Kizuna.Cot.dll"

export AFL_SKIP_BIN_CHECK=1                      # the target is dotnet, instrumented by SharpFuzz, not afl-gcc
export AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_NO_AFFINITY=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1
export AFL_AUTORESUME=1
export DOTNET_TieredPGO=0
findings="$PWD/findings/$target"
mkdir -p "$findings"
# The machine is shared: lowest priority. -t: ms per input (the runtime's start is paid once, by the
# fork server); -m none: the .NET runtime reserves more address space than afl's default allows.
nice -n 19 afl-fuzz -V "$seconds" -i "$out/seeds/$target" -o "$findings" -t 5000 -m none \
  -- dotnet "$out/bin/Kizuna.Fuzz.dll" "$target" || true

echo
for kind in crashes hangs; do
  n=$(find "$findings/default/$kind" -type f -name 'id:*' 2>/dev/null | wc -l)
  echo "$target: $n $kind in $findings/default/$kind"
done
echo "Replay one: dotnet $out/bin/Kizuna.Fuzz.dll $target FILE"
