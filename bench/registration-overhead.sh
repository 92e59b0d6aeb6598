#!/usr/bin/env bash
# What installed registrations cost the commands they do not act on: redis-benchmark GET and SET
# through three gateways in one run, printed as ratios to the gateway with nothing installed:
#   none     no registration;
#   keymiss  the read-through registration (keymiss, linked to GET) of bench/read-through.sh:
#              GB().ForEach(r => { string? v = source.StringGet(r.Key); Execute("SET", r.Key, v); OverrideReply(v); })
#                  .Register(eventTypes: ["keymiss"], commands: ["get"], mode: ExecutionMode.AsyncLocal);
#            every GET is a hit, so it never fires, but each GET's reply is looked at;
#   hook     two command hooks the load never matches (SET and HSET on keys user:*; the load is on key:*):
#              GB(Readers.Command).Map(a => CallNext(a[1..])).Register(hook: "set", keyPrefix: "user:");
#              GB(Readers.Command).Map(a => CallNext(a[1..])).Register(hook: "hset", keyPrefix: "user:");
#
#   bench/registration-overhead.sh            7 rounds; -n 200000 at -P 1, -n 1000000 at -P 16
#   bench/registration-overhead.sh --quick    3 rounds; -n 50000 at -P 1, -n 200000 at -P 16
#
# Each gateway has its own fresh redis-server behind it, pre-filled with the 100,000 keys the load
# uses (key:000000000000 ...), so that every GET hits. The load: redis-benchmark -t set,get -c 50
# -r 100000 at -P 1 and -P 16. Before measuring, each registration is shown to be live (the hooks
# run on user:* commands, the keymiss registration answers a first GET), and each gateway is warmed
# up (JIT tiering); afterwards no registration may have run during the load (numTriggered unchanged)
# and no backend may have seen a key miss. Rounds rotate the three gateways' order, so that drift on a
# shared machine hits all of them alike; each cell is the median over the rounds.
set -euo pipefail
cd "$(dirname "$0")/.."

rounds=7 n1=200000 n16=1000000
case ${1:-} in
  "") ;;
  --quick) rounds=3 n1=50000 n16=200000 ;;
  *) echo "usage: $0 [--quick]" >&2; exit 2 ;;
esac
keyspace=100000 clients=50

# shellcheck source=bench/lib.sh
source bench/lib.sh
require redis-server redis-cli redis-benchmark dotnet python3
# submit GATEWAY NAME CODE: RG.CSEXECUTE through the gateway, which must reply OK
submit() {
  local reply
  reply=$(timeout 60 redis-cli -p "${gw[$1]}" RG.CSEXECUTE "$2" 2>&1) || true
  [[ $reply == OK ]] || { tail -n 20 "$work/gateway-$1.log" >&2; die "RG.CSEXECUTE on the $1 gateway replied '${reply:-<nothing>}', expected OK"; }
}
# triggered GATEWAY: the sum of numTriggered over the gateway's registrations
triggered() { redis-cli -p "${gw[$1]}" RG.DUMPREGISTRATIONS | awk 'prev == "numTriggered" {s += $1} {prev = $1} END {print s + 0}'; }
misses() { redis-cli -p "${backend[$1]}" INFO stats | tr -d '\r' | sed -n 's/^keyspace_misses://p'; }

build_gateway

gateways=(none keymiss hook)
declare -A gw backend
source_port=$(free_port)
start_redis source "$source_port"
for g in "${gateways[@]}"; do
  backend[$g]=$(free_port) gw[$g]=$(free_port)
  start_redis "backend-$g" "${backend[$g]}"
done
wait_ping "$source_port"
for g in "${gateways[@]}"; do
  wait_ping "${backend[$g]}"
  # the load's keys, so that every GET hits (redis-benchmark -r pads __rand_int__ to 12 digits)
  redis-cli -p "${backend[$g]}" EVAL "for i = 0, tonumber(ARGV[1]) - 1 do redis.call('SET', string.format('key:%012d', i), 'xxx') end" 0 "$keyspace" >/dev/null
  expect "keys in the $g gateway's backend" "$(redis-cli -p "${backend[$g]}" DBSIZE)" "$keyspace"
  dotnet "$gateway_dll" --port "${gw[$g]}" --backend "redis://127.0.0.1:${backend[$g]}" \
    --data-dir "$work/data-$g" --log-level Warning >"$work/gateway-$g.log" 2>&1 & pids+=($!)
done
for g in "${gateways[@]}"; do wait_ping "${gw[$g]}"; done

submit keymiss "var source = ConnectionMultiplexer.Connect(\"127.0.0.1:$source_port\").GetDatabase();
GB().ForEach(r => { string? v = source.StringGet(r.Key); Execute(\"SET\", r.Key, v); OverrideReply(v); })
    .Register(eventTypes: [\"keymiss\"], commands: [\"get\"], mode: ExecutionMode.AsyncLocal);"
submit hook 'GB(Readers.Command).Map(a => CallNext(a[1..])).Register(hook: "set", keyPrefix: "user:");'
submit hook 'GB(Readers.Command).Map(a => CallNext(a[1..])).Register(hook: "hset", keyPrefix: "user:");'

# The registrations are live: a first GET reads through; the hooks run on user:* (and pass the command on).
redis-cli -p "$source_port" SET probe:1 from-source >/dev/null
expect "first GET probe:1 through the keymiss gateway" "$(redis-cli -p "${gw[keymiss]}" GET probe:1)" from-source
expect "SET user:1 through the hook gateway" "$(redis-cli -p "${gw[hook]}" SET user:1 v)" OK
expect "HSET user:2 through the hook gateway" "$(redis-cli -p "${gw[hook]}" HSET user:2 f v)" 1
expect "user:1 and user:2 in the hook gateway's backend" "$(redis-cli -p "${backend[hook]}" EXISTS user:1 user:2)" 2
expect "keymiss registration runs so far" "$(triggered keymiss)" 1
expect "hook runs so far" "$(triggered hook)" 2

load() {  # load GATEWAY PIPELINE REQUESTS: redis-benchmark's "TEST rps" lines
  redis-benchmark -p "${gw[$1]}" -t set,get -c "$clients" -r "$keyspace" -n "$3" -P "$2" --csv 2>/dev/null \
    | tr -d '"' | awk -F, 'NR > 1 {print $1, $2}'
}
for g in "${gateways[@]}"; do  # warm up the JIT (tiered compilation)
  load "$g" 1 100000 >/dev/null; load "$g" 16 400000 >/dev/null
done
for g in "${gateways[@]}"; do redis-cli -p "${backend[$g]}" CONFIG RESETSTAT >/dev/null; done
runs_before_keymiss=$(triggered keymiss) runs_before_hook=$(triggered hook)

declare -A results
for round in $(seq "$rounds"); do
  for pipeline in 1 16; do
    requests=$n1; ((pipeline == 1)) || requests=$n16
    for i in 0 1 2; do
      g=${gateways[$(((round + i) % 3))]}
      while read -r test rps; do
        results["$g,$test,$pipeline"]+="$rps "
      done < <(load "$g" "$pipeline" "$requests")
    done
  done
done

for g in "${gateways[@]}"; do expect "key misses on the $g gateway's backend during the load" "$(misses "$g")" 0; done
expect "keymiss registration runs during the load" "$(triggered keymiss)" "$runs_before_keymiss"
expect "hook runs during the load" "$(triggered hook)" "$runs_before_hook"

printf 'redis-benchmark -t set,get -c %d -r %d (every GET hits), -n %d at -P 1 and %d at -P 16;\n' "$clients" "$keyspace" "$n1" "$n16"
printf 'median of %d round(s), requests per second; ratios to the gateway with nothing installed\n\n' "$rounds"
printf '%-4s %-3s %10s %10s %10s %14s %11s\n' test -P none keymiss hook keymiss/none hook/none
for pipeline in 1 16; do
  for test in GET SET; do
    none=$(median <<<"${results[none,$test,$pipeline]}")
    keymiss=$(median <<<"${results[keymiss,$test,$pipeline]}")
    hook=$(median <<<"${results[hook,$test,$pipeline]}")
    printf '%-4s %-3s %10.0f %10.0f %10.0f %14.3f %11.3f\n' "$test" "$pipeline" "$none" "$keymiss" "$hook" \
      "$(echo "$keymiss / $none" | bc -l)" "$(echo "$hook / $none" | bc -l)"
  done
done
printf '\nrequests per second in each round, round 1 first (the order of the gateways rotates each round):\n'
for pipeline in 1 16; do
  for test in GET SET; do
    for g in "${gateways[@]}"; do
      read -ra each <<<"${results[$g,$test,$pipeline]}"
      printf '%-4s %-3s %-8s %s\n' "$test" "$pipeline" "$g" "$(printf ' %8.0f' "${each[@]}")"
    done
  done
done
printf '\ntargets: keymiss/none on GET (hits) >= 0.95; hook/none on commands the hooks do not match >= 0.95\n'
printf 'checked: every GET hit; no registration ran during the load; each was shown live before it\n'
