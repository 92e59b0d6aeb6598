"""The do-it-yourself peer: a redis-py client that PSUBSCRIBEs to set events and counts each one with
its own HINCRBY, one command per event and no pipelining, which is the pattern being compared.

    /usr/bin/python3 bench/events/redis_py_subscriber.py PORT

Run it with Debian's /usr/bin/python3 (python3-redis); the pyenv python3 on PATH has no redis.
It runs until killed; bench/events-vs-redis-py.sh waits for PUBSUB NUMPAT to see it subscribed.
"""
import sys

import redis

port = int(sys.argv[1])
r = redis.Redis(host="127.0.0.1", port=port)
# The subscriber turns notifications on itself, as an application doing this by hand would:
# E = keyevent channels (__keyevent@0__:set carries the key name), $ = string commands.
r.config_set("notify-keyspace-events", "E$")

p = r.pubsub(ignore_subscribe_messages=True)
p.psubscribe("__keyevent@0__:set")
for message in p.listen():
    if message["data"].startswith(b"k:"):
        r.hincrby("counts", "set", 1)
