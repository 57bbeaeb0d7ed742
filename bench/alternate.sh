#!/usr/bin/env bash
# The same load against two builds of the node, alternating, each on a fresh data directory:
# issue 16's "no loss against the commit before". The node is pinned to $NODE_CPU, the generator
# (this tree's LoadGen) to $GEN_CPU. Rows: 10x10 and 1x100 closed loop (window), $ROUNDS rounds.
# Usage: bench/alternate.sh OLD.dll NEW.dll   (env: ROUNDS=3 DUR=8s WARM=2s NODE_CPU=0 GEN_CPU=1
#        OLD_ARGS / NEW_ARGS: extra serve flags a build needs, e.g. NEW_ARGS="--max-connections-per-address 1000")
set -euo pipefail
cd "$(dirname "$0")/.."
OLD=$(realpath "$1"); NEW=$(realpath "$2")
ROUNDS=${ROUNDS:-3}; DUR=${DUR:-8s}; WARM=${WARM:-2s}; NODE_CPU=${NODE_CPU:-0}; GEN_CPU=${GEN_CPU:-1}
dotnet build bench/Kizuna.LoadGen -c Release -nologo -v q >/dev/null
LG=$(realpath bench/Kizuna.LoadGen/bin/Release/net10.0/Kizuna.LoadGen.dll)
work=$(mktemp -d /tmp/kizuna-alternate.XXXXXX)
server=""
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
echo "node on CPU $NODE_CPU, generator on CPU $GEN_CPU (taskset); old $OLD, new $NEW; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
for round in $(seq "$ROUNDS"); do
  for which in old new; do
    dll=$OLD; extra=${OLD_ARGS:-}; [ "$which" = new ] && { dll=$NEW; extra=${NEW_ARGS:-}; }
    port=$(( 20000 + RANDOM % 20000 ))
    rm -rf "$work/data"
    # shellcheck disable=SC2086
    taskset -c "$NODE_CPU" dotnet "$dll" serve --data-dir "$work/data" --cot-tcp "127.0.0.1:$port" --cot-tls "" --http "127.0.0.1:$((port+1))" --https "" $extra >"$work/node.log" 2>&1 &
    server=$!
    for _ in $(seq 600); do grep -q "Node ready" "$work/node.log" && break; sleep 0.1; done
    grep -q "Node ready" "$work/node.log" || { echo "$which not ready"; tail "$work/node.log"; exit 1; }
    for shape in "10 10" "1 100"; do
      set -- $shape
      line=$(taskset -c "$GEN_CPU" dotnet "$LG" run --target "127.0.0.1:$port" --publishers "$1" --subscribers "$2" --duration "$DUR" --warmup "$WARM" --server-pid "$server" | grep "pub x")
      echo "round $round $which ${1}x${2}: $line"
    done
    kill "$server"; wait "$server" 2>/dev/null || true; server=""
  done
done
