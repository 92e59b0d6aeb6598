// Read-through from a second, slower Redis (RedisGears' read-through tutorial, in C#).
//
// A GET that finds nothing here fetches the key from the source Redis, stores it here and answers
// the client with the value: the client gets it on its FIRST GET, not on a retry. A key the source
// does not have either stays a miss: the client gets nil.
//
// RG.CONFIGSET keys (read when the script is submitted, except the TTL, read on every miss):
//   ReadThroughSource  host:port of the source Redis          (default 127.0.0.1:6380)
//   ReadThroughTtl     seconds a fetched key lives here; 0 keeps it (default 0)

// The source's client, made once here in the body, not per event. ConnectRedis connects when first
// used, so the script registers (also when the gateway restarts) while the source is down; a miss
// meanwhile fails its execution (counted, logged) and the client keeps its nil. Its synchronous
// calls are one write and one read on the execution thread's own connection: the fastest way here.
var source = ConnectRedis(GearsConfigGet("ReadThroughSource", "127.0.0.1:6380")!);

GB()
    .ForEach(r =>
    {
        // Values that are not UTF-8 stay byte for byte: the string remembers the bytes it came from.
        var value = (string?)source.Execute("GET", r.Key);
        if (value is null)
        {
            return; // not in the source either: the client's nil stands
        }
        var ttl = long.Parse(GearsConfigGet("ReadThroughTtl", "0")!);
        if (ttl > 0)
        {
            Execute("SET", r.Key, value, "EX", ttl);
        }
        else
        {
            Execute("SET", r.Key, value);
        }
        OverrideReply(value); // instead of GET's nil
    })
    .Register(
        prefix: "*",
        eventTypes: ["keymiss"],  // a read that found no key (reads make no other event)
        commands: ["get"],        // only GETs, and each holds its client's reply until we are done
        readValue: false,         // there is nothing to read: the key is missing
        mode: ExecutionMode.AsyncLocal);
