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

    public static async ValueTask<KeyRecord> ReadAsync(BackendClient backend, string key, string eventName, bool readValue, bool needType)
    {
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

    private static async ValueTask<string> TypeOfAsync(BackendClient backend, string key) =>
        await backend.ExecuteAsync("TYPE", key).ConfigureAwait(false) is string type && type != "none" ? type : "empty";

    // Values as GEARS-REFERENCE.md gives them: a string, a map of field to value, a list. A missing key
    // reads as nil or empty (Redis has no empty hashes or lists).
    private static async ValueTask<(bool Found, object? Value)> ReadValueAsync(BackendClient backend, string key, string type)
    {
        switch (type)
        {
            case "string":
                var text = await backend.ExecuteAsync("GET", key).ConfigureAwait(false) as string;
                return (text is not null, text);
            case "hash":
                var pairs = await backend.ExecuteAsync("HGETALL", key).ConfigureAwait(false) as object?[] ?? [];
                var map = new Dictionary<string, string?>(pairs.Length / 2);
                for (var i = 0; i + 1 < pairs.Length; i += 2)
                {
                    map[(string)pairs[i]!] = pairs[i + 1] as string;
                }
                return (map.Count > 0, map);
            default:
                var items = await backend.ExecuteAsync("LRANGE", key, "0", "-1").ConfigureAwait(false) as object?[] ?? [];
                var list = Array.ConvertAll(items, item => item as string);
                return (list.Length > 0, list);
        }
    }
}
