#!/usr/bin/env bash
# Issue 18's crash target: kill -9 of the node during flat-out ingest. The node (pinned to
# $NODE_CPU) takes a flood from P publishers while S subscribers record every event they receive
# (the generator, pinned to $GEN_CPU); after $KILL_AFTER the node gets SIGKILL, is started again on
# the same data directory, and the history (events table, read by sqlite3 here, not by Kizuna's
# code) is searched for every event a subscriber received. What is missing must be the newest few
# of each publisher (the write batch in flight); the script prints how many and how long a window.
# Usage: bench/crash.sh     (env: KILL_AFTER=8 PUBS=10 SUBS=10 NODE_CPU=0 GEN_CPU=1 KIZUNA=path/to/kizuna.dll)
set -euo pipefail
cd "$(dirname "$0")/.."
KILL_AFTER=${KILL_AFTER:-8}; PUBS=${PUBS:-10}; SUBS=${SUBS:-10}; NODE_CPU=${NODE_CPU:-0}; GEN_CPU=${GEN_CPU:-1}
dotnet build bench/Kizuna.LoadGen -c Release -nologo -v q >/dev/null
[ -n "${KIZUNA:-}" ] || dotnet build src/Kizuna.Server -c Release -nologo -v q >/dev/null
KIZUNA=$(realpath "${KIZUNA:-src/Kizuna.Server/bin/Release/net10.0/kizuna.dll}")
LG=$(realpath bench/Kizuna.LoadGen/bin/Release/net10.0/Kizuna.LoadGen.dll)
work=$(mktemp -d /tmp/kizuna-crash.XXXXXX)
base=$(( 20000 + RANDOM % 20000 ))
TCP=127.0.0.1:$base; HTTP=127.0.0.1:$((base+1))
server=""; gen=""
trap '[ -n "$server" ] && kill -9 "$server" 2>/dev/null; [ -n "$gen" ] && kill "$gen" 2>/dev/null; wait 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
start() { # start LOG: the node on the work's data directory, ready when its log says so
  taskset -c "$NODE_CPU" dotnet "$KIZUNA" serve --data-dir "$work/data" --cot-tcp "$TCP" --cot-tls "" --http "$HTTP" --https "" \
    --max-connections-per-address 1000 >"$1" 2>&1 &
  server=$!
  for _ in $(seq 600); do grep -q "Node ready" "$1" && return 0; sleep 0.1; done
  echo "node not ready: $1"; tail "$1"; exit 1
}
echo "node on CPU $NODE_CPU, generator on CPU $GEN_CPU (taskset); load average: $(cut -d' ' -f1-3 /proc/loadavg)"
start "$work/kizuna.log"
taskset -c "$GEN_CPU" dotnet "$LG" crash --target "$TCP" --publishers "$PUBS" --subscribers "$SUBS" --out "$work/received.txt" >"$work/gen.log" 2>&1 &
gen=$!
for _ in $(seq 300); do grep -q "Flooding" "$work/gen.log" && break; sleep 0.1; done
sleep "$KILL_AFTER"
kill -9 "$server"; wait "$server" 2>/dev/null || true; server=""
echo "SIGKILL after ${KILL_AFTER}s of flood"
wait "$gen"; gen=""
cat "$work/gen.log"
start "$work/kizuna-restart.log"
echo "restarted: $(grep -c . "$work/kizuna-restart.log") log lines, $(grep -ci 'error\|fail' "$work/kizuna-restart.log" || true) with error/fail"
kill "$server"; wait "$server" 2>/dev/null || true; server=""
python3 - "$work/data" "$work/received.txt" <<'PY'
import os, re, sqlite3, sys
data, received_path = sys.argv[1], sys.argv[2]
db = os.path.join(data, 'kizuna.db')
con = sqlite3.connect(f'file:{db}?mode=ro', uri=True)
marker = re.compile(r'<loadgen [^>]*\bp="(\d+)" s="(\d+)"')
stored = set()
for (xml,) in con.execute("SELECT xml FROM events WHERE uid LIKE 'loadgen-pub-%'"):
    m = marker.search(xml)
    if m: stored.add((int(m.group(1)), int(m.group(2))))
received, sent_at = set(), {}
for line in open(received_path):
    if line.startswith('#'): continue
    p, s, t = map(int, line.split()); received.add((p, s)); sent_at[(p, s)] = t
missing = received - stored
newest = max(sent_at.values()) if sent_at else 0
by_pub = {}
for p, s in missing: by_pub.setdefault(p, []).append(s)
# Missing events must be each publisher's newest: none older than an event the history holds.
newest_stored = {}
for p, s in stored: newest_stored[p] = max(newest_stored.get(p, -1), s)
out_of_order = [(p, s) for p, s in missing if s < newest_stored.get(p, -1)]
window_ms = (newest - min(sent_at[k] for k in missing)) / 1000 if missing else 0
print(f"history ({os.path.basename(db)}): {len(stored)} load events stored; subscribers received {len(received)}; "
      f"received but not stored: {len(missing)} ({', '.join(f'p{p}: {len(v)}' for p, v in sorted(by_pub.items())) or 'none'}); "
      f"of those older than a stored event of the same publisher: {len(out_of_order)}; "
      f"window: the missing were sent in the last {window_ms:.0f} ms before the newest received")
sys.exit(1 if out_of_order else 0)
PY
