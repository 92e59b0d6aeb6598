using SharpGears.Runtime.Protocol;

namespace SharpGears.Runtime.Engine.Commands;

/// <summary>Writes the engine's replies, built as plain values, in RESP.</summary>
internal static class RespReply
{
    /// <summary>A status reply ("+OK"), as opposed to a bulk string.</summary>
    public sealed record Status(string Text);

    /// <summary>
    /// null → nil, string → bulk string, integers → integer, <see cref="Status"/> → status,
    /// <see cref="Exception"/> → error (an entry of an array that failed alone), sequences → arrays.
    /// </summary>
    public static void Write(IBufferWriter<byte> reply, object? value)
    {
        switch (value)
        {
            case null:
                RespWriter.WriteRaw(reply, "$-1\r\n"u8);
                break;
            case string text:
                RespWriter.WriteBulk(reply, text);
                break;
            case long or int:
                RespWriter.WriteInteger(reply, Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture));
                break;
            case bool flag:
                RespWriter.WriteInteger(reply, flag ? 1 : 0);
                break;
            case Status status:
                RespWriter.WriteSimpleString(reply, status.Text);
                break;
            case Exception error:
                RespWriter.WriteError(reply, OneLine(error.Message));
                break;
            case System.Collections.IEnumerable items:
                var list = items.Cast<object?>().ToList();
                RespWriter.WriteArrayHeader(reply, list.Count);
                foreach (var item in list)
                {
                    Write(reply, item);
                }
                break;
            default:
                RespWriter.WriteBulk(reply, value.ToString() ?? "");
                break;
        }
    }

    /// <summary>RESP errors and statuses are one line: line breaks of a message become spaces.</summary>
    public static string OneLine(string message) => message.ReplaceLineEndings(" ");
}
