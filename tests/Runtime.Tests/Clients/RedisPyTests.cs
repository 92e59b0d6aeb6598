namespace SharpGears.Runtime.Tests.Clients;

/// <summary>
/// redis-py (Debian's python3-redis, importable by /usr/bin/python3) against the gateway: a real
/// client library, with its own parser, connection pool, pipelines, transactions and pub/sub.
/// Each scenario is a Python function that exits non-zero with a message on any mismatch.
/// </summary>
public sealed class RedisPyTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    private const string Script = """
        import sys

        try:
            import redis
        except ImportError as e:
            print(f"/usr/bin/python3 cannot import redis ({e}): install python3-redis (apt-get install python3-redis)", file=sys.stderr)
            sys.exit(3)

        port, prefix, scenario = int(sys.argv[1]), sys.argv[2], sys.argv[3]


        def check(condition, what, got=None):
            if not condition:
                print(f"MISMATCH in {scenario}: {what}" + ("" if got is None else f"; got {got!r}"), file=sys.stderr)
                sys.exit(1)


        def connect():
            return redis.Redis(host="127.0.0.1", port=port, socket_timeout=10)


        def set_get():
            r = connect()
            key = prefix + ":greeting"
            check(r.set(key, "hello") is True, "SET returns True")
            check(r.get(key) == b"hello", "GET returns the value", r.get(key))
            check(r.get(prefix + ":missing") is None, "GET of a missing key returns None")
            check(r.incr(prefix + ":n") == 1 and r.incrby(prefix + ":n", 41) == 42, "INCR/INCRBY count")
            check(r.delete(key, prefix + ":n") == 2, "DEL deletes both keys")
            check(r.exists(key) == 0, "the key is gone")
            check(r.set(prefix + ":text", "x") is True, "SET of a word")
            try:
                r.incr(prefix + ":text")
                check(False, "INCR of a non-number raises")
            except redis.ResponseError as e:
                check("not an integer" in str(e), "the error is Redis' own", str(e))


        def pipeline():
            r = connect()
            p = r.pipeline(transaction=False)
            for i in range(500):
                p.set(f"{prefix}:p:{i}", i)
            for i in range(500):
                p.get(f"{prefix}:p:{i}")
            results = p.execute()
            check(len(results) == 1000, "1000 results", len(results))
            check(results[:500] == [True] * 500, "500 SETs answer True", results[:500])
            for i in range(500):
                check(results[500 + i] == str(i).encode(), f"GET {i} in order", results[500 + i])
            # A second pipeline of mixed commands, on the same pooled connection.
            p = r.pipeline(transaction=False)
            p.rpush(prefix + ":list", *range(10)).lrange(prefix + ":list", 0, -1).llen(prefix + ":list").ping()
            check(p.execute() == [10, [str(i).encode() for i in range(10)], 10, True], "mixed pipeline")


        def transaction():
            r = connect()
            counter = prefix + ":counter"
            p = r.pipeline(transaction=True)
            p.incr(counter).incr(counter).get(counter)
            check(p.execute() == [1, 2, b"2"], "MULTI/EXEC results")

            # WATCH: a write by another client makes EXEC fail with WatchError.
            other = connect()
            with r.pipeline(transaction=True) as p:
                p.watch(counter)
                check(p.get(counter) == b"2", "read under WATCH")
                other.set(counter, 100)
                p.multi()
                p.incr(counter)
                try:
                    p.execute()
                    check(False, "EXEC after a watched key changed raises WatchError")
                except redis.WatchError:
                    pass
            check(r.get(counter) == b"100", "the transaction did not run", r.get(counter))

            # transaction() retries until it succeeds.
            def add_one(pipe):
                value = int(pipe.get(counter))
                pipe.multi()
                pipe.set(counter, value + 1)
            r.transaction(add_one, counter)
            check(r.get(counter) == b"101", "transaction() applied once", r.get(counter))

            # An error inside EXEC comes back in its place, not for the whole transaction.
            p = r.pipeline(transaction=True)
            p.set(prefix + ":s", "text").incr(prefix + ":s").get(prefix + ":s")
            results = p.execute(raise_on_error=False)
            check(results[0] is True and isinstance(results[1], redis.ResponseError) and results[2] == b"text", "per-command errors in EXEC", results)


        def pubsub():
            r = connect()
            channel = prefix + ":channel"
            ps = r.pubsub()
            ps.subscribe(channel)
            confirmation = ps.get_message(timeout=5)
            check(confirmation is not None and confirmation["type"] == "subscribe" and confirmation["channel"] == channel.encode(), "subscribe confirmation", confirmation)
            check(ps.get_message(timeout=0.2) is None, "nothing before a publish")
            for i in range(3):
                check(r.publish(channel, f"hello {i}") == 1, "one subscriber")
                message = ps.get_message(timeout=5)
                check(message is not None and message["type"] == "message" and message["data"] == f"hello {i}".encode(), f"message {i}", message)
            ps.psubscribe(prefix + ":*")
            confirmation = ps.get_message(timeout=5)
            check(confirmation is not None and confirmation["type"] == "psubscribe", "psubscribe confirmation", confirmation)
            check(r.publish(prefix + ":other", "patterned") == 1, "the pattern subscriber counts")
            message = ps.get_message(timeout=5)
            check(message is not None and message["type"] == "pmessage" and message["data"] == b"patterned", "pmessage", message)
            ps.unsubscribe()
            ps.punsubscribe()
            kinds = sorted(m["type"] for m in (ps.get_message(timeout=5), ps.get_message(timeout=5)) if m)
            check(kinds == ["punsubscribe", "unsubscribe"], "unsubscribe confirmations", kinds)
            ps.close()
            check(r.publish(channel, "nobody") == 0, "no subscriber left")


        def binary():
            r = connect()
            every_byte = bytes(range(256))
            key = prefix.encode() + b":bin:" + every_byte
            check(r.set(key, every_byte) is True, "SET with a binary key and value")
            check(r.get(key) == every_byte, "GET returns all 256 byte values", r.get(key))
            check(r.strlen(key) == 256, "STRLEN 256")
            check(r.getrange(key, 10, 13) == bytes([10, 11, 12, 13]), "GETRANGE of CR/LF bytes", r.getrange(key, 10, 13))
            h = prefix + ":hash"
            r.hset(h, mapping={every_byte: every_byte[::-1], b"\r\n": b"\x00"})
            check(r.hgetall(h) == {every_byte: every_byte[::-1], b"\r\n": b"\x00"}, "HGETALL with binary fields", r.hgetall(h))
            big = every_byte * 4096
            check(r.set(prefix + ":big", big) is True and r.get(prefix + ":big") == big, "1 MiB of every byte value round-trips")
            p = r.pipeline(transaction=False)
            for i in range(256):
                p.set(prefix.encode() + b":b:" + bytes([i]), bytes([i]) * (i + 1))
            for i in range(256):
                p.get(prefix.encode() + b":b:" + bytes([i]))
            results = p.execute()
            for i in range(256):
                check(results[256 + i] == bytes([i]) * (i + 1), f"pipelined binary value {i}", results[256 + i])


        scenarios = {f.__name__: f for f in (set_get, pipeline, transaction, pubsub, binary)}
        scenarios[scenario]()
        print("ok")
        """;

    [Fact]
    public Task RedisPySetAndGetRoundTripThroughTheGateway() => RunAsync("set_get");

    [Fact]
    public Task RedisPyPipelineOfAThousandCommandsGetsEveryResultInOrder() => RunAsync("pipeline");

    [Fact]
    public Task RedisPyTransactionsAndWatchBehaveAsOnRedis() => RunAsync("transaction");

    [Fact]
    public Task RedisPyPubSubGetMessageWithTimeoutReceivesPublishedMessages() => RunAsync("pubsub");

    [Fact]
    public Task RedisPyBinaryValuesWithAll256ByteValuesRoundTrip() => RunAsync("binary");

    private async Task RunAsync(string scenario)
    {
        var script = Path.Combine(Path.GetTempPath(), $"sharpgears-redispy-{Guid.NewGuid():N}.py");
        await File.WriteAllTextAsync(script, Script);
        try
        {
            var (exitCode, stdout, stderr) = await ChildProcess.PythonAsync([script, fixture.Port.ToString(), GatewayFixture.Key("py"), scenario]);
            if (exitCode == 3)
            {
                Assert.Fail($"{ChildProcess.Python} cannot import redis: install python3-redis (apt-get install python3-redis).\n{stderr}");
            }
            Assert.True(exitCode == 0, $"redis-py scenario '{scenario}' failed against the gateway (exit code {exitCode}).\nstderr:\n{stderr}\nstdout:\n{stdout}");
            Assert.Equal("ok", stdout.Trim());
        }
        finally
        {
            File.Delete(script);
        }
    }
}
