# Shared by the benchmark scripts (sourced, after `cd` to the repository root): a work folder for
# servers' logs and data, removed on exit with every process started into `pids` (KEEP=1 keeps the
# folder), and the small helpers every side-by-side run needs.
# shellcheck shell=bash

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [[ -n "${KEEP:-}" ]] || rm -rf "$work"
}
trap cleanup EXIT

die() { echo "$*" >&2; exit 1; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# wait_ping PORT: until a server answers there (30 s)
wait_ping() {
  for _ in $(seq 600); do [[ "$(redis-cli -p "$1" PING 2>/dev/null)" == PONG ]] && return 0; sleep 0.05; done
  die "port $1 never answered PING; logs in $work (KEEP=1 keeps them)"
}
# start_redis NAME PORT: a throwaway redis-server, its log in $work/NAME.log
start_redis() {
  redis-server --port "$2" --bind 127.0.0.1 --save "" --appendonly no --dir "$work" >"$work/$1.log" 2>&1 & pids+=($!)
}
# median: of the numbers on standard input, separated by spaces or lines
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
# require TOOL...: each on PATH (or an executable path), or exit saying what installs it
require() {
  local tool
  for tool; do command -v "$tool" >/dev/null || die "missing $tool: eng/install-deps.sh bench"; done
}
# require_redis_py PYTHON: that interpreter imports redis-py (Debian's python3-redis)
require_redis_py() { "$1" -c 'import redis' 2>/dev/null || die "missing redis-py for $1 (apt-get install python3-redis)"; }
expect() {  # expect WHAT GOT WANTED
  [[ $2 == "$3" ]] || die "$1: got '$2', expected '$3'"
}
# The gateway to run: GATEWAY_DLL names another build (never rebuilt by a script), or this checkout's,
# published as ./run.sh runs it (precompiled: eng/publish-gateway.sh) by build_gateway.
# shellcheck disable=SC2034  # used by the scripts that source this file
gateway_dll=${GATEWAY_DLL:-src/Runtime/bin/Release/published/SharpGears.Runtime.dll}
build_gateway() { [[ -n ${GATEWAY_DLL:-} ]] || eng/publish-gateway.sh; }
