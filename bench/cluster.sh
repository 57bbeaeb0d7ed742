#!/usr/bin/env bash
# One instance vs two instances of one node on this machine (scale-out, docs/scale-out.md): a
# throwaway PostgreSQL and NATS (JetStream), the instances pinned to CPU $NODE_CPU (taskset, both
# on the same core, so the second instance's cost is what the bus adds), the generators pinned to
# CPU $GEN_CPU. Rows, each 10 publishers x 10 subscribers of plain TCP CoT paced at $RATE events/s:
#   one   : one instance on PostgreSQL + NATS, all clients on it;
#   two   : two instances, half the publishers and subscribers on each (two generators at once):
#           every subscriber also gets the other instance's events over the bus, so the instances
#           deliver twice the events of `one` for the same offered rate. A generator counts what
#           its subscribers receive, the other instance's events included (a fraction above 1
#           there is the bus's deliveries), and its latency samples mix both paths.
# Only meaningful on a quiet machine (`uptime` load well under the core count).
# Usage: bench/cluster.sh     (env: RATE=2000 DUR=10s WARM=2s NODE_CPU=0 GEN_CPU=1 OUT=/tmp/kizuna-cluster.md)
set -euo pipefail
cd "$(dirname "$0")/.."
RATE=${RATE:-2000}; DUR=${DUR:-10s}; WARM=${WARM:-2s}; NODE_CPU=${NODE_CPU:-0}; GEN_CPU=${GEN_CPU:-1}; OUT=${OUT:-/tmp/kizuna-cluster.md}
dotnet build bench/Kizuna.LoadGen -c Release -nologo -v q >/dev/null
dotnet build src/Kizuna.Server -c Release -nologo -v q >/dev/null
KIZUNA=$(realpath src/Kizuna.Server/bin/Release/net10.0/kizuna.dll)
LG=$(realpath bench/Kizuna.LoadGen/bin/Release/net10.0/Kizuna.LoadGen.dll)
work=$(mktemp -d /tmp/kizuna-cluster.XXXXXX)
base=$(( 20000 + RANDOM % 20000 ))
PG_PORT=$base; NATS_PORT=$((base+1)); A_TCP=127.0.0.1:$((base+2)); B_TCP=127.0.0.1:$((base+3))
pg_bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)"
[[ -n "$pg_bin" ]] && command -v nats-server >/dev/null || { echo "cluster.sh: needs postgresql and nats-server (apt-get install postgresql nats-server)"; exit 1; }
as_pg() { if [[ "$(id -u)" -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }
pids=()
stop_all() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  pids=()
}
NATS_PID=""
# A fresh NATS (its own store) per row: the rows share the node's stream name, and an instance
# reads the stream back StartOverlap at its start, so the second row's instance B would otherwise
# deliver the first row's events to its subscribers (the generators count them: same uids).
start_nats() {
  [[ -n "$NATS_PID" ]] && { kill "$NATS_PID" 2>/dev/null || true; wait "$NATS_PID" 2>/dev/null || true; }
  rm -rf "$work/nats"
  nats-server -js -sd "$work/nats" -a 127.0.0.1 -p "$NATS_PORT" >"$work/nats.log" 2>&1 &
  NATS_PID=$!
  for _ in $(seq 100); do grep -q "Server is ready" "$work/nats.log" && return 0; sleep 0.1; done
  echo "nats-server not ready: $work/nats.log"; exit 1
}
trap 'stop_all; [[ -n "$NATS_PID" ]] && kill "$NATS_PID" 2>/dev/null; [[ -f "$work/pg/postmaster.pid" ]] && as_pg "$pg_bin/pg_ctl" stop -D "$work/pg" -m fast >/dev/null 2>&1; rm -rf "$work/pg" "$work/nats" "$work"/data-*' EXIT

mkdir -p "$work/pg"; [[ "$(id -u)" -eq 0 ]] && chown postgres:postgres "$work/pg" "$work"
as_pg "$pg_bin/initdb" -D "$work/pg" -U kizuna -A trust -E UTF8 --no-locale >/dev/null
as_pg "$pg_bin/pg_ctl" start -D "$work/pg" -w -t 60 -l "$work/pg/server.log" -o "-p $PG_PORT -k $work/pg -c listen_addresses=127.0.0.1" >/dev/null

# instance NAME TCP DB: an instance of node JJOC pinned to NODE_CPU; its pid is appended to pids.
instance() {
  local name=$1 tcp=$2 db=$3
  taskset -c "$NODE_CPU" dotnet "$KIZUNA" serve --data-dir "$work/data-$db-$name" --cot-tcp "$tcp" --cot-tls "" --http "" --https "" \
    --postgres "Host=127.0.0.1;Port=$PG_PORT;Username=kizuna;Database=$db" --nats "nats://127.0.0.1:$NATS_PORT" \
    --max-connections-per-address 100000 >"$work/$db-$name.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 600); do grep -q "Node ready" "$work/$db-$name.log" && return 0; sleep 0.1; done
  echo "not ready: $work/$db-$name.log"; tail "$work/$db-$name.log"; exit 1
}
gen() { taskset -c "$GEN_CPU" dotnet "$LG" run --duration "$DUR" --warmup "$WARM" "$@"; }

echo "instances on CPU $NODE_CPU, generators on CPU $GEN_CPU (taskset); uptime: $(uptime); work in $work"
start_nats
as_pg "$pg_bin/createdb" -h 127.0.0.1 -p "$PG_PORT" -U kizuna one
instance a "$A_TCP" one
gen --target "$A_TCP" --publishers 10 --subscribers 10 --rate "$RATE" --server-pid "${pids[0]}" --result-json "$work/one.json" | tee "$work/one.txt"
stop_all

start_nats
as_pg "$pg_bin/createdb" -h 127.0.0.1 -p "$PG_PORT" -U kizuna two
instance a "$A_TCP" two
mkdir -p -m 700 "$work/data-two-b"; cp -a "$work/data-two-a/certs" "$work/data-two-b/certs"
instance b "$B_TCP" two
gen --target "$A_TCP" --publishers 5 --subscribers 5 --rate $((RATE / 2)) --server-pid "${pids[0]}" --result-json "$work/two-a.json" >"$work/two-a.txt" &
ga=$!
gen --target "$B_TCP" --publishers 5 --subscribers 5 --rate $((RATE / 2)) --server-pid "${pids[1]}" --result-json "$work/two-b.json" >"$work/two-b.txt"
wait "$ga"
cat "$work/two-a.txt" "$work/two-b.txt"
stop_all

python3 - "$work" "$RATE" "$NODE_CPU" "$GEN_CPU" "$OUT" <<'PY'
import json, sys
w, rate, ncpu, gcpu, out = sys.argv[1:]
def j(n): return json.load(open(f"{w}/{n}.json"))
rows = [("one instance, 10x10", [j("one")]), ("two instances, 5x5 on each", [j("two-a"), j("two-b")])]
L = [f"Instances on CPU {ncpu}, generators on CPU {gcpu} (taskset); offered {int(rate):,} events/s in all. A generator's fraction counts against its own publishers, so 2 is exact delivery in `two` (its subscribers get the other instance's half too).", "",
     "| Row | Delivered/s (as the generators count) | Fraction | p50 ms | p99 ms | Server CPU % (each) | CPU µs per delivered event |", "|---|--:|--:|--:|--:|--:|--:|"]
cpu = {}
for name, rs in rows:
    L.append(f"| {name} | {sum(r['DeliveredPerSecond'] for r in rs):,.0f} | {min(r['DeliveredFraction'] for r in rs):.4f} | "
             + " / ".join(f"{r.get('P50Ms') or 0:.2f}" for r in rs) + " | " + " / ".join(f"{r.get('P99Ms') or 0:.2f}" for r in rs)
             + " | " + " / ".join(f"{r.get('ServerCpuPercent') or 0:.0f}" for r in rs)
             + f" | {sum(r.get('ServerCpuPercent') or 0 for r in rs) * 1e4 / max(1, sum(r['DeliveredPerSecond'] for r in rs)):.1f} |")
    cpu[name] = sum(r.get('ServerCpuPercent') or 0 for r in rs)
one, two = cpu[rows[0][0]], cpu[rows[1][0]]
# Every event crosses to exactly one other instance in `two`, for the same deliveries as `one`.
L += ["", f"The bus's cost: {two - one:+.0f} % of a core for {int(rate):,} events/s crossing, "
      f"{(two - one) * 1e4 / int(rate):.1f} µs of CPU per event that crosses (publish, consume and decode, plus a second process's own upkeep; delivery is the same in both rows)."]
open(out, "w").write("\n".join(L) + "\n"); print("\n".join(L)); print(f"(written to {out})")
PY
