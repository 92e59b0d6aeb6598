using SharpGears.Api;

namespace SharpGears.Runtime.Engine.Streams;

/// <summary>Stream entries as Redis replies with them (XRANGE, XREADGROUP, XAUTOCLAIM), made records.</summary>
internal static class StreamEntries
{
    /// <summary>
    /// Adds the records of <paramref name="entries"/> (<c>[[id, [field, value, ...]], ...]</c>) of the
    /// stream <paramref name="key"/> to <paramref name="records"/>. An entry deleted since it was
    /// delivered has no fields (a nil): it is skipped, and its id added to <paramref name="gone"/>.
    /// </summary>
    public static void Add(string key, object? entries, List<object?> records, List<string>? gone = null)
    {
        foreach (var item in entries as object?[] ?? [])
        {
            if (item is not object?[] { Length: 2 } entry || entry[0] is not string id)
            {
                continue;
            }
            if (entry[1] is not object?[] fields)
            {
                gone?.Add(id);
                continue;
            }
            var value = new Dictionary<string, string>(fields.Length / 2, StringComparer.Ordinal);
            for (var i = 0; i + 1 < fields.Length; i += 2)
            {
                value[(string)fields[i]!] = fields[i + 1] as string ?? "";
            }
            records.Add(new StreamRecord(key, id, value));
        }
    }

    /// <summary>The milliseconds part of an entry id ("1700000000000-3"); 0 when it has none.</summary>
    public static long Milliseconds(string id)
    {
        var dash = id.IndexOf('-');
        return long.TryParse(dash < 0 ? id : id.AsSpan(0, dash), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var ms) ? ms : 0;
    }
}
