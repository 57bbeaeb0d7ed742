#!/usr/bin/env bash
# One Kizuna node as two instances on this machine, the way an operator runs it on several:
# a PostgreSQL server (the system of record), a NATS server with JetStream (the bus between the
# instances), and two `kizuna serve` processes with --postgres and --nats that share the node's
# certificate authority. See docs/scale-out.md.
#
#   deploy/cluster.sh [DIR]      start everything under DIR (default ./cluster), wait; Ctrl-C stops all
#
# Ports (loopback): PostgreSQL 55432, NATS 4222, instance A CoT TLS 8089 / HTTPS 8443 / HTTP 8080,
# instance B CoT TLS 9089 / HTTPS 9443 / HTTP 9080. Override with PG_PORT, NATS_PORT, A_BASE, B_BASE.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="$(realpath -m "${1:-./cluster}")"
pg_port="${PG_PORT:-55432}"
nats_port="${NATS_PORT:-4222}"
a_base="${A_BASE:-8000}"
b_base="${B_BASE:-9000}"

sudo_if_needed() { if [[ "$(id -u)" -eq 0 ]]; then "$@"; else sudo "$@"; fi; }
pg_bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)"
if [[ -z "$pg_bin" ]] || ! command -v nats-server >/dev/null; then
  echo "cluster.sh: installing postgresql and nats-server (Debian)..." >&2
  sudo_if_needed apt-get update -qq
  sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql nats-server
  pg_bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
fi

# PostgreSQL refuses to run as root: as root, its programs run as the postgres user.
as_pg() { if [[ "$(id -u)" -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }

mkdir -p "$dir"
pids=()
stop() {
  trap - EXIT INT TERM
  echo "cluster.sh: stopping" >&2
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  [[ -f "$dir/pg/postmaster.pid" ]] && as_pg "$pg_bin/pg_ctl" stop -D "$dir/pg" -m fast >/dev/null 2>&1 || true
}
trap stop EXIT INT TERM

# 1. PostgreSQL: its own data directory, the loopback only, a database for the node.
if [[ ! -f "$dir/pg/PG_VERSION" ]]; then
  mkdir -p "$dir/pg"
  [[ "$(id -u)" -eq 0 ]] && chown postgres:postgres "$dir/pg"
  as_pg "$pg_bin/initdb" -D "$dir/pg" -U kizuna -A trust -E UTF8 --no-locale >/dev/null
fi
as_pg "$pg_bin/pg_ctl" start -D "$dir/pg" -w -t 60 -l "$dir/pg/server.log" \
  -o "-p $pg_port -k $dir/pg -c listen_addresses=127.0.0.1" >/dev/null
as_pg "$pg_bin/psql" -h 127.0.0.1 -p "$pg_port" -U kizuna -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'kizuna'" | grep -q 1 \
  || as_pg "$pg_bin/createdb" -h 127.0.0.1 -p "$pg_port" -U kizuna kizuna
postgres="Host=127.0.0.1;Port=$pg_port;Username=kizuna;Database=kizuna"

# 2. NATS with JetStream, its store under DIR.
nats-server -js -sd "$dir/nats" -a 127.0.0.1 -p "$nats_port" >"$dir/nats.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do grep -q "Server is ready" "$dir/nats.log" && break; sleep 0.1; done
grep -q "Server is ready" "$dir/nats.log" || { echo "cluster.sh: nats-server did not start; see $dir/nats.log" >&2; exit 1; }

# 3. Two instances. The first creates the node's certificate authority; the second gets a copy
#    (on several machines: copy DIR/a/certs to each instance's data directory).
instance() { # NAME BASE
  local name="$1" base="$2"
  "$root/kizuna" serve --data-dir "$dir/$name" --postgres "$postgres" --nats "nats://127.0.0.1:$nats_port" \
    --cot-tls "127.0.0.1:$((base + 89))" --https "127.0.0.1:$((base + 443))" --http "127.0.0.1:$((base + 80))" \
    >"$dir/$name.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 600); do curl -fsS "http://127.0.0.1:$((base + 80))/healthz" >/dev/null 2>&1 && return 0; sleep 0.2; done
  echo "cluster.sh: instance $name did not answer /healthz; see $dir/$name.log" >&2; exit 1
}
instance a "$a_base"
if [[ ! -d "$dir/b/certs" ]]; then
  mkdir -p -m 700 "$dir/b"; cp -a "$dir/a/certs" "$dir/b/certs"
fi
instance b "$b_base"

echo "cluster.sh: node up under $dir"
echo "  PostgreSQL  $postgres"
echo "  NATS        nats://127.0.0.1:$nats_port"
echo "  instance a  CoT TLS 127.0.0.1:$((a_base + 89))  http://127.0.0.1:$((a_base + 80))/healthz"
echo "  instance b  CoT TLS 127.0.0.1:$((b_base + 89))  http://127.0.0.1:$((b_base + 80))/healthz"
echo "  client certificates: ./kizuna certs client --data-dir $dir/a ... (valid on both instances)"
echo "Ctrl-C stops everything."
wait -n "${pids[@]}" || true
