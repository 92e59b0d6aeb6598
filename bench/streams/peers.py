"""The redis-py side of bench/stream-processing.sh (Debian's /usr/bin/python3 with python3-redis),
run as /usr/bin/python3 bench/streams/peers.py COMMAND PORT ARGS...

  fill PORT N STAGING EXPECTED
      N-1 entries {customer: c<0..999>, amount: <0.01..999.99>} into the stream STAGING in db 1 (the
      gateway listens to db 0's notifications only), by pipelined XADDs; to the file EXPECTED a line
      "customer amount N" (the N-th entry), then each customer's expected total in cents. Seeded by
      N: the same data on every run.
  gateway PORT STAGING KEY EXPECTED PID...
      COPY STAGING to KEY in db 0 (no xadd event), then times from the XADD of the N-th entry, which
      wakes the registration, until the registration's group (the stream's only one) has had every
      entry delivered and has none pending (XINFO GROUPS, polled every 2 ms).
  redis-py PORT STAGING KEY EXPECTED BATCH TOTALS PID...
      The same COPY and XADD, XGROUP CREATE from 0, then consumes KEY itself, timed from the first
      XREADGROUP to the last XACK: XREADGROUP COUNT BATCH, the amounts summed per customer, one
      pipeline of HINCRBYFLOAT TOTALS customer sum (one per customer in the batch), then XACK of the
      batch's ids once that pipeline succeeded (at least once, as the gateway acknowledges).
  check PORT TOTALS EXPECTED KEY
      The hash TOTALS holds every customer's expected total, to the cent, and no other field; KEY still
      has all N entries (nothing trimmed), and its one group read every one of them, none pending.
  registration PORT SESSION
      Of the gateway at PORT, the StreamReader registration of SESSION (RG.DUMPREGISTRATIONS):
      prints "numSuccess numFailures lastError".
The timed commands print "seconds cpu_s..." where cpu_s is the CPU time each PID used in the timed
span (/proc/PID/stat, 10 ms ticks); redis-py puts its own process's first."""
import os
import random
import sys
import time

import redis

CUSTOMERS = 1000
TICK = os.sysconf("SC_CLK_TCK")


def cpu(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime


def fill(port, n, staging, expected):
    rng = random.Random(n)
    r = redis.Redis(port=port, db=1)
    r.delete(staging)
    totals, entries = [0] * CUSTOMERS, []
    for _ in range(n):
        customer, cents = rng.randrange(CUSTOMERS), rng.randint(1, 99999)
        totals[customer] += cents
        entries.append({"customer": f"c{customer}", "amount": f"{cents // 100}.{cents % 100:02d}"})
    pipe = r.pipeline(transaction=False)
    for i, fields in enumerate(entries[:-1], 1):
        pipe.xadd(staging, fields)
        if i % 10000 == 0:
            pipe.execute()
    pipe.execute()
    if r.xlen(staging) != n - 1:
        sys.exit(f"{staging} has {r.xlen(staging)} entries, expected {n - 1}")
    with open(expected, "w") as out:
        out.write(f"{entries[-1]['customer']} {entries[-1]['amount']} {n}\n")
        out.writelines(f"c{c} {t}\n" for c, t in enumerate(totals) if t)


def check(port, totals, expected, key):
    with open(expected) as f:
        n = int(f.readline().split()[2])
        want = {c: int(t) for c, t in (line.split() for line in f)}
    r = redis.Redis(port=port)
    got = {k.decode(): round(float(v) * 100) for k, v in r.hgetall(totals).items()}
    wrong = sorted(c for c in set(want) | set(got) if got.get(c) != want.get(c))
    if wrong:
        sys.exit(f"{totals}: {len(wrong)} customers' totals are wrong, e.g. {wrong[0]}: "
                 f"{got.get(wrong[0])} cents, expected {want.get(wrong[0])}")
    groups = r.xinfo_groups(key)
    last_id = r.xrevrange(key, count=1)[0][0]
    state = groups[0] if len(groups) == 1 else None
    if state is None or state["pending"] != 0 or state["last-delivered-id"] != last_id or state["entries-read"] != n:
        sys.exit(f"{key}: its one group did not read and acknowledge all {n} entries: {state}, last id {last_id}")
    if r.xlen(key) != n:
        sys.exit(f"{key} has {r.xlen(key)} entries, expected {n}: something trimmed it")


def registration(port, session):
    for entry in redis.Redis(port=port, decode_responses=True).execute_command("RG.DUMPREGISTRATIONS"):
        entry = dict(zip(entry[::2], entry[1::2]))
        if f"'sessionId':'{session}'" in entry["PD"] and entry["reader"] == "StreamReader":
            data = dict(zip(entry["RegistrationData"][::2], entry["RegistrationData"][1::2]))
            print(data["numSuccess"], data["numFailures"], data["lastError"] or "-")
            return
    sys.exit(f"no StreamReader registration of the session {session}")


def prepare(port, staging, key, expected):
    """KEY in db 0, a copy of STAGING; returns a client of db 0 and the last entry's fields."""
    with open(expected) as f:
        customer, amount, _ = f.readline().split()
    redis.Redis(port=port, db=1).copy(staging, key, destination_db=0, replace=True)
    return redis.Redis(port=port), {"customer": customer, "amount": amount}


def gateway(port, staging, key, expected, pids):
    r, last = prepare(port, staging, key, expected)
    cpu0 = [cpu(p) for p in pids]
    started = time.perf_counter()
    last_id = r.xadd(key, last)
    while True:
        groups = r.xinfo_groups(key)
        if len(groups) == 1 and groups[0]["pending"] == 0 and groups[0]["last-delivered-id"] == last_id:
            break
        if time.perf_counter() - started > 600:
            sys.exit(f"not every entry of {key} processed within 600 s: {r.xinfo_groups(key)}")
        time.sleep(0.002)
    seconds = time.perf_counter() - started
    print(seconds, *(cpu(p) - c for p, c in zip(pids, cpu0)))


def consume(port, staging, key, expected, batch, totals, pids):
    r, last = prepare(port, staging, key, expected)
    r.xadd(key, last)
    n = r.xlen(key)
    r.xgroup_create(key, "redis-py", id="0")
    cpu0, own0 = [cpu(p) for p in pids], time.process_time()
    started = time.perf_counter()
    done = 0
    while done < n:
        reply = r.xreadgroup("redis-py", "consumer", {key: ">"}, count=batch)
        if not reply:
            sys.exit(f"XREADGROUP returned nothing after {done} of {n} entries")
        entries = reply[0][1]
        sums = {}
        for _, fields in entries:
            customer = fields[b"customer"]
            sums[customer] = sums.get(customer, 0.0) + float(fields[b"amount"])
        pipe = r.pipeline(transaction=False)
        for customer, amount in sums.items():
            pipe.hincrbyfloat(totals, customer, amount)
        pipe.execute()
        r.xack(key, "redis-py", *(entry_id for entry_id, _ in entries))
        done += len(entries)
    seconds = time.perf_counter() - started
    print(seconds, time.process_time() - own0, *(cpu(p) - c for p, c in zip(pids, cpu0)))


def main():
    command, port, args = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    if command == "fill":
        fill(port, int(args[0]), args[1], args[2])
    elif command == "check":
        check(port, *args[:4])
    elif command == "registration":
        registration(port, args[0])
    elif command == "gateway":
        gateway(port, args[0], args[1], args[2], [int(p) for p in args[3:]])
    elif command == "redis-py":
        consume(port, args[0], args[1], args[2], int(args[3]), args[4], [int(p) for p in args[5:]])
    else:
        sys.exit(f"unknown command {command}")


main()
