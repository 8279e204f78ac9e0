#!/usr/bin/env bash
# Entry point of `npm run bench`: install the Debian peers if missing, then run the driver.
# Flags are passed through to bench/run.ts (see bench/README.md or --help).
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
for cmd in nginx haproxy caddy wrk taskset; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("$cmd")
done
if ((${#missing[@]})); then
  echo "bench: missing ${missing[*]}; installing from Debian" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  # taskset is in util-linux; the Debian packages may start system services, which the harness never uses.
  apt-get install -y nginx haproxy caddy wrk util-linux
fi

# The driver stays off core 0 so that core belongs to the proxy under test.
exec taskset -c 1 node_modules/.bin/bun bench/run.ts "$@"
