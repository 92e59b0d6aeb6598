using System.Globalization;
using SharpGears.Runtime.Protocol;

namespace SharpGears.Runtime.Engine.Linking;

/// <summary>
/// Turns a value a script gives as a client's reply (OverrideReply, a hook's result) into RESP, as
/// RedisGears does: a string becomes a bulk string, one starting with '+' a status and with '-' an
/// error; integers, booleans, null and sequences map to their RESP types; byte arrays, and strings
/// read from Redis that are not UTF-8, are bulk strings of their bytes; anything else is its
/// invariant text. For a RESP3 client nil is RESP3's null and a dictionary a map.
/// </summary>
internal static class ScriptReply
{
    public static byte[] Encode(object? value, bool resp3 = false)
    {
        var writer = new ArrayBufferWriter<byte>(64);
        Write(writer, value, resp3);
        return writer.WrittenSpan.ToArray();
    }

    /// <summary>An error reply for <paramref name="message"/>, which gets Redis' generic "ERR" code unless it starts with a code of its own.</summary>
    public static byte[] Error(string message) => Encode("-" + ErrorText(message));

    /// <summary>One line that starts with an error code ("ERR", "WRONGTYPE", ...).</summary>
    public static string ErrorText(string message)
    {
        message = message.ReplaceLineEndings(" ");
        var code = message.Split(' ', 2)[0];
        return code.Length > 1 && code.All(c => c is >= 'A' and <= 'Z') ? message : "ERR " + message;
    }

    private static void Write(ArrayBufferWriter<byte> writer, object? value, bool resp3)
    {
        switch (value)
        {
            case null:
                RespWriter.WriteRaw(writer, resp3 ? "_\r\n"u8 : "$-1\r\n"u8);
                break;
            case string text when ScriptText.TryGetOriginal(text, out var original):
                RespWriter.WriteBulk(writer, original); // a value read from Redis that is not UTF-8: its bytes
                break;
            case string text when text.StartsWith('+'):
                RespWriter.WriteSimpleString(writer, text[1..].ReplaceLineEndings(" "));
                break;
            case string text when text.StartsWith('-'):
                RespWriter.WriteError(writer, text[1..].ReplaceLineEndings(" "));
                break;
            case string text:
                RespWriter.WriteBulk(writer, text);
                break;
            case byte[] bytes:
                RespWriter.WriteBulk(writer, bytes);
                break;
            case bool flag:
                RespWriter.WriteInteger(writer, flag ? 1 : 0);
                break;
            case long or int or short or byte or sbyte or ushort or uint:
                RespWriter.WriteInteger(writer, Convert.ToInt64(value, CultureInfo.InvariantCulture));
                break;
            case System.Collections.IDictionary map:
                if (resp3)
                {
                    RespWriter.WriteRaw(writer, "%"u8);
                    RespWriter.WriteRaw(writer, System.Text.Encoding.ASCII.GetBytes($"{map.Count}\r\n"));
                }
                else
                {
                    RespWriter.WriteArrayHeader(writer, map.Count * 2);
                }
                foreach (System.Collections.DictionaryEntry entry in map)
                {
                    Write(writer, entry.Key, resp3);
                    Write(writer, entry.Value, resp3);
                }
                break;
            case System.Collections.IEnumerable items:
                var list = items.Cast<object?>().ToList();
                RespWriter.WriteArrayHeader(writer, list.Count);
                foreach (var item in list)
                {
                    Write(writer, item, resp3);
                }
                break;
            case IFormattable formattable:
                RespWriter.WriteBulk(writer, formattable.ToString(null, CultureInfo.InvariantCulture));
                break;
            default:
                RespWriter.WriteBulk(writer, value.ToString() ?? "");
                break;
        }
    }
}
