using SharpGears.Api;

namespace SharpGears.Runtime.Engine.KeyEvents;

/// <summary>
/// Builds the <see cref="KeyRecord"/> of a keyspace event: reads the key's type and value from the
/// backend only as far as the registration needs them. Most events name their key's type (a "set" is
/// a string's, an "hset" a hash's), so the value is read with one command and the type is asked for
/// only when the guess was wrong or the event says nothing.
/// </summary>
internal static class KeyRecordReader
{
    /// <summary>The type of key an event implies, when it implies one whose value a record carries.</summary>
    private static string? ImpliedType(string eventName) => eventName switch
    {
        "set" or "setrange" or "incrby" or "incrbyfloat" or "append" => "string",
        "hset" or "hincrby" or "hincrbyfloat" or "hdel" => "hash",
        "lpush" or "rpush" or "lpop" or "rpop" or "linsert" or "lset" or "lrem" or "ltrim" => "list",
        _ => null,
    };

    // Reads type and value without touching a missing key the way TYPE and GET do: those publish a
    // "keymiss" of their own, which would fire keymiss registrations for reads no client made (and a
    // keymiss registration reading its own key would loop). OBJECT ENCODING looks a key up silently.
    private const string QuietRead = """
        local key = KEYS[1]
        if not redis.call('OBJECT', 'ENCODING', key) then return {'empty'} end
        local keyType = redis.call('TYPE', key)['ok']
        if ARGV[1] == '1' then
            if keyType == 'string' then return {keyType, redis.call('GET', key)} end
            if keyType == 'hash' then return {keyType, redis.call('HGETALL', key)} end
            if keyType == 'list' then return {keyType, redis.call('LRANGE', key, 0, -1)} end
        end
        return {keyType}
        """;

    /// <summary>
    /// The record of <paramref name="eventName"/> on <paramref name="key"/>. With
    /// <paramref name="quiet"/> (the backend publishes key misses) it reads without causing any.
    /// </summary>
    public static async ValueTask<KeyRecord> ReadAsync(BackendClient backend, string key, string eventName, bool readValue, bool needType, bool quiet)
    {
        if (eventName == "keymiss")
        {
            return new KeyRecord(key, null, "empty", eventName); // nothing there to read
        }
        if (quiet && (readValue || needType))
        {
            var reply = await backend.ExecuteAsync("EVAL", QuietRead, 1, key, readValue ? "1" : "0").ConfigureAwait(false) as object?[] ?? [];
            var found = reply.Length > 0 && reply[0] is string t ? t : "empty";
            return new KeyRecord(key, reply.Length > 1 ? ValueOf(found, reply[1]) : null, found, eventName);
        }
        if (!readValue)
        {
            return new KeyRecord(key, null, needType ? await TypeOfAsync(backend, key).ConfigureAwait(false) : "unknown", eventName);
        }
        if (ImpliedType(eventName) is { } implied)
        {
            try
            {
                var (found, value) = await ReadValueAsync(backend, key, implied).ConfigureAwait(false);
                return new KeyRecord(key, value, found ? implied : "empty", eventName);
            }
            catch (GearsException e) when (e.Message.StartsWith("WRONGTYPE", StringComparison.Ordinal))
            {
                // The key was replaced by one of another type since the event: ask.
            }
        }
        var type = await TypeOfAsync(backend, key).ConfigureAwait(false);
        if (type is "string" or "hash" or "list")
        {
            var (found, value) = await ReadValueAsync(backend, key, type).ConfigureAwait(false);
            return new KeyRecord(key, value, found ? type : "empty", eventName);
        }
        return new KeyRecord(key, null, type, eventName);
    }

    private static object? ValueOf(string type, object? reply) => type switch
    {
        "hash" => ToMap(reply as object?[] ?? []),
        "list" => Array.ConvertAll(reply as object?[] ?? [], item => item as string),
        _ => reply as string,
    };

    private static Dictionary<string, string?> ToMap(object?[] pairs)
    {
        var map = new Dictionary<string, string?>(pairs.Length / 2);
        for (var i = 0; i + 1 < pairs.Length; i += 2)
        {
            map[(string)pairs[i]!] = pairs[i + 1] as string;
        }
        return map;
    }

    private static async ValueTask<string> TypeOfAsync(BackendClient backend, string key) =>
        await backend.ExecuteAsync("TYPE", key).ConfigureAwait(false) is string type && type != "none" ? type : "empty";

    // Values as GEARS-REFERENCE.md gives them: a string, a map of field to value, a list. A missing key
    // reads as nil or empty (Redis has no empty hashes or lists).
    private static async ValueTask<(bool Found, object? Value)> ReadValueAsync(BackendClient backend, string key, string type)
    {
        var reply = await (type switch
        {
            "string" => backend.ExecuteAsync("GET", key),
            "hash" => backend.ExecuteAsync("HGETALL", key),
            _ => backend.ExecuteAsync("LRANGE", key, "0", "-1"),
        }).ConfigureAwait(false);
        return (reply is string or object?[] { Length: > 0 }, ValueOf(type, reply));
    }
}
