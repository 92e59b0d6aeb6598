using System.Runtime.CompilerServices;
using System.Text;

namespace SharpGears.Runtime.Protocol;

/// <summary>
/// Bytes from Redis or a client turned into the strings scripts see (keys, command arguments), UTF-8
/// decoded. Bytes that are not valid UTF-8 do not survive decoding, so such a string remembers the
/// bytes it came from: when a script hands that very string back (<c>Execute("SET", r.Key, ...)</c>,
/// <c>CallNext(args[1..])</c>), the original bytes go to Redis, not a lookalike key.
/// </summary>
internal static class ScriptText
{
    private static readonly ConditionalWeakTable<string, byte[]> s_originals = [];
    private static volatile bool s_any;

    public static string Decode(ReadOnlySpan<byte> bytes)
    {
        var text = Encoding.UTF8.GetString(bytes);
        if (!System.Text.Unicode.Utf8.IsValid(bytes))
        {
            s_originals.AddOrUpdate(text, bytes.ToArray());
            s_any = true;
        }
        return text;
    }

    /// <summary>The bytes <paramref name="text"/> was decoded from, when they were not valid UTF-8.</summary>
    public static bool TryGetOriginal(string text, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out byte[]? bytes)
    {
        bytes = null;
        return s_any && s_originals.TryGetValue(text, out bytes);
    }
}
