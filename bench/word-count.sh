#!/usr/bin/env bash
# A batch job, word count, over N string keys doc:<i> (each a document of 8 words drawn from a
# vocabulary of 50): through the gateway, as one Run() that the gateway's engine executes,
#   GB().FlatMap(r => ((string)r.Value!).Split(' ')).CountBy(w => w).Map(kv => $"{kv.Key} {kv.Value}").Run("doc:*")
# against the same job done by an application with redis-py (Debian's python3-redis, /usr/bin/python3):
# SCAN MATCH doc:* COUNT 1000, for each page one pipeline of GETs, the words counted with
# collections.Counter. Both peers in one run, against the same redis-server, printed as a ratio.
#
#   bench/word-count.sh            sizes 500,000 and 1,000,000 keys; 5 rounds at the larger
#   bench/word-count.sh --quick    sizes 100,000 and 200,000 keys; 3 rounds at the larger
#
# Speed: records (keys) per second. The gateway's time is the execution's own total_duration
# (RG.GETEXECUTION: from the run's start to its end; RG.CSEXECUTE ... UNBLOCKING first compiles the
# script with Roslyn, which is not part of the job, and is shown apart: "compile+submit"); redis-py's
# is timed inside the Python process, from the first SCAN to the last count (interpreter start and
# imports excluded). Rounds alternate the order of the peers; the summary gives medians.
# Memory: that a Run holds one batch at a time, not the data. For each size, a FRESH gateway (warmed
# up by a run over 10 keys, which also compiles) does one run: its peak RSS growth is VmHWM after the
# run (the high-water mark reset by writing 5 to /proc/<pid>/clear_refs just before) minus VmRSS
# before. redis-py's process reports its own VmHWM, and its growth over VmRSS after connecting.
# Checks: every run's counts, word by word, equal redis-py's, and add up to 8 words per key; every
# run read N records and had no errors.
set -euo pipefail
cd "$(dirname "$0")/.."

rounds=5 small=500000 large=1000000
case ${1:-} in
  "") ;;
  --quick) rounds=3 small=100000 large=200000 ;;
  *) echo "usage: $0 [--quick]" >&2; exit 2 ;;
esac
python=/usr/bin/python3

# shellcheck source=bench/lib.sh
source bench/lib.sh
require redis-server redis-cli dotnet "$python"
require_redis_py "$python"
kb() { sed -n "s/^$2:[[:space:]]*\([0-9]*\) kB/\1/p" "/proc/$1/status"; }  # kb PID VmRSS|VmHWM

build_gateway

backend=$(free_port)
start_redis backend "$backend"
wait_ping "$backend"

# fill FIRST LAST: doc:FIRST .. doc:LAST-1, in Lua, 50,000 keys per EVAL; each document 8 words of
# the 50, drawn with a Park-Miller generator seeded per chunk (the same data on every run).
fill() {
  local script='
local words = {"the","of","and","to","in","a","is","that","for","it","as","was","with","be","by","on","not","he","this","are",
  "or","his","from","at","which","but","have","an","had","they","you","were","their","one","all","we","can","her","has","there",
  "been","if","more","when","will","would","who","so","no","redis"}
local first, last = tonumber(ARGV[1]), tonumber(ARGV[2])
local x = first + 1
for i = first, last - 1 do
  local doc = {}
  for j = 1, 8 do x = (x * 16807) % 2147483647; doc[j] = words[x % #words + 1] end
  redis.call("SET", "doc:" .. i, table.concat(doc, " "))
end
return last - first'
  local from
  for ((from = $1; from < $2; from += 50000)); do
    redis-cli -p "$backend" EVAL "$script" 0 "$from" "$((from + 50000 < $2 ? from + 50000 : $2))" >/dev/null
  done
}
for i in $(seq 0 9); do redis-cli -p "$backend" SET "warm:$i" "the cat sat on the mat" >/dev/null; done

job() { echo "GB().FlatMap(r => ((string)r.Value!).Split(' ')).CountBy(w => w).Map(kv => \$\"{kv.Key} {kv.Value}\").Run(\"$1\")"; }

# start_gateway: a fresh gateway on the backend, warmed up; sets gw_port, gw_pid
gateways=0
start_gateway() {
  gateways=$((gateways + 1))
  gw_port=$(free_port)
  dotnet "$gateway_dll" --port "$gw_port" --backend "redis://127.0.0.1:$backend" \
    --data-dir "$work/data-$gateways" --log-level Warning >"$work/gateway-$gateways.log" 2>&1 & gw_pid=$!
  pids+=("$gw_pid")
  wait_ping "$gw_port"
  local warm
  warm=$(timeout 60 redis-cli -p "$gw_port" RG.CSEXECUTE "$(job 'warm:*')" | grep -c ' ' || true)
  expect "words in the warm-up run's reply" "$warm" 5
}
stop_gateway() { kill "$gw_pid"; wait "$gw_pid" 2>/dev/null || true; }

# field NAME: the line after NAME in redis-cli's lines of RG.GETEXECUTION (a name/value list)
field() { awk -v name="$1" 'prev == name {print; exit} {prev = $0}'; }
# gateway_run N OUT: one Run over doc:*, its "word count" lines to OUT; sets gw_ms (total_duration),
# gw_read_ms (read_duration: the reader waiting for Redis) and gw_submit_ms (RG.CSEXECUTE UNBLOCKING).
gateway_run() {
  local started submitted id plan
  started=$(date +%s%N)
  id=$(timeout 60 redis-cli -p "$gw_port" RG.CSEXECUTE "$(job 'doc:*')" UNBLOCKING)
  submitted=$(date +%s%N)
  [[ $id == *-* ]] || { tail -n 20 "$work/gateway-$gateways.log" >&2; die "RG.CSEXECUTE UNBLOCKING replied '$id', expected an execution id"; }
  timeout 600 redis-cli -p "$gw_port" RG.GETRESULTSBLOCKING "$id" | grep ' ' | sort >"$2"
  plan=$(redis-cli -p "$gw_port" RG.GETEXECUTION "$id" | tr -d '\r')
  expect "status of run $id" "$(field status <<<"$plan")" "done"
  expect "records read by run $id" "$(field records_read <<<"$plan")" "$1"
  expect "errors of run $id" "$(field errors <<<"$plan")" ""  # an empty array: an empty line
  gw_ms=$(field total_duration <<<"$plan") gw_read_ms=$(field read_duration <<<"$plan")
  gw_submit_ms=$(((submitted - started) / 1000000))
  redis-cli -p "$gw_port" RG.DROPEXECUTION "$id" >/dev/null
}

cat >"$work/word_count.py" <<'EOF'
"""Word count with redis-py: SCAN MATCH doc:* COUNT 1000, a pipeline of GETs per page, collections.Counter.
Prints "keys seconds hwm_kb growth_kb" on standard output and "word count" lines to the file argv[2]."""
import collections, sys, time, redis

def status_kb(name):
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith(name + ":"))

r = redis.Redis(port=int(sys.argv[1]))
r.ping()
rss_start = status_kb("VmRSS")
started = time.perf_counter()
counts, keys, cursor = collections.Counter(), 0, 0
while True:
    cursor, page = r.scan(cursor, match="doc:*", count=1000)
    if page:
        pipe = r.pipeline(transaction=False)
        for key in page:
            pipe.get(key)
        for value in pipe.execute():
            counts.update(value.decode().split(" "))
        keys += len(page)
    if cursor == 0:
        break
seconds = time.perf_counter() - started
hwm = status_kb("VmHWM")
with open(sys.argv[2], "w") as out:
    out.writelines(f"{word} {count}\n" for word, count in counts.items())
print(keys, seconds, hwm, hwm - rss_start)
EOF
# python_run N OUT: sets py_s, py_hwm_kb, py_growth_kb
python_run() {
  local keys
  read -r keys py_s py_hwm_kb py_growth_kb < <("$python" "$work/word_count.py" "$backend" "$2.unsorted")
  sort "$2.unsorted" >"$2"
  expect "keys redis-py read" "$keys" "$1"
}
# check N: both peers' counts equal, and add up to 8 words per key
check() {
  cmp -s "$work/gateway.txt" "$work/python.txt" || { diff "$work/gateway.txt" "$work/python.txt" | head >&2; die "the gateway's counts differ from redis-py's"; }
  expect "words counted" "$(awk '{s += $2} END {print s}' "$work/gateway.txt")" "$((8 * $1))"
  expect "distinct words" "$(wc -l <"$work/gateway.txt")" 50
}

# Memory, at each size, on a fresh gateway (one run each), and redis-py's alongside.
declare -A gw_growth py_growth py_hwm
for size in "$small" "$large"; do
  fill "$(($(redis-cli -p "$backend" DBSIZE) - 10))" "$size"
  expect "keys in the backend" "$(redis-cli -p "$backend" DBSIZE)" "$((size + 10))"
  start_gateway
  rss_before=$(kb "$gw_pid" VmRSS)
  echo 5 >"/proc/$gw_pid/clear_refs" || die "cannot reset the gateway's VmHWM (/proc/$gw_pid/clear_refs)"
  gateway_run "$size" "$work/gateway.txt"
  gw_growth[$size]=$(($(kb "$gw_pid" VmHWM) - rss_before))
  stop_gateway
  python_run "$size" "$work/python.txt"
  py_growth[$size]=$py_growth_kb py_hwm[$size]=$py_hwm_kb
  check "$size"
done

# Speed, at the larger size: rounds on one gateway, after one run to warm it up (JIT tiering).
start_gateway
gateway_run "$large" "$work/gateway.txt"
gw_times=() gw_reads=() gw_submits=() py_times=()
for round in $(seq "$rounds"); do
  order=(gateway python); ((round % 2)) || order=(python gateway)
  for peer in "${order[@]}"; do
    if [[ $peer == gateway ]]; then
      gateway_run "$large" "$work/gateway.txt"
      gw_times+=("$(echo "$gw_ms / 1000" | bc -l)") gw_reads+=("$gw_read_ms") gw_submits+=("$gw_submit_ms")
    else
      python_run "$large" "$work/python.txt"
      py_times+=("$py_s")
    fi
  done
  check "$large"
done

gw_s=$(median <<<"${gw_times[*]}") py_med=$(median <<<"${py_times[*]}")
printf 'word count over %d keys doc:* (8 words each, vocabulary of 50); median of %d rounds, each peer\n\n' "$large" "$rounds"
printf '%-9s %9s %10s   %s\n' peer seconds "keys/s" "seconds per round, round 1 first (orders alternate)"
printf '%-9s %9.3f %10.0f  %s\n' gateway "$gw_s" "$(echo "$large / $gw_s" | bc -l)" "$(printf ' %.3f' "${gw_times[@]}")"
printf '%-9s %9.3f %10.0f  %s\n' redis-py "$py_med" "$(echo "$large / $py_med" | bc -l)" "$(printf ' %.3f' "${py_times[@]}")"
printf '\ngateway/redis-py (keys/s): %.2f   (target >= 5)\n' "$(echo "$py_med / $gw_s" | bc -l)"
printf 'gateway, per round: reader waiting for Redis (read_duration) ms: %s; compile+submit (not in seconds) ms: %s\n' \
  "${gw_reads[*]}" "${gw_submits[*]}"
printf '\npeak memory of one run (a fresh gateway per size), MB:\n'
printf '%-9s %22s %22s\n' keys "gateway RSS growth" "redis-py RSS growth"
for size in "$small" "$large"; do
  printf '%-9s %22.1f %22.1f\n' "$size" "$(echo "${gw_growth[$size]} / 1024" | bc -l)" "$(echo "${py_growth[$size]} / 1024" | bc -l)"
done
printf '(redis-py peak RSS, whole process: %.1f MB at %d keys, %.1f MB at %d)\n' \
  "$(echo "${py_hwm[$small]} / 1024" | bc -l)" "$small" "$(echo "${py_hwm[$large]} / 1024" | bc -l)" "$large"
printf 'checked: every run read every key with no error; its counts equal redis-py'"'"'s word by word, %d words per key\n' 8
