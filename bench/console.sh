#!/usr/bin/env bash
# Builds the console (web/) and measures its map under thousands of live entities in headless
# Chromium against the mock node (bench/console/frames.mjs prints the table).
# Usage: bench/console.sh [--counts 1000,5000] [--rate 1000] [--tick 20] [--duration 10] [--warmup 3]
set -euo pipefail
cd "$(dirname "$0")/.."
(cd web && { [[ -d node_modules ]] || npm ci --no-audit --no-fund --loglevel=error; } && npm run build --silent)
exec node --experimental-websocket bench/console/frames.mjs "$@"
