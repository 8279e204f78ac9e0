#!/usr/bin/env bash
# Entry point of `npm run bench:tail`: the tail-control scenarios (bench/tail/README.md).
# Flags are passed through to bench/tail/run.ts (see --help).
set -euo pipefail
cd "$(dirname "$0")/../.."

missing=()
for cmd in wrk taskset; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("$cmd")
done
if ((${#missing[@]})); then
  echo "bench/tail: missing ${missing[*]}; installing from Debian" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y wrk util-linux
fi

# The driver stays off core 0 so that core belongs to Keel.
exec taskset -c 1 node_modules/.bin/bun bench/tail/run.ts "$@"
