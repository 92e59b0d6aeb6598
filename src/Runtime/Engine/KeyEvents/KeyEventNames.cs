namespace SharpGears.Runtime.Engine.KeyEvents;

/// <summary>What SharpGears knows of the names of Redis' keyspace events.</summary>
internal static class KeyEventNames
{
    /// <summary>
    /// Events Redis sends only to those who ask for them by name ('m' and 'n' are not part of the 'A'
    /// class): a registration without <c>eventTypes</c> does not get them, as in RedisGears.
    /// </summary>
    public static bool IsOptIn(string eventName) => eventName is "keymiss" or "new";

    /// <summary>
    /// Names of read commands that users mistake for events (RedisGears' classic surprise): reads
    /// produce no keyspace event at all; a miss is "keymiss".
    /// </summary>
    private static readonly HashSet<string> s_reads = new(StringComparer.OrdinalIgnoreCase)
    {
        "get", "mget", "getrange", "strlen", "exists", "type", "ttl", "pttl", "hget", "hmget", "hgetall", "hkeys",
        "hvals", "hlen", "hexists", "lrange", "lindex", "llen", "smembers", "sismember", "scard", "zrange",
        "zscore", "zcard", "xrange", "xread", "xlen", "scan", "keys", "dump",
    };

    /// <summary>A warning for an <c>eventTypes</c> entry that can never fire, or null.</summary>
    public static string? WarningFor(string eventName) => s_reads.Contains(eventName)
        ? $"eventTypes contains '{eventName}', which is a read: reads produce no keyspace events, so it never fires. To react to a read that finds nothing, use eventTypes: [\"keymiss\"]"
        : null;

    /// <summary>
    /// The notify-keyspace-events classes Redis must have for <paramref name="eventTypes"/> (null: all
    /// the default events): 'E' for keyevent channels, 'A' for the usual classes, 'm' for key misses
    /// and 'n' for new keys, which 'A' leaves out; only stream events ("xadd", "xtrim", ...) need just 't'.
    /// </summary>
    public static string FlagsFor(IEnumerable<string>? eventTypes)
    {
        var flags = "EA";
        if (eventTypes is null)
        {
            return flags;
        }
        if (eventTypes.Any() && eventTypes.All(name => name.StartsWith('x') || name.StartsWith('X')))
        {
            return "Et";
        }
        foreach (var name in eventTypes)
        {
            if (string.Equals(name, "keymiss", StringComparison.OrdinalIgnoreCase) && !flags.Contains('m'))
            {
                flags += "m";
            }
            else if (string.Equals(name, "new", StringComparison.OrdinalIgnoreCase) && !flags.Contains('n'))
            {
                flags += "n";
            }
        }
        return flags;
    }

    /// <summary>
    /// Commands whose keyspace event is not named after them (Redis' notifyKeyspaceEvent calls);
    /// every other write is named after its command, as Redis does for most of them.
    /// </summary>
    private static readonly Dictionary<string, string> s_writeEvents = new(StringComparer.OrdinalIgnoreCase)
    {
        ["incr"] = "incrby",
        ["decr"] = "decrby",
        ["setnx"] = "set",
        ["setex"] = "set",
        ["psetex"] = "set",
        ["getset"] = "set",
        ["mset"] = "set",
        ["msetnx"] = "set",
        ["getdel"] = "del",
        ["unlink"] = "del",
        ["hmset"] = "hset",
        ["hsetnx"] = "hset",
        ["lpushx"] = "lpush",
        ["rpushx"] = "rpush",
        ["zincrby"] = "zincr",
        ["geoadd"] = "zadd",
        ["copy"] = "copy_to",
    };

    /// <summary>The keyspace event Redis sends for a successful call of the write command <paramref name="command"/>.</summary>
    public static string ForCommand(string command) =>
        s_writeEvents.TryGetValue(command, out var eventName) ? eventName : command.ToLowerInvariant();

    /// <summary>
    /// Writes whose reply 0 says they changed nothing (no key deleted, no member added or removed, no
    /// expiry set, a conditional write refused), so Redis sends no event. Other writes may answer 0
    /// and still change data (HSET of an existing field).
    /// </summary>
    private static readonly HashSet<string> s_zeroIsNothing = new(StringComparer.OrdinalIgnoreCase)
    {
        "del", "unlink", "hdel", "srem", "zrem", "sadd", "smove", "lrem", "expire", "pexpire", "expireat", "pexpireat",
        "persist", "setnx", "msetnx", "hsetnx", "lpushx", "rpushx", "renamenx", "zremrangebyscore", "zremrangebyrank",
        "zremrangebylex", "linsert", "copy", "move",
    };

    public static bool ZeroMeansNothingDone(string command) => s_zeroIsNothing.Contains(command);
}
