#!/usr/bin/env bash
# Stream processing: entries per second that a StreamReader registration of the gateway processes,
# at batch 1 and at batch 100, against an application doing the same with redis-py (Debian's
# python3-redis, /usr/bin/python3) through a consumer group, XREADGROUP COUNT 1 / COUNT 100 and XACK;
# both peers in one run, against the same redis-server, printed side by side with their ratios.
#
#   bench/stream-processing.sh            batch 1: 20,000 entries, batch 100: 200,000; 5 rounds each
#   bench/stream-processing.sh --quick    batch 1: 5,000 entries, batch 100: 50,000; 3 rounds each
#
# The work, per batch and the same for both peers: each entry has the fields customer (one of 1,000)
# and amount (0.01 to 999.99, two decimals); the batch's amounts are summed per customer and each
# sum added with one HINCRBYFLOAT totals:<peer>:<batch> customer sum (about 95 customers in a batch of
# 100), the HINCRBYFLOATs pipelined; then the batch's entries are acknowledged, only after that
# succeeded (at least once). The gateway's registration:
#   GB(Readers.Stream)
#     .Accumulate((Dictionary<string, double>? sums, StreamRecord r) => ... sums[customer] += amount)
#     .ForEach(async sums => await Task.WhenAll(sums.Select(s => ExecuteAsync("HINCRBYFLOAT", ...))))
#     .Register(prefix: "orders:gw<batch>:*", batch: <batch>, trimStream: false)
# which the gateway follows with one EVALSHA that XACKs the batch; redis-py: XREADGROUP, the sums in a
# dict, one pipeline (transaction=False) of HINCRBYFLOATs, then XACK (bench/streams/peers.py).
# Trimming is off for both (trimStream: false; redis-py does not XTRIM): no peer removes entries.
#
# Method: each data set (N-1 entries, seeded: the same every run) is written once, by pipelined XADDs,
# to a staging stream in db 1, where the gateway's keyspace notifications do not reach. A round
# copies it (COPY ... DB 0, no xadd event) to a fresh stream of its own in db 0, then XADDs the N-th
# entry. The gateway's registration (on one gateway for the whole run, registered once per batch
# size, so Roslyn's compile is not timed) wakes on that xadd, makes its consumer group from the
# stream's start and reads all N; its time runs from the XADD until XINFO GROUPS shows every entry
# delivered and none pending (polled every 2 ms, so up to ~2 ms late). redis-py creates its group and
# times itself from its first XREADGROUP to its last XACK (interpreter start and imports excluded).
# One warm-up round per batch size and peer (JIT tiering for the gateway; both peers alike) is
# checked and not counted. Rounds alternate the order of the peers; the table gives medians, and the
# CPU each peer's process and redis-server used in the timed span, as % of one core (10 ms ticks).
# Checks, after every round: the totals hash holds every customer's expected total to the cent (so
# both peers agree with each other), the stream still has all N entries, and its group read all N and
# has none pending; at the end, each registration ran one execution per batch (N/batch, rounded up,
# summed over its rounds) and none failed.
set -euo pipefail
cd "$(dirname "$0")/.."

rounds=5 n1=20000 n100=200000 warm=10000
case ${1:-} in
  "") ;;
  --quick) rounds=3 n1=5000 n100=50000 warm=2000 ;;
  *) echo "usage: $0 [--quick]" >&2; exit 2 ;;
esac
python=/usr/bin/python3

# shellcheck source=bench/lib.sh disable=SC1091  # followed with shellcheck -x
source bench/lib.sh
work=${work:?}  # bench/lib.sh's work folder, named here for shellcheck without -x
require redis-server redis-cli dotnet "$python"
require_redis_py "$python"
peers() { "$python" bench/streams/peers.py "$@"; }

build_gateway

backend=$(free_port)
start_redis backend "$backend"
wait_ping "$backend"
redis_pid=${pids[-1]}

# The data sets: staging:<N> in db 1, and what each customer's total must come to in $work/expected-<N>.
for n in "$warm" "$n1" "$n100"; do
  [[ -f $work/expected-$n ]] || peers fill "$backend" "$n" "staging:$n" "$work/expected-$n"
done

# registration BATCH: the gateway's script, as the header shows it
registration() {
  cat <<EOF
GB(Readers.Stream)
    .Accumulate((Dictionary<string, double>? sums, StreamRecord r) =>
    {
        sums ??= new Dictionary<string, double>();
        var customer = r.Value["customer"];
        sums[customer] = sums.GetValueOrDefault(customer) + double.Parse(r.Value["amount"], System.Globalization.CultureInfo.InvariantCulture);
        return sums;
    })
    .ForEach(async sums => await Task.WhenAll(sums.Select(s => ExecuteAsync("HINCRBYFLOAT", "totals:gw:$1", s.Key, s.Value))))
    .Register(prefix: "orders:gw$1:*", batch: $1, trimStream: false);
EOF
}

gw_port=$(free_port)
dotnet "$gateway_dll" --port "$gw_port" --backend "redis://127.0.0.1:$backend" \
  --data-dir "$work/data" --log-level Warning >"$work/gateway.log" 2>&1 & gw_pid=$!
pids+=("$gw_pid")
wait_ping "$gw_port"
for batch in 1 100; do
  reply=$(timeout 60 redis-cli -p "$gw_port" RG.CSEXECUTE "$(registration "$batch")" ID "stream-bench-$batch" 2>&1) || true
  [[ $reply == OK ]] || { tail -n 20 "$work/gateway.log" >&2; die "RG.CSEXECUTE of the batch-$batch registration replied '$reply', expected OK"; }
done

# run PEER BATCH N ROUND: one timed round on a stream of its own, checked and cleaned up after;
# sets seconds, peer_cpu, redis_cpu
declare -A executions=([1]=0 [100]=0)
run() {
  local peer=$1 batch=$2 n=$3 key totals out
  if [[ $peer == gateway ]]; then
    key=orders:gw$batch:$4 totals=totals:gw:$batch
    out=$(peers gateway "$backend" "staging:$n" "$key" "$work/expected-$n" "$gw_pid" "$redis_pid")
    executions[$batch]=$((executions[$batch] + (n + batch - 1) / batch))
  else
    key=orders:py$batch:$4 totals=totals:py:$batch
    out=$(peers redis-py "$backend" "staging:$n" "$key" "$work/expected-$n" "$batch" "$totals" "$redis_pid")
  fi
  read -r seconds peer_cpu redis_cpu <<<"$out"
  peers check "$backend" "$totals" "$work/expected-$n" "$key" || die "$peer, batch $batch, round $4: wrong results (above)"
  redis-cli -p "$backend" DEL "$key" "$totals" >/dev/null
}
pct() { echo "100 * $1 / $2" | bc -l; }

declare -A times peer_cpus redis_cpus
for batch in 1 100; do
  n=$n1; ((batch == 1)) || n=$n100
  for peer in gateway redis-py; do run "$peer" "$batch" "$warm" warm; done
  for round in $(seq "$rounds"); do
    order=(gateway redis-py); ((round % 2)) || order=(redis-py gateway)
    for peer in "${order[@]}"; do
      run "$peer" "$batch" "$n" "$round"
      times[$peer/$batch]+=" $seconds"
      peer_cpus[$peer/$batch]+=" $(pct "$peer_cpu" "$seconds")"
      redis_cpus[$peer/$batch]+=" $(pct "$redis_cpu" "$seconds")"
    done
  done
done

for batch in 1 100; do
  read -r ok failures last_error < <(peers registration "$gw_port" "stream-bench-$batch")
  expect "failed executions of the batch-$batch registration (last error: $last_error)" "$failures" 0
  expect "executions of the batch-$batch registration (one per batch)" "$ok" "${executions[$batch]}"
done

printf 'stream processing: XREADGROUP, per-customer sums by HINCRBYFLOAT, XACK; trimming off; median of %d rounds\n\n' "$rounds"
printf '%5s %8s  %-9s %8s %10s %8s %8s   %s\n' batch entries peer seconds "entries/s" "CPU %" "redis %" \
  "seconds per round, round 1 first (orders alternate)"
declare -A rate
for batch in 1 100; do
  n=$n1; ((batch == 1)) || n=$n100
  for peer in gateway redis-py; do
    s=$(median <<<"${times[$peer/$batch]}")
    rate[$peer/$batch]=$(echo "$n / $s" | bc -l)
    # shellcheck disable=SC2086  # the rounds' figures are words
    printf '%5d %8d  %-9s %8.3f %10.0f %8.0f %8.0f  %s\n' "$batch" "$n" "$peer" "$s" "${rate[$peer/$batch]}" \
      "$(median <<<"${peer_cpus[$peer/$batch]}")" "$(median <<<"${redis_cpus[$peer/$batch]}")" "$(printf ' %.3f' ${times[$peer/$batch]})"
  done
done
printf '\ngateway/redis-py (entries/s): batch 1: %.2f   batch 100: %.2f   (target >= 5 at batch 100)\n' \
  "$(echo "${rate[gateway/1]} / ${rate[redis-py/1]}" | bc -l)" "$(echo "${rate[gateway/100]} / ${rate[redis-py/100]}" | bc -l)"
printf 'CPU %%: of one core, by the peer'"'"'s process in the timed span (the gateway'"'"'s includes its idle threads'"'"' spin-waiting);\n'
printf '       redis %%: by redis-server, which the peer waits for: batches run one after another, so the two add up\n'
printf 'checked: every round'"'"'s totals equal every customer'"'"'s expected sum to the cent; every entry read, acknowledged, not trimmed;\n'
printf '         the registrations ran one execution per batch (%d and %d) with no failure\n' "${executions[1]}" "${executions[100]}"
