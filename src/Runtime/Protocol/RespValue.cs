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
        // One span to walk: a frame is nearly always in one segment already (a pending command reads
        // its reply in place in the connection's buffer); a frame across segments is copied once.
        ReadOnlySpan<byte> bytes = frame.IsSingleSegment ? frame.FirstSpan : frame.ToArray();
        var position = 0;
        var value = ReadValue(bytes, ref position);
        return value is RedisError error ? throw new GearsException(error.Message) : value;
    }

    private sealed record RedisError(string Message);

    private static object? ReadValue(ReadOnlySpan<byte> bytes, ref int position)
    {
        if (position >= bytes.Length)
        {
            throw new InvalidDataException("a RESP frame ended before its last element");
        }
        var type = bytes[position];
        var lineLength = bytes[(position + 1)..].IndexOf((byte)'\r');
        if (lineLength < 0)
        {
            throw new InvalidDataException("a RESP frame ended inside a line");
        }
        var line = bytes.Slice(position + 1, lineLength);
        position += lineLength + 3;
        switch (type)
        {
            case (byte)'+' or (byte)'(':
                return Encoding.UTF8.GetString(line);
            case (byte)'-':
                return new RedisError(Encoding.UTF8.GetString(line));
            case (byte)':':
                return Integer(line);
            case (byte)',':
                return double.Parse(line, CultureInfo.InvariantCulture);
            case (byte)'#':
                return line is [(byte)'t'];
            case (byte)'_':
                return null;
            case (byte)'$' or (byte)'=' or (byte)'!':
                var length = Integer(line);
                if (length < 0)
                {
                    return null;
                }
                if (length > bytes.Length - position - 2 || !bytes.Slice(position + (int)length, 2).SequenceEqual("\r\n"u8))
                {
                    throw new InvalidDataException($"a RESP bulk string of {length} bytes is not followed by CRLF");
                }
                var bulk = ScriptText.Decode(bytes.Slice(position, (int)length));
                position += (int)length + 2;
                return type switch
                {
                    (byte)'=' => bulk.Length > 4 ? bulk[4..] : bulk, // verbatim: "txt:" first
                    (byte)'!' => new RedisError(bulk),
                    _ => bulk,
                };
            case (byte)'*' or (byte)'~' or (byte)'>' or (byte)'%':
                var count = Integer(line);
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
                    items[i] = ReadValue(bytes, ref position);
                }
                return items;
            default:
                throw new InvalidDataException($"unexpected RESP type byte 0x{type:x2}");
        }
    }

    private static long Integer(ReadOnlySpan<byte> digits) =>
        RedisInteger.TryParse(digits, out var value) ? value : throw new InvalidDataException($"'{Encoding.UTF8.GetString(digits)}' is not a RESP integer");
}
