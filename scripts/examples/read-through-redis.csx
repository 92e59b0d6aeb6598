// Read-through from a second, slower Redis (RedisGears' read-through tutorial, in C#).
//
// A GET that finds nothing here fetches the key from the source Redis, stores it here and answers
// the client with the value: the client gets it on its FIRST GET, not on a retry. A key the source
// does not have either stays a miss: the client gets nil.
//
// RG.CONFIGSET keys (read when the script is submitted, except the TTL, read on every miss):
//   ReadThroughSource  host:port of the source Redis          (default 127.0.0.1:6380)
//   ReadThroughTtl     seconds a fetched key lives here; 0 keeps it (default 0)

// One connection to the source for the whole session, made once here in the body, not per event:
// StackExchange.Redis multiplexes every execution's commands over it. AbortOnConnectFail = false
// lets the script register (also when the gateway restarts) while the source is down; the
// multiplexer keeps reconnecting, and misses meanwhile stay nil.
var sourceOptions = ConfigurationOptions.Parse(GearsConfigGet("ReadThroughSource", "127.0.0.1:6380")!);
sourceOptions.AbortOnConnectFail = false;
var source = ConnectionMultiplexer.Connect(sourceOptions);

GB()
    .ForEach(async r =>
    {
        // byte[], not string: cached values stay binary-safe.
        var value = await source.GetDatabase().StringGetAsync(r.Key);
        if (value.IsNull)
        {
            return; // not in the source either: the client's nil stands
        }
        var ttl = long.Parse(GearsConfigGet("ReadThroughTtl", "0")!);
        if (ttl > 0)
        {
            await ExecuteAsync("SET", r.Key, (byte[])value, "EX", ttl);
        }
        else
        {
            await ExecuteAsync("SET", r.Key, (byte[])value);
        }
        OverrideReply((byte[])value); // instead of GET's nil
    })
    .Register(
        prefix: "*",
        eventTypes: ["keymiss"],  // a read that found no key (reads make no other event)
        commands: ["get"],        // only GETs, and each holds its client's reply until we are done
        readValue: false,         // there is nothing to read: the key is missing
        mode: ExecutionMode.AsyncLocal);
