namespace SharpGears.Runtime.Protocol;

/// <summary>Integer parsing with the exact rules of Redis' <c>string2ll</c>.</summary>
internal static class RedisInteger
{
    /// <summary>
    /// Parses a decimal integer as Redis does: an optional '-', no '+', no leading zeros, no spaces,
    /// no overflow. Being exactly as strict as Redis matters: whatever the gateway accepts it forwards,
    /// and the backend must frame it the same way.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> s, out long value)
    {
        value = 0;
        if (s.IsEmpty || s.Length > 20)
        {
            return false;
        }
        if (s.Length == 1 && s[0] == (byte)'0')
        {
            return true;
        }
        var negative = s[0] == (byte)'-';
        var i = negative ? 1 : 0;
        if (i >= s.Length || s[i] < (byte)'1' || s[i] > (byte)'9')
        {
            return false;
        }
        ulong v = 0;
        for (; i < s.Length; i++)
        {
            var d = (uint)(s[i] - (byte)'0');
            if (d > 9 || v > (ulong.MaxValue - d) / 10)
            {
                return false;
            }
            v = (v * 10) + d;
        }
        if (negative)
        {
            if (v > (ulong)long.MaxValue + 1)
            {
                return false;
            }
            value = (long)(0 - v);
            return true;
        }
        if (v > long.MaxValue)
        {
            return false;
        }
        value = (long)v;
        return true;
    }
}
