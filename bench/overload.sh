#!/usr/bin/env bash
# Issue 18's table in one run: the raw relay (plain and TLS) and a Kizuna node, each pinned to
# one core (taskset -c $NODE_CPU), the load generator pinned to the other (taskset -c $GEN_CPU).
# Rows: relay 10×10 and 1×100 flooding (open loop); node paced at $RATES (10×10) to find its best
# paced rate, 10×10 and 1×100 flooding, 10×10 paced at half the best, mixed (one flooder among
# $CALM calm clients at one position a second), TLS relay and node 10×10 flooding; then missile
# warnings while the picture floods (the warning bench's --flood, node pinned the same way).
# Usage: bench/overload.sh        (env: DUR=10s WARM=2s RATES="10000 20000 30000" NODE_CPU=0 GEN_CPU=1
#                                  BATCH=8 CALM=99 WARN_DUR=20s OUT=/tmp/kizuna-overload.md KIZUNA=path/to/kizuna.dll)
set -euo pipefail
cd "$(dirname "$0")/.."
DUR=${DUR:-10s}; WARM=${WARM:-2s}; RATES=${RATES:-"10000 20000 30000"}; NODE_CPU=${NODE_CPU:-0}; GEN_CPU=${GEN_CPU:-1}
BATCH=${BATCH:-8}; CALM=${CALM:-99}; WARN_DUR=${WARN_DUR:-20s}; OUT=${OUT:-/tmp/kizuna-overload.md}
dotnet build bench/Kizuna.LoadGen -c Release -nologo -v q >/dev/null
[ -n "${KIZUNA:-}" ] || dotnet build src/Kizuna.Server -c Release -nologo -v q >/dev/null
KIZUNA=$(realpath "${KIZUNA:-src/Kizuna.Server/bin/Release/net10.0/kizuna.dll}")
LG=$(realpath bench/Kizuna.LoadGen/bin/Release/net10.0/Kizuna.LoadGen.dll)
work=$(mktemp -d /tmp/kizuna-overload.XXXXXX)
base=$(( 20000 + RANDOM % 20000 ))
RELAY=127.0.0.1:$base; TLSRELAY=127.0.0.1:$((base+1)); TCP=127.0.0.1:$((base+2)); TLS=127.0.0.1:$((base+3)); HTTP=127.0.0.1:$((base+4))
server=""
stop() { if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; server=""; fi; }
trap 'stop; rm -rf "$work/data" "$work/data2"' EXIT
# start LOG READY-LINE COMMAND...: the server pinned to NODE_CPU, ready when its log says so.
start() {
  local log=$1 ready=$2; shift 2
  taskset -c "$NODE_CPU" "$@" >"$log" 2>&1 &
  server=$!
  for _ in $(seq 600); do grep -q "$ready" "$log" && return 0; sleep 0.1; done
  echo "not ready: $log"; tail "$log"; exit 1
}
gen() { taskset -c "$GEN_CPU" dotnet "$LG" "$@"; }
row() { # row NAME run-args...: one load run, its result kept as $work/NAME.json
  local name=$1; shift
  echo "== $name" | tee -a "$work/rows.log"
  gen run --duration "$DUR" --warmup "$WARM" --server-pid "$server" --result-json "$work/$name.json" "$@" | tee -a "$work/rows.log"
}
mix() { local name=$1; shift; echo "== $name" | tee -a "$work/rows.log"; gen mixed --server-pid "$server" "$@" | tee -a "$work/rows.log" | tee "$work/$name.txt"; }

echo "node/relay on CPU $NODE_CPU, generator on CPU $GEN_CPU (taskset); work in $work"
# The TLS rows run on a node of their own (data2): on the first node the plain-TCP rows' anonymous
# senders own the generator's uids, and a TLS identity may not update them.
dotnet "$KIZUNA" certs client --name loadgen --out "$work/certs" --data-dir "$work/data2" >/dev/null
C=(--cert "$work/certs/client.pem" --key "$work/certs/client.key" --ca "$work/certs/ca.pem")

start "$work/relay.log" "Relay ready" dotnet "$LG" relay --listen "$RELAY" --stats-interval 0
row relay-10x10-flood --target "$RELAY" --publishers 10 --subscribers 10 --flood --batch "$BATCH"
row relay-1x100-flood --target "$RELAY" --publishers 1 --subscribers 100 --flood --batch "$BATCH"
stop
start "$work/tlsrelay.log" "Relay ready" dotnet "$LG" relay --listen "$TLSRELAY" --stats-interval 0 --tls "${C[@]}"
row tlsrelay-10x10-flood --target "$TLSRELAY" --publishers 10 --subscribers 10 --flood --batch "$BATCH" --tls "${C[@]}"
stop

start "$work/kizuna.log" "Node ready" dotnet "$KIZUNA" serve --data-dir "$work/data" --cot-tcp "$TCP" --cot-tls "$TLS" --http "$HTTP" --https "" --max-connections-per-address 100000
M=(--metrics "http://$HTTP/metrics")
for r in $RATES; do row "kizuna-10x10-paced-$r" --target "$TCP" --publishers 10 --subscribers 10 --rate "$r" "${M[@]}"; done
row kizuna-10x10-flood --target "$TCP" --publishers 10 --subscribers 10 --flood --batch "$BATCH" "${M[@]}"
row kizuna-1x100-flood --target "$TCP" --publishers 1 --subscribers 100 --flood --batch "$BATCH" "${M[@]}"
best=$(python3 - "$work" $RATES <<'PY'
import json, sys
w = sys.argv[1]
rows = [json.load(open(f"{w}/kizuna-10x10-paced-{r}.json")) for r in sys.argv[2:]]
ok = [r["DeliveredPerSecond"] for r in rows if r["DeliveredFraction"] >= 0.999] or [max(r["DeliveredPerSecond"] for r in rows)]
print(int(max(ok)))
PY
)
half=$(( best / 10 / 2 ))
row kizuna-10x10-paced-half --target "$TCP" --publishers 10 --subscribers 10 --rate "$half" "${M[@]}"
mix kizuna-mixed --target "$TCP" --clients "$CALM" --batch "$BATCH" --duration "$DUR" --warmup "$WARM" "${M[@]}"
stop
start "$work/kizuna-tls.log" "Node ready" dotnet "$KIZUNA" serve --data-dir "$work/data2" --cot-tcp "" --cot-tls "$TLS" --http "$HTTP" --https "" --max-connections-per-address 100000
row kizuna-tls-10x10-flood --target "$TLS" --publishers 10 --subscribers 10 --flood --batch "$BATCH" --tls "${C[@]}" "${M[@]}"
stop

echo "== warning under a flood" | tee -a "$work/rows.log"
taskset -c "$GEN_CPU" dotnet "$LG" warning --kizuna "$KIZUNA" --flood --node-cpus "$NODE_CPU" --duration "$WARN_DUR" --out "$work/warning.md" | tail -5 | tee -a "$work/rows.log"

python3 - "$work" "$best" "$half" "$NODE_CPU" "$GEN_CPU" "$OUT" <<'PY'
import json, sys, os, re
w, best, half, ncpu, gcpu, out = sys.argv[1:]
def j(n):
    p = f"{w}/{n}.json"
    return json.load(open(p)) if os.path.exists(p) else None
def d(n):
    r = j(n); return r["DeliveredPerSecond"] if r else 0
L = [f"Node (or relay) on CPU {ncpu}, generator on CPU {gcpu} (taskset). Best paced 10×10 delivered/s: {int(best):,}; half-rate row offered {int(half)*10:,}/s.", "",
     "| Row | Offered/s | Accepted/s | Delivered/s | Fraction | Dropped/s (node) | p50 ms | p99 ms | Server CPU % | Threads |", "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|"]
for n in ["relay-10x10-flood","relay-1x100-flood","tlsrelay-10x10-flood"] + sorted(f[:-5] for f in os.listdir(w) if f.startswith("kizuna-10x10-paced-") and f.endswith(".json") and "half" not in f) + ["kizuna-10x10-flood","kizuna-1x100-flood","kizuna-10x10-paced-half","kizuna-tls-10x10-flood"]:
    r = j(n)
    if not r: L.append(f"| {n} | missing |"); continue
    f = lambda k, fmt="{:,.0f}": "" if r.get(k) is None else fmt.format(r[k])
    L.append(f"| {n} | {f('OfferedPerSecond')} | {f('AcceptedPerSecond')} | {f('DeliveredPerSecond')} | {f('DeliveredFraction','{:.3f}')} | {f('NodeDroppedPerSecond')} | {f('P50Ms','{:.2f}')} | {f('P99Ms','{:.2f}')} | {f('ServerCpuPercent')} | {f('ServerThreads')} |")
L += ["", "Against the targets:",
      f"- 10×10 flood vs best paced: {d('kizuna-10x10-flood')/max(1,float(best)):.2f}× (target ≥ 0.90); vs relay flood: {d('kizuna-10x10-flood')/max(1,d('relay-10x10-flood')):.2f}× (target ≥ 0.5)",
      f"- 1×100 flood vs relay: {d('kizuna-1x100-flood')/max(1,d('relay-1x100-flood')):.2f}× (target ≥ 0.9)",
      f"- TLS 10×10 flood vs TLS relay: {d('kizuna-tls-10x10-flood')/max(1,d('tlsrelay-10x10-flood')):.2f}× (target ≥ 0.5)",
      f"- p99 at half the best paced rate: {(j('kizuna-10x10-paced-half') or {}).get('P99Ms',0):.2f} ms (target ≤ 5)"]
if os.path.exists(f"{w}/kizuna-mixed.txt"): L.append("- " + open(f"{w}/kizuna-mixed.txt").read().strip() + " (target: all calm events, p99 ≤ 10 ms)")
if os.path.exists(f"{w}/warning.md"):
    t = [l for l in open(f"{w}/warning.md") if l.startswith("Target:")]
    L.append("- warnings under the flood: " + (t[0].strip() if t else "see warning.md") + " (issue 18's target: p99 ≤ 10 ms)")
open(out, "w").write("\n".join(L) + "\n"); print("\n".join(L)); print(f"\nwritten to {out}; rows in {w}/rows.log")
PY
