#!/usr/bin/env bash
# Keyspace-event throughput of SharpGears against the do-it-yourself pattern (a redis-py subscriber
# doing one HINCRBY per event), both counting the same redis-benchmark SET load, in one run.
#
#   bench/events-vs-redis-py.sh                    N=500000 SETs per peer (a few minutes)
#   bench/events-vs-redis-py.sh --quick            N=50000
#   bench/events-vs-redis-py.sh --only redis-py    one peer only (sharpgears | redis-py); no ratio
#
# Per peer: fresh backend (FLUSHALL, notifications off, so each peer turns them on itself), start the
# consumer, wait until it is subscribed, warm it up (JIT tiering for the gateway; both peers alike),
# then redis-benchmark writes N SETs to k:* straight to the backend while bench/events/drive_load.py
# polls HGET counts set every ~10 ms until it reaches N. events/s = N / (load start -> count == N);
# lag_ms = load end -> count == N; exact = count == N, still after a settle (nothing counted twice);
# load/s = N / redis-benchmark's wall time: when events/s comes close to it, the load is the limit.
# Peers run one after the other, never together, so neither steals the other's core.
# shellcheck disable=SC2317  # functions called through wait_for and the trap look unreachable to it
set -euo pipefail
cd "$(dirname "$0")/.."

requests=500000 warmup=20000 only=""
while (($#)); do
  case $1 in
    --quick) requests=50000 warmup=10000 ;;
    --only) only=${2:-}; shift ;;
    *) echo "usage: $0 [--quick] [--only sharpgears|redis-py]" >&2; exit 2 ;;
  esac
  shift
done
case $only in ""|sharpgears|redis-py) ;; *) echo "--only takes sharpgears or redis-py" >&2; exit 2 ;; esac
peers=(sharpgears redis-py); [[ -z $only ]] || peers=("$only")

# The same load for both peers. redis-benchmark sends whole pipelines, so it rounds N up to a multiple
# of -P (50001 becomes 50016): keep N and the warm-up multiples of 16. The SET count is checked anyway.
pipeline=16
load_opts=(-P "$pipeline" -c 8 -r 1000000)
deadline_s=120
py=/usr/bin/python3   # Debian's python3-redis; the pyenv python3 on PATH has no redis module
# GATEWAY_DLL: run another build of the gateway (never rebuilt by this script); by default this
# checkout's, published as ./run.sh runs it (precompiled: eng/publish-gateway.sh)
gateway_dll=${GATEWAY_DLL:-src/Runtime/bin/Release/published/SharpGears.Runtime.dll}
registration='GB().ForEach(r => Execute("HINCRBY", "counts", r.Event, 1)).Register(prefix: "k:*", eventTypes: ["set"], mode: ExecutionMode.AsyncLocal);'

for tool in redis-server redis-cli redis-benchmark; do
  command -v "$tool" >/dev/null || { echo "missing $tool: sudo apt-get install -y redis-server redis-tools" >&2; exit 1; }
done
"$py" -c 'import redis' 2>/dev/null || { echo "missing redis for $py: sudo apt-get install -y python3-redis" >&2; exit 1; }
((requests % pipeline == 0 && warmup % pipeline == 0)) || { echo "N and warm-up must be multiples of -P $pipeline" >&2; exit 2; }

work=$(mktemp -d)
redis_pid="" gw_pid="" sub_pid=""
cleanup() {
  for pid in $sub_pid $gw_pid $redis_pid; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [[ -n "${KEEP:-}" ]] || rm -rf "$work"
}
trap cleanup EXIT

die() { echo "$*" >&2; exit 1; }
free_port() { "$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
cli() { redis-cli -p "$redis_port" "$@"; }
# stop_pid PID: TERM, then KILL if it is still there after 5 s (a hung consumer must not stall the run)
stop_pid() {
  kill "$1" 2>/dev/null || return 0
  for _ in $(seq 100); do kill -0 "$1" 2>/dev/null || break; sleep 0.05; done
  kill -9 "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}
# wait_for SECONDS PID LOG WHAT COMMAND...: until COMMAND succeeds; fails early if PID (the consumer)
# died. COMMAND may leave what it saw in $seen for the failure message.
seen=""
wait_for() {
  local seconds=$1 pid=$2 log=$3 what=$4; shift 4
  local end=$((SECONDS + seconds))
  until "$@"; do
    if [[ -n $pid ]] && ! kill -0 "$pid" 2>/dev/null; then
      echo "$what: the process exited; last lines of its log (KEEP=1 keeps $log):" >&2; tail -n 20 "$log" >&2; exit 1
    fi
    if ((SECONDS >= end)); then
      echo "$what: not within ${seconds} s${seen:+ ($seen)}; last lines of its log (KEEP=1 keeps $log):" >&2
      tail -n 20 "$log" >&2; exit 1
    fi
    sleep 0.05
  done
}
pings() { [[ "$(redis-cli -p "$1" PING 2>/dev/null)" == PONG ]]; }
numpat_positive() { (($(cli PUBSUB NUMPAT) > 0)); }
# The gateway's own subscription: any pub/sub client on the backend (SUBSCRIBE or PSUBSCRIBE alike),
# and notifications that publish set events (K or E for the channel class, $ or A for string commands).
gateway_subscribed() {
  local flags clients
  flags=$(cli CONFIG GET notify-keyspace-events | sed -n 2p)
  clients=$(cli CLIENT LIST TYPE pubsub | grep -c . || true)
  seen="notify-keyspace-events='$flags', pub/sub clients on the backend: $clients"
  [[ $clients -gt 0 && $flags == *[KE]* && $flags == *[\$A]* ]]
}

redis_port=$(free_port)
redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no --daemonize no --dir "$work" \
  >"$work/redis.log" 2>&1 & redis_pid=$!
wait_for 10 "$redis_pid" "$work/redis.log" "redis-server on port $redis_port" pings "$redis_port"
# A consumer slower than the load falls behind by up to N messages, which Redis queues in its output
# buffer; the default pubsub limit (32mb hard / 8mb for 60 s) would disconnect it mid-run. Lift it, for
# both peers alike, so that slowness shows up as lag rather than as lost events.
cli CONFIG SET client-output-buffer-limit "pubsub 0 0 0" >/dev/null

start_sharpgears() {
  if [[ -z ${GATEWAY_DLL:-} ]]; then
    eng/publish-gateway.sh
  fi
  [[ -f $gateway_dll ]] || die "$gateway_dll does not exist"
  local gw_port reply
  gw_port=$(free_port)
  dotnet "$gateway_dll" --port "$gw_port" --backend "redis://127.0.0.1:$redis_port" \
    --data-dir "$(mktemp -d -p "$work" data.XXXX)" --log-level Warning >"$work/gateway.log" 2>&1 & gw_pid=$!
  wait_for 30 "$gw_pid" "$work/gateway.log" "gateway on port $gw_port (PING)" pings "$gw_port"
  # The first registration compiles the script with Roslyn: allow it time, but not forever.
  reply=$(timeout 60 redis-cli -p "$gw_port" RG.CSEXECUTE "$registration" 2>&1) || true
  if [[ $reply != OK ]]; then
    echo "RG.CSEXECUTE through the gateway replied '${reply:-<nothing: timed out or connection lost>}', expected OK;" \
      "last lines of its log (KEEP=1 keeps $work/gateway.log):" >&2
    tail -n 20 "$work/gateway.log" >&2; exit 1
  fi
  wait_for 10 "$gw_pid" "$work/gateway.log" \
    "gateway subscribed to set events on the backend (notify-keyspace-events and a pub/sub client)" gateway_subscribed
  consumer_pid=$gw_pid
}
start_redis_py() {
  "$py" bench/events/redis_py_subscriber.py "$redis_port" >"$work/subscriber.log" 2>&1 & sub_pid=$!
  wait_for 10 "$sub_pid" "$work/subscriber.log" "redis-py subscriber (PUBSUB NUMPAT > 0)" numpat_positive
  consumer_pid=$sub_pid
}
# drive NAME COUNT: one timed load; prints drive_load.py's line and returns its status
drive() { "$py" bench/events/drive_load.py "$1" "$redis_port" "$2" "$deadline_s" -- \
            redis-benchmark -p "$redis_port" -n "$2" "${load_opts[@]}" SET 'k:__rand_int__' v; }
set_calls() { cli INFO commandstats | tr -d '\r' | sed -n 's/^cmdstat_set:calls=\([0-9]*\),.*/\1/p'; }

printf 'redis-benchmark %s -n %d SET k:__rand_int__ straight to the backend, per peer after a %d-event warm-up\n\n' \
  "${load_opts[*]}" "$requests" "$warmup"
declare -A eps load_eps
failed=0
for peer in "${peers[@]}"; do
  cli FLUSHALL >/dev/null
  cli CONFIG SET notify-keyspace-events "" >/dev/null
  case $peer in sharpgears) start_sharpgears ;; redis-py) start_redis_py ;; esac

  if ! out=$(drive "$peer-warmup" "$warmup"); then
    echo "$out"; echo "$peer: the warm-up failed (line above); skipping this peer" >&2
    failed=1; stop_pid "$consumer_pid"; continue
  fi
  cli DEL counts >/dev/null
  cli CONFIG RESETSTAT >/dev/null
  status=0; out=$(drive "$peer" "$requests") || status=$?
  echo "$out"
  sets=$(set_calls)
  [[ $sets == "$requests" ]] || { echo "$peer: the backend ran $sets SETs, not $requests: the figures above are off" >&2; status=1; }
  if ((status == 0)); then
    eps[$peer]=$(grep -o 'events/s=[0-9]*' <<<"$out" | cut -d= -f2)
    load_eps[$peer]=$(grep -o 'load/s=[0-9]*' <<<"$out" | cut -d= -f2)
  else
    failed=1
  fi
  stop_pid "$consumer_pid"
  if [[ $peer == sharpgears ]]; then gw_pid=""; else sub_pid=""; fi
done

for peer in "${!eps[@]}"; do
  # within 10% of the load's own rate, the consumer was waiting on the load: its figure is a floor
  if awk -v e="${eps[$peer]}" -v l="${load_eps[$peer]}" 'BEGIN {exit !(e >= 0.9 * l)}'; then
    echo "note    $peer's events/s is within 10% of its load/s: the load is the limit, not the consumer"
  fi
done
if [[ -n ${eps[sharpgears]:-} && -n ${eps[redis-py]:-} ]]; then
  printf 'ratio   sharpgears/redis-py events/s = %.1fx   (target >= 5x)\n' \
    "$(echo "${eps[sharpgears]} / ${eps[redis-py]}" | bc -l)"
fi
exit "$failed"
