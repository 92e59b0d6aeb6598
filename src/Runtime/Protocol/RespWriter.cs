using System.Globalization;
using System.Buffers.Text;
using System.Text;

namespace SharpGears.Runtime.Protocol;

/// <summary>Writes RESP replies into a buffer writer.</summary>
internal static class RespWriter
{
    public static void WriteRaw(IBufferWriter<byte> writer, ReadOnlySpan<byte> bytes) => writer.Write(bytes);

    public static void WriteRaw(IBufferWriter<byte> writer, ReadOnlySequence<byte> bytes)
    {
        foreach (var segment in bytes)
        {
            writer.Write(segment.Span);
        }
    }

    /// <summary>An error reply; <paramref name="message"/> starts with its code, e.g. "ERR ...".</summary>
    public static void WriteError(IBufferWriter<byte> writer, string message) => WriteLine(writer, (byte)'-', message);

    /// <summary>An error reply of raw bytes (Redis copies client bytes into some errors as they are).</summary>
    public static void WriteError(IBufferWriter<byte> writer, ReadOnlySpan<byte> message)
    {
        var span = writer.GetSpan(message.Length + 3);
        span[0] = (byte)'-';
        for (var i = 0; i < message.Length; i++)
        {
            span[1 + i] = message[i] is (byte)'\r' or (byte)'\n' ? (byte)' ' : message[i];
        }
        span[1 + message.Length] = (byte)'\r';
        span[2 + message.Length] = (byte)'\n';
        writer.Advance(message.Length + 3);
    }

    public static void WriteSimpleString(IBufferWriter<byte> writer, string text) => WriteLine(writer, (byte)'+', text);

    public static void WriteInteger(IBufferWriter<byte> writer, long value) => WriteHeader(writer, (byte)':', value);

    public static void WriteArrayHeader(IBufferWriter<byte> writer, long count) => WriteHeader(writer, (byte)'*', count);

    public static void WriteBulk(IBufferWriter<byte> writer, ReadOnlySpan<byte> value)
    {
        WriteHeader(writer, (byte)'$', value.Length);
        writer.Write(value);
        writer.Write("\r\n"u8);
    }

    /// <summary>A string as a bulk string: its UTF-8, or the bytes it was decoded from (see <see cref="ScriptText"/>).</summary>
    public static void WriteBulk(IBufferWriter<byte> writer, string value)
    {
        if (ScriptText.TryGetOriginal(value, out var original))
        {
            WriteBulk(writer, original);
            return;
        }
        var length = Encoding.UTF8.GetByteCount(value);
        WriteHeader(writer, (byte)'$', length);
        var span = writer.GetSpan(length + 2);
        Encoding.UTF8.GetBytes(value, span);
        span[length] = (byte)'\r';
        span[length + 1] = (byte)'\n';
        writer.Advance(length + 2);
    }

    /// <summary>
    /// A command made of script values (what <c>Execute</c> is given): strings as UTF-8 (or as the
    /// bytes they were decoded from, see <see cref="ScriptText"/>), byte arrays as they are, numbers in the invariant culture, anything else as its string form.
    /// </summary>
    public static void WriteCommand(IBufferWriter<byte> writer, string command, ReadOnlySpan<object?> arguments)
    {
        WriteArrayHeader(writer, arguments.Length + 1);
        WriteBulk(writer, command);
        Span<byte> digits = stackalloc byte[20];
        foreach (var argument in arguments)
        {
            switch (argument)
            {
                case null:
                    throw new ArgumentNullException(nameof(arguments), $"an argument of {command} is null");
                case byte[] bytes:
                    WriteBulk(writer, bytes);
                    break;
                case string text:
                    WriteBulk(writer, text);
                    break;
                case long or int:
                    Utf8Formatter.TryFormat(Convert.ToInt64(argument, CultureInfo.InvariantCulture), digits, out var written);
                    WriteBulk(writer, digits[..written]);
                    break;
                case IFormattable formattable:
                    WriteBulk(writer, formattable.ToString(null, CultureInfo.InvariantCulture));
                    break;
                default:
                    WriteBulk(writer, argument.ToString() ?? "");
                    break;
            }
        }
    }

    /// <summary>A request as a client sends it: an array of bulk strings.</summary>
    public static void WriteCommand(IBufferWriter<byte> writer, IReadOnlyList<byte[]> arguments)
    {
        WriteArrayHeader(writer, arguments.Count);
        foreach (var argument in arguments)
        {
            WriteBulk(writer, argument);
        }
    }

    public static byte[] EncodeCommand(params string[] arguments)
    {
        var buffer = new ArrayBufferWriter<byte>();
        // ReadOnlySpan (unlike Span) takes a string[] as object[] without a covariance check.
        WriteCommand(buffer, arguments[0], new ReadOnlySpan<object?>(arguments, 1, arguments.Length - 1));
        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteHeader(IBufferWriter<byte> writer, byte type, long value)
    {
        var span = writer.GetSpan(24);
        span[0] = type;
        Utf8Formatter.TryFormat(value, span[1..], out var written);
        span[1 + written] = (byte)'\r';
        span[2 + written] = (byte)'\n';
        writer.Advance(3 + written);
    }

    private static void WriteLine(IBufferWriter<byte> writer, byte type, string text)
    {
        // A status or error line cannot hold a line break; Redis replaces them with spaces too.
        var clean = text.Replace('\r', ' ').Replace('\n', ' ');
        var length = Encoding.UTF8.GetByteCount(clean);
        var span = writer.GetSpan(length + 3);
        span[0] = type;
        Encoding.UTF8.GetBytes(clean, span[1..]);
        span[1 + length] = (byte)'\r';
        span[2 + length] = (byte)'\n';
        writer.Advance(length + 3);
    }
}
