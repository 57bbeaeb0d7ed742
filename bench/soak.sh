#!/usr/bin/env bash
# Issue 18's soak: a node (pinned to $NODE_CPU) under a paced TLS load of $RATE events/s for
# $MINUTES one-minute rows while $CHURN TLS clients join and leave throughout; the generator is
# pinned to $GEN_CPU. Per minute: delivered, p50/p99, node drops, RSS; then the verdict (RSS flat
# after the warm-up minute, p99 spread, drops). The churning clients receive the picture too, so the
# node delivers about $RATE x (10 + $CHURN) copies a second: pick $RATE so that is half the node's
# best paced delivered rate over TLS (bench/overload.sh gives the best paced rate).
# Usage: bench/soak.sh      (env: MINUTES=30 RATE=10000 CHURN=200 NODE_CPU=0 GEN_CPU=1 KIZUNA=path/to/kizuna.dll)
set -euo pipefail
cd "$(dirname "$0")/.."
MINUTES=${MINUTES:-30}; RATE=${RATE:-10000}; CHURN=${CHURN:-200}; NODE_CPU=${NODE_CPU:-0}; GEN_CPU=${GEN_CPU:-1}
dotnet build bench/Kizuna.LoadGen -c Release -nologo -v q >/dev/null
[ -n "${KIZUNA:-}" ] || dotnet build src/Kizuna.Server -c Release -nologo -v q >/dev/null
KIZUNA=$(realpath "${KIZUNA:-src/Kizuna.Server/bin/Release/net10.0/kizuna.dll}")
LG=$(realpath bench/Kizuna.LoadGen/bin/Release/net10.0/Kizuna.LoadGen.dll)
work=$(mktemp -d /tmp/kizuna-soak.XXXXXX)
base=$(( 20000 + RANDOM % 20000 ))
TLS=127.0.0.1:$base; HTTP=127.0.0.1:$((base+1))
server=""
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
dotnet "$KIZUNA" certs client --name loadgen --out "$work/certs" --data-dir "$work/data" >/dev/null
taskset -c "$NODE_CPU" dotnet "$KIZUNA" serve --data-dir "$work/data" --cot-tcp "" --cot-tls "$TLS" --http "$HTTP" --https "" \
  --max-connections-per-address 10000 >"$work/kizuna.log" 2>&1 &
server=$!
for _ in $(seq 600); do grep -q "Node ready" "$work/kizuna.log" && break; sleep 0.1; done
grep -q "Node ready" "$work/kizuna.log" || { echo "node not ready"; tail "$work/kizuna.log"; exit 1; }
echo "node on CPU $NODE_CPU, generator on CPU $GEN_CPU (taskset); $RATE events/s over TLS, $CHURN churning clients, $MINUTES minutes; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
taskset -c "$GEN_CPU" dotnet "$LG" soak --target "$TLS" --minutes "$MINUTES" --rate "$RATE" --churn-clients "$CHURN" --server-pid "$server" \
  --metrics "http://$HTTP/metrics" --cert "$work/certs/client.pem" --key "$work/certs/client.key" --ca "$work/certs/ca.pem"
