#!/usr/bin/env bash
# The project's one test command. It installs whatever the tests need when it is missing
# (Debian packages, the npm packages of the interop tests, NuGet restore), then runs every
# test in the solution. Extra arguments go to `dotnet test` (e.g. --filter).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

sudo_if_needed() { if [[ "$(id -u)" -eq 0 ]]; then "$@"; else sudo "$@"; fi; }

# Debian packages the tests use: node and npm (interop tests, and building the console in web/),
# xmllint, and Chromium with CJK fonts for the browser tests (Playwright drives Debian's chromium
# by its path; without fonts-noto-cjk Japanese and Korean render as empty boxes), and the engines of
# scale-out, PostgreSQL and NATS (JetStream): the tests start throwaway servers of their own from
# these binaries (tests/Kizuna.Storage.Tests/Engines/ThrowawayEngines.cs), never a system service.
apt_packages=(nodejs npm libxml2-utils chromium fonts-noto-cjk postgresql nats-server)
missing=()
for pkg in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
# A node/npm that did not come from Debian (e.g. preinstalled) is fine too.
if command -v node >/dev/null && command -v npm >/dev/null; then
  missing=("${missing[@]/nodejs}"); missing=("${missing[@]/npm}")
fi
# xmllint (libxml2-utils) validates CAP alerts against the OASIS schema; one already on PATH is fine.
if command -v xmllint >/dev/null; then missing=("${missing[@]/libxml2-utils}"); fi
# A Chromium named by KIZUNA_CHROMIUM is fine too.
if [[ -n "${KIZUNA_CHROMIUM:-}" && -x "${KIZUNA_CHROMIUM}" ]]; then missing=("${missing[@]/chromium}"); fi
# A PostgreSQL or nats-server named by KIZUNA_PG_BIN / KIZUNA_NATS_SERVER is fine too.
if [[ -n "${KIZUNA_PG_BIN:-}" && -x "${KIZUNA_PG_BIN}/initdb" ]]; then missing=("${missing[@]/postgresql}"); fi
if [[ -n "${KIZUNA_NATS_SERVER:-}" && -x "${KIZUNA_NATS_SERVER}" ]]; then missing=("${missing[@]/nats-server}"); fi
read -r -a missing <<<"${missing[*]:-}"
if ((${#missing[@]})); then
  echo "test.sh: installing Debian packages: ${missing[*]}"
  sudo_if_needed apt-get update -qq
  sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi

# npm packages of the interop tests (real TAK client libraries), from the lock file.
if [[ -f tests/interop/package-lock.json ]]; then
  if [[ ! -f tests/interop/node_modules/.package-lock.json ]] \
     || [[ tests/interop/package-lock.json -nt tests/interop/node_modules/.package-lock.json ]]; then
    echo "test.sh: npm ci in tests/interop"
    (cd tests/interop && npm ci --no-audit --no-fund --loglevel=error)
  fi
fi

# Style is part of the build (as in Garnet's CI): formatting drift fails the run.
dotnet format Kizuna.slnx --verify-no-changes

dotnet test Kizuna.slnx -c Release --nologo "$@"

# The console's own unit tests (the pure parts of web/: symbol codes, banners, replay, dictionaries);
# web/node_modules is there by now: building the server ran npm ci in web/.
(cd web && npm test --silent)
