using System.Globalization;
using System.Text;
using SharpGears.Api;

namespace SharpGears.Runtime.Protocol;

/// <summary>
/// Turns one whole reply frame into the values scripts get from <c>Execute</c>: a <see cref="string"/>
/// for bulk and status replies (UTF-8; see <see cref="ScriptText"/> for bytes that are not), a <see cref="long"/> for integers, an <c>object?[]</c> for
/// arrays (maps and sets flattened as Redis' RESP2 form has them), null for nil. An error reply
/// becomes a <see cref="GearsException"/>, thrown by <see cref="Read"/>.
/// </summary>
internal static class RespValue
{
    public static object? Read(ReadOnlySequence<byte> frame)
    {
        var reader = new SequenceReader<byte>(frame);
        var value = ReadValue(ref reader);
        return value is RedisError error ? throw new GearsException(error.Message) : value;
    }

    private sealed record RedisError(string Message);

    private static object? ReadValue(ref SequenceReader<byte> reader)
    {
        reader.TryRead(out var type);
        reader.TryReadTo(out ReadOnlySequence<byte> line, (byte)'\r');
        reader.Advance(1);
        var text = Encoding.UTF8.GetString(line);
        switch (type)
        {
            case (byte)'+' or (byte)'(':
                return text;
            case (byte)'-':
                return new RedisError(text);
            case (byte)':':
                return long.Parse(text, CultureInfo.InvariantCulture);
            case (byte)',':
                return double.Parse(text, CultureInfo.InvariantCulture);
            case (byte)'#':
                return text == "t";
            case (byte)'_':
                return null;
            case (byte)'$' or (byte)'=' or (byte)'!':
                var length = long.Parse(text, CultureInfo.InvariantCulture);
                if (length < 0)
                {
                    return null;
                }
                var slice = reader.UnreadSequence.Slice(0, length);
                var bulk = ScriptText.Decode(slice.IsSingleSegment ? slice.FirstSpan : slice.ToArray());
                reader.Advance(length + 2);
                return type switch
                {
                    (byte)'=' => bulk.Length > 4 ? bulk[4..] : bulk, // verbatim: "txt:" first
                    (byte)'!' => new RedisError(bulk),
                    _ => bulk,
                };
            case (byte)'*' or (byte)'~' or (byte)'>' or (byte)'%':
                var count = long.Parse(text, CultureInfo.InvariantCulture);
                if (count < 0)
                {
                    return null;
                }
                if (type == (byte)'%')
                {
                    count *= 2;
                }
                var items = new object?[count];
                for (var i = 0; i < count; i++)
                {
                    items[i] = ReadValue(ref reader);
                }
                return items;
            default:
                throw new InvalidDataException($"unexpected RESP type byte 0x{type:x2}");
        }
    }
}
