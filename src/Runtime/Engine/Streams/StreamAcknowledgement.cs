namespace SharpGears.Runtime.Engine.Streams;

/// <summary>
/// Acknowledges a batch's entries and, when the registration trims its stream, removes what every
/// consumer group of the stream is done with, in one script (one round trip, and no entry a group
/// has not acknowledged is removed in between). A group is done with the entries before the first it
/// has pending, or, with none pending, up to the last delivered to it: RedisGears trimmed the stream
/// to its own group's length, taking entries other readers had not read yet.
/// </summary>
internal static class StreamAcknowledgement
{
    public const string Script = """
        local key, group = KEYS[1], ARGV[1]
        local acked = 0
        -- unpack has a stack limit: acknowledge in slices
        for first = 2, #ARGV, 1000 do
          acked = acked + redis.call('XACK', key, group, unpack(ARGV, first, math.min(first + 999, #ARGV)))
        end
        if redis.call('EXISTS', key) == 0 then
          return acked
        end
        local function parse(id)
          local ms, seq = string.match(id, '^(%d+)-(%d+)$')
          return tonumber(ms), tonumber(seq)
        end
        local floor, floorMs, floorSeq
        for _, info in ipairs(redis.call('XINFO', 'GROUPS', key)) do
          local fields = {}
          for i = 1, #info, 2 do fields[info[i]] = info[i + 1] end
          local keep
          if fields['pending'] > 0 then
            keep = redis.call('XPENDING', key, fields['name'])[2]
          else
            local ms, seq = parse(fields['last-delivered-id'])
            -- the next id after the last delivered; an id too large to count on stays
            keep = seq < 9007199254740991 and (string.format('%.0f', ms) .. '-' .. string.format('%.0f', seq + 1)) or fields['last-delivered-id']
          end
          local ms, seq = parse(keep)
          if floor == nil or ms < floorMs or (ms == floorMs and seq < floorSeq) then
            floor, floorMs, floorSeq = keep, ms, seq
          end
        end
        if floor ~= nil then
          redis.call('XTRIM', key, 'MINID', floor)
        end
        return acked
        """;

    public static readonly string Sha1 = Convert.ToHexStringLower(System.Security.Cryptography.SHA1.HashData(System.Text.Encoding.UTF8.GetBytes(Script)));

    /// <summary>XACKs <paramref name="ids"/> in <paramref name="group"/> of <paramref name="key"/>, and trims when <paramref name="trim"/>.</summary>
    public static async Task AcknowledgeAsync(BackendClient backend, string key, string group, bool trim, IReadOnlyList<string> ids)
    {
        if (!trim)
        {
            // No script to run: XACK alone costs Redis less.
            await backend.ExecuteAsync("XACK", [key, group, .. ids]).ConfigureAwait(false);
            return;
        }
        object?[] arguments = [Sha1, "1", key, group, .. ids];
        try
        {
            await backend.ExecuteAsync("EVALSHA", arguments).ConfigureAwait(false);
        }
        catch (Api.GearsException e) when (e.Message.StartsWith("NOSCRIPT", StringComparison.Ordinal))
        {
            // A backend restarted or flushed its scripts: EVAL loads it again.
            arguments[0] = Script;
            await backend.ExecuteAsync("EVAL", arguments).ConfigureAwait(false);
        }
    }
}
