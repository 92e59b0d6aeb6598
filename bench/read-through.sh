#!/usr/bin/env bash
# Read-through latency of a FIRST GET (p50, p99): through the gateway, where a keymiss registration
# linked to GET fetches the key from a second Redis (the source), SETs it in the cache and overrides
# the client's reply, against the application doing the same itself (GET from the cache: miss; GET
# from the source; SET into the cache; use the value). All peers in one run, printed as ratios.
#
#   bench/read-through.sh            5 rounds of N=20000 first GETs per peer (the figures in the README)
#   bench/read-through.sh --quick    3 rounds of N=2000
#
# Servers: one source redis-server holding rt:<i> (32-byte values), and per peer its own empty cache
# redis-server (a gateway's backend; the application's cache). The gateway runs
#   var source = ConnectRedis(<source>);
#   GB().ForEach(r => { var v = (string?)source.Execute("GET", r.Key); Execute("SET", r.Key, v); OverrideReply(v); })
#       .Register(eventTypes: ["keymiss"], commands: ["get"], mode: ExecutionMode.AsyncLocal);
# A third peer, "sg+SE.Redis", is a second gateway whose script fetches with StackExchange.Redis
# (source = ConnectionMultiplexer.Connect(<source>).GetDatabase(); source.StringGet(r.Key)), as the
# classic tutorial does: what a script pays for that client's thread hand-offs. A fourth peer, "app via
# sg", is the application again with its cache commands going through a gateway that has no
# registration (its own cache Redis behind it): the application doing the read-through itself once
# its clients talk to SharpGears. Against the application on Redis directly, the gateway pays one
# more round trip by construction (client -> gateway, then the three the application makes).
# The client, bench/ReadThrough (C#, the same code for every peer), is a minimal synchronous RESP
# client on plain sockets (TCP_NODELAY), one connection per server; it times each logical read with
# Stopwatch and checks the value it got. Each round FLUSHALLs the peer's cache (never the source),
# reads rt:0..N-1 once (all misses), then checks that every key is in the cache with its value. Rounds
# alternate the peers' order (A B, B A, ...) after a warm-up of 2000 reads per peer; the summary gives
# the median over the rounds of each round's p50, p99, p99.9 and mean.
set -euo pipefail
cd "$(dirname "$0")/.."

rounds=5 n=20000 warmup=2000
case ${1:-} in
  "") ;;
  --quick) rounds=3 n=2000 ;;
  *) echo "usage: $0 [--quick]" >&2; exit 2 ;;
esac
client_dll=bench/ReadThrough/bin/Release/net10.0/SharpGears.ReadThroughBench.dll

# shellcheck source=bench/lib.sh
source bench/lib.sh
require redis-server redis-cli dotnet python3

build_gateway
dotnet build bench/ReadThrough -c Release -v quiet -nologo >/dev/null

source_port=$(free_port) app_cache_port=$(free_port)
gw_port=$(free_port) gw_cache_port=$(free_port) se_port=$(free_port) se_cache_port=$(free_port)
appgw_port=$(free_port) appgw_cache_port=$(free_port)
start_redis source "$source_port"
start_redis app-cache "$app_cache_port"
start_redis gateway-cache "$gw_cache_port"
start_redis seredis-gateway-cache "$se_cache_port"
start_redis app-gateway-cache "$appgw_cache_port"
for port in "$source_port" "$app_cache_port" "$gw_cache_port" "$se_cache_port" "$appgw_cache_port"; do wait_ping "$port"; done

# start_gateway NAME PORT BACKEND_PORT [SCRIPT]: a gateway on PORT with SCRIPT registered through RG.CSEXECUTE.
start_gateway() {
  dotnet "$gateway_dll" --port "$2" --backend "redis://127.0.0.1:$3" \
    --data-dir "$work/$1-data" --log-level Warning >"$work/$1.log" 2>&1 & pids+=($!)
  wait_ping "$2"
  [[ -n ${4:-} ]] || return 0
  # The first registration compiles the script with Roslyn: allow it time, but not forever.
  local reply
  reply=$(timeout 60 redis-cli -p "$2" RG.CSEXECUTE "$4" 2>&1) || true
  if [[ $reply != OK ]]; then
    echo "$1: RG.CSEXECUTE replied '${reply:-<nothing>}', expected OK; last lines of its log:" >&2
    tail -n 20 "$work/$1.log" >&2; exit 1
  fi
}
start_gateway gateway "$gw_port" "$gw_cache_port" "var source = ConnectRedis(\"127.0.0.1:$source_port\");
GB().ForEach(r => { var v = (string?)source.Execute(\"GET\", r.Key); Execute(\"SET\", r.Key, v); OverrideReply(v); })
    .Register(eventTypes: [\"keymiss\"], commands: [\"get\"], mode: ExecutionMode.AsyncLocal);"
start_gateway seredis-gateway "$se_port" "$se_cache_port" "var source = ConnectionMultiplexer.Connect(\"127.0.0.1:$source_port\").GetDatabase();
GB().ForEach(r => { string? v = source.StringGet(r.Key); Execute(\"SET\", r.Key, v); OverrideReply(v); })
    .Register(eventTypes: [\"keymiss\"], commands: [\"get\"], mode: ExecutionMode.AsyncLocal);"
start_gateway app-gateway "$appgw_port" "$appgw_cache_port"

dotnet "$client_dll" n="$n" rounds="$rounds" warmup="$warmup" gateway="$gw_port" \
  gateway-cache="$gw_cache_port" app-cache="$app_cache_port" source="$source_port" \
  seredis-gateway="$se_port" seredis-gateway-cache="$se_cache_port" \
  app-gateway="$appgw_port" app-gateway-cache="$appgw_cache_port"
