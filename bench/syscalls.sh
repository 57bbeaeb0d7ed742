#!/usr/bin/env bash
# The node's send and receive syscalls per delivered copy, P x S closed loop, against each build named,
# alternating, a fresh node per row (node on CPU 0, generator on CPU 1, taskset). Needs perf with
# tracepoint access (root, or perf_event_paranoid -1). Issue 16's 1x100 loss was found with it.
# Usage: bench/syscalls.sh NAME=DLL[:SERVE ARGS][@ENV=V ...] ...   (env ROUNDS=2 P=1 S=100; DLL absolute or from the repository root)
# e.g. bench/syscalls.sh "main=src/Kizuna.Server/bin/Release/net10.0/kizuna.dll:--max-connections-per-address 1000@DOTNET_TieredCompilation=0"
set -euo pipefail
ROUNDS=${ROUNDS:-2}; P=${P:-1}; S=${S:-100}
cd "$(dirname "$0")/.."
dotnet build bench/Kizuna.LoadGen -c Release -nologo -v q >/dev/null
LG=$(realpath bench/Kizuna.LoadGen/bin/Release/net10.0/Kizuna.LoadGen.dll)
work=$(mktemp -d /tmp/kizuna-syscalls.XXXXXX)
server=""
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
for round in $(seq "$ROUNDS"); do
  for spec in "$@"; do
    envs=""; [[ "$spec" == *@* ]] && envs=${spec#*@}; spec=${spec%%@*}
    name=${spec%%=*}; rest=${spec#*=}; dll=${rest%%:*}; extra=""; [[ "$rest" == *:* ]] && extra=${rest#*:}
    port=$(( 20000 + RANDOM % 20000 ))
    rm -rf "$work/data"
    env $envs taskset -c 0 dotnet "$dll" serve --data-dir "$work/data" --cot-tcp "127.0.0.1:$port" --cot-tls "" --http "127.0.0.1:$((port+1))" --https "" $extra >"$work/node.log" 2>&1 &
    server=$!
    for _ in $(seq 600); do grep -q "Node ready" "$work/node.log" && break; sleep 0.1; done
    (sleep 4; perf stat -x, -e 'syscalls:sys_enter_sendmsg,syscalls:sys_enter_sendto,syscalls:sys_enter_recvmsg,syscalls:sys_enter_recvfrom,syscalls:sys_enter_sched_yield,context-switches' -p $server -o $work/stat -- sleep 5 >/dev/null 2>&1) &
    line=$(taskset -c 1 dotnet "$LG" run --target "127.0.0.1:$port" --publishers $P --subscribers $S --duration 8s --warmup 2s --server-pid "$server" | grep "pub x")
    wait %2 2>/dev/null || true
    holds=$(curl -s "http://127.0.0.1:$((port+1))/metrics" | grep -E "^kizuna_admission_holds_total" | awk '{print $2}' || true)
    deliv=$(grep -o ', delivered [0-9]*' <<<"$line" | awk '{print $3}'); cpu=$(grep -o 'server CPU [0-9]*' <<<"$line" | awk '{print $3}')
    sends=$(awk -F, '/sendmsg|sendto/{s+=$1} END{print s}' $work/stat); recvs=$(awk -F, '/recvmsg|recvfrom/{s+=$1} END{print s}' $work/stat)
    yields=$(awk -F, '/sched_yield/{print $1}' $work/stat); cs=$(awk -F, '/context-switches/{print $1}' $work/stat)
    echo "round $round $name load $(cut -d' ' -f1 /proc/loadavg) holds ${holds:-?} delivered $deliv cpu $cpu per-cpu $((deliv / (cpu>0?cpu:1))) sends/5s $sends copies/send $(( deliv * 5 / (sends>0?sends:1) )) recvs/5s $recvs yields $yields cs $cs"
    kill "$server"; wait "$server" 2>/dev/null || true; server=""
  done
done
