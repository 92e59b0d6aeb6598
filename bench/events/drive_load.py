"""Runs the load for one peer of bench/events-vs-redis-py.sh and times how fast the peer counts it.

    /usr/bin/python3 bench/events/drive_load.py NAME PORT N DEADLINE_S -- REDIS-BENCHMARK ARGS...

Starts redis-benchmark (the SETs), polls HGET counts set every ~10 ms until it reaches N, and prints

    events  NAME  N=...  events/s=...  lag_ms=...  exact=yes|no  load/s=...

events/s = N / (load start -> count reached N); lag = load end -> count reached N; exact = the count
equals N when reached and still does after a settle (nothing counted twice); load/s = N / wall time
of redis-benchmark, so a reader can tell when the load itself is the limit. Polling from here rather
than from bash keeps the timestamps within ~10 ms (a redis-cli per poll would cost a fork each).
Exit status: 0 when exact, 1 when not exact, 2 on timeout (the count reached is printed).
"""
import subprocess
import sys
import time

import redis

name, port, n, deadline_s = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
load_cmd = sys.argv[sys.argv.index("--") + 1:]
POLL_S, SETTLE_S = 0.010, 0.5

r = redis.Redis(host="127.0.0.1", port=port)
count = lambda: int(r.hget("counts", "set") or 0)

t_start = time.monotonic()
load = subprocess.Popen(load_cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
t_end = t_done = None
reached = 0
while True:
    now = time.monotonic()
    if t_end is None and load.poll() is not None:
        t_end = now
        if load.returncode != 0:
            sys.exit(f"{name}: redis-benchmark failed ({load.returncode}): {load.stderr.read().decode().strip()}")
    reached = count()
    if reached >= n:
        t_done = time.monotonic()
        break
    if now - t_start > deadline_s:
        load.kill()
        print(f"events  {name:<10}  N={n}  TIMEOUT after {deadline_s:.0f} s: count reached {reached} of {n}"
              f"  (load {'ended' if t_end else 'still running'})", flush=True)
        sys.exit(2)
    time.sleep(POLL_S)

if t_end is None:  # every event was counted before redis-benchmark had even exited
    load.wait()
    t_end = min(time.monotonic(), t_done)
time.sleep(SETTLE_S)
settled = count()
exact = reached == n and settled == n

print(f"events  {name:<10}  N={n}  events/s={n / (t_done - t_start):.0f}  lag_ms={(t_done - t_end) * 1000:.0f}"
      f"  exact={'yes' if exact else f'no (reached {reached}, after settle {settled})'}"
      f"  load/s={n / (t_end - t_start):.0f}", flush=True)
sys.exit(0 if exact else 1)
