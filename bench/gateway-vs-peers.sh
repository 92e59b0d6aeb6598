#!/usr/bin/env bash
# Throughput of the gateway against Redis itself and twemproxy (nutcracker), all three in front of
# the same redis-server, measured in one run with redis-benchmark and printed as ratios.
#
#   bench/gateway-vs-peers.sh            3 interleaved rounds of -n 200000 (the figures in the README)
#   bench/gateway-vs-peers.sh --quick    1 round of -n 50000
#
# Each cell is the median over the rounds; rounds interleave the three targets so that drift on a
# shared machine hits all of them alike.
set -euo pipefail
cd "$(dirname "$0")/.."

rounds=3 requests=200000
if [[ "${1:-}" == "--quick" ]]; then rounds=1 requests=50000; fi
for tool in redis-server redis-benchmark nutcracker; do
  command -v "$tool" >/dev/null || { echo "missing $tool: sudo apt-get install -y redis-server redis-tools nutcracker" >&2; exit 1; }
done

# shellcheck source=bench/lib.sh
source bench/lib.sh

build_gateway

redis_port=$(free_port) nut_port=$(free_port) nut_stats=$(free_port) gw_port=$(free_port)
start_redis redis "$redis_port"
cat >"$work/nutcracker.yml" <<YML
bench:
  listen: 127.0.0.1:$nut_port
  redis: true
  servers:
   - 127.0.0.1:$redis_port:1
YML
nutcracker -c "$work/nutcracker.yml" -a 127.0.0.1 -s "$nut_stats" -p "$work/nutcracker.pid" -o "$work/nutcracker.log" & pids+=($!)
dotnet "$gateway_dll" --port "$gw_port" --backend "redis://127.0.0.1:$redis_port" \
  --data-dir "$work/data" --log-level Warning >"$work/gateway.log" 2>&1 & pids+=($!)
wait_ping "$redis_port"; wait_ping "$nut_port"; wait_ping "$gw_port"
redis-benchmark -p "$gw_port" -t get,set -c 50 -n 100000 -q >/dev/null 2>&1   # warm up the JIT (tiered compilation)
redis-benchmark -p "$gw_port" -t get,set -c 50 -n 100000 -P 16 -q >/dev/null 2>&1

declare -A results
for _ in $(seq "$rounds"); do
  for pipeline in 1 16; do
    for target in redis:$redis_port twemproxy:$nut_port gateway:$gw_port; do
      name=${target%%:*} port=${target##*:}
      while read -r test rps; do
        results["$name,$test,$pipeline"]+="$rps "
      done < <(redis-benchmark -p "$port" -t get,set -c 50 -n "$requests" -P "$pipeline" --csv 2>/dev/null \
               | tr -d '"' | awk -F, 'NR > 1 {print $1, $2}')
    done
  done
done

printf 'redis-benchmark -c 50 -n %d, median of %d round(s), requests per second\n\n' "$requests" "$rounds"
printf '%-4s %-3s %12s %12s %12s %12s %14s\n' test -P redis twemproxy gateway gw/redis gw/twemproxy
for pipeline in 1 16; do
  for test in SET GET; do
    r=$(median <<<"${results[redis,$test,$pipeline]}")
    t=$(median <<<"${results[twemproxy,$test,$pipeline]}")
    g=$(median <<<"${results[gateway,$test,$pipeline]}")
    printf '%-4s %-3s %12.0f %12.0f %12.0f %12.2f %14.2f\n' "$test" "$pipeline" "$r" "$t" "$g" \
      "$(echo "$g / $r" | bc -l)" "$(echo "$g / $t" | bc -l)"
  done
done
printf '\ntargets: gateway >= 0.85 x redis at -P 1; gateway >= 1.0 x twemproxy at -P 16\n'
