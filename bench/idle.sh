#!/usr/bin/env bash
# Issue 18's idle target: N client-certificate TLS connections held open on a fresh node, and the
# node's resident memory (VmRSS) before and after. The node is pinned to $NODE_CPU, the generator to
# $GEN_CPU (taskset); both get a file-descriptor limit above N.
# Usage: bench/idle.sh        (env: CLIENTS=10000 HOLD=10s NODE_CPU=0 GEN_CPU=1 KIZUNA=path/to/kizuna.dll)
set -euo pipefail
cd "$(dirname "$0")/.."
CLIENTS=${CLIENTS:-10000}; HOLD=${HOLD:-10s}; NODE_CPU=${NODE_CPU:-0}; GEN_CPU=${GEN_CPU:-1}
dotnet build bench/Kizuna.LoadGen -c Release -nologo -v q >/dev/null
[ -n "${KIZUNA:-}" ] || dotnet build src/Kizuna.Server -c Release -nologo -v q >/dev/null
KIZUNA=$(realpath "${KIZUNA:-src/Kizuna.Server/bin/Release/net10.0/kizuna.dll}")
LG=$(realpath bench/Kizuna.LoadGen/bin/Release/net10.0/Kizuna.LoadGen.dll)
# Each process holds one descriptor per client (the node its sockets, the generator its own).
ulimit -n "$(ulimit -Hn)"; [ "$(ulimit -n)" = unlimited ] || [ "$(ulimit -n)" -gt $(( CLIENTS + 512 )) ] || { echo "the descriptor limit $(ulimit -n) is too low for $CLIENTS clients"; exit 1; }
work=$(mktemp -d /tmp/kizuna-idle.XXXXXX)
base=$(( 20000 + RANDOM % 20000 ))
TLS=127.0.0.1:$base; HTTP=127.0.0.1:$((base+1))
server=""
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
dotnet "$KIZUNA" certs client --name loadgen --out "$work/certs" --data-dir "$work/data" >/dev/null
taskset -c "$NODE_CPU" dotnet "$KIZUNA" serve --data-dir "$work/data" --cot-tcp "" --cot-tls "$TLS" --http "$HTTP" --https "" \
  --max-connections-per-address $(( CLIENTS + 100 )) >"$work/kizuna.log" 2>&1 &
server=$!
for _ in $(seq 600); do grep -q "Node ready" "$work/kizuna.log" && break; sleep 0.1; done
grep -q "Node ready" "$work/kizuna.log" || { echo "node not ready"; tail "$work/kizuna.log"; exit 1; }
echo "node on CPU $NODE_CPU, generator on CPU $GEN_CPU (taskset); load average: $(cut -d' ' -f1-3 /proc/loadavg)"
taskset -c "$GEN_CPU" dotnet "$LG" idle-tls --target "$TLS" --clients "$CLIENTS" --hold "$HOLD" --server-pid "$server" \
  --cert "$work/certs/client.pem" --key "$work/certs/client.key" --ca "$work/certs/ca.pem"
echo "node threads: $(ls /proc/$server/task | wc -l); load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
