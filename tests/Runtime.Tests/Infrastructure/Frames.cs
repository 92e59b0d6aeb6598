using System.Text.RegularExpressions;

namespace SharpGears.Runtime.Tests.Infrastructure;

/// <summary>Builds expected RESP frames, and reads what a server sent as a list that shows how it ended.</summary>
public static class Frames
{
    public static string Bulk(string value) => $"${Encoding.Latin1.GetByteCount(value)}\r\n{value}\r\n";

    public static string Array(params string[] elements) => $"*{elements.Length}\r\n" + string.Concat(elements);

    public static string Push(params string[] elements) => $">{elements.Length}\r\n" + string.Concat(elements);

    public static string Confirmation(string kind, string channel, int count) => Array(Bulk(kind), Bulk(channel), $":{count}\r\n");

    public static string Message(string channel, string payload) => Array(Bulk("message"), Bulk(channel), Bulk(payload));

    public static string Invalidate(string key) => Push(Bulk("invalidate"), Array(Bulk(key)));

    /// <summary>A HELLO reply with its connection id (which differs per connection) blanked out.</summary>
    public static string WithoutId(string frame) =>
        Regex.Replace(frame, @"\$2\r\nid\r\n:[0-9]+\r\n", _ => "$2\r\nid\r\n:<id>\r\n");

    /// <summary>A MONITOR line with its time and client address (which differ per run) blanked out.</summary>
    public static string WithoutMonitorStamp(string frame) =>
        Regex.Replace(frame, @"^\+[0-9.]+ \[0 [^\]]+\]", "+<time> [0 <client>]");

    /// <summary>
    /// Reads up to <paramref name="count"/> frames; a read that times out, finds the connection closed or
    /// reset ends the list with "&lt;timeout&gt;", "&lt;closed&gt;" or the socket error, so that
    /// assertions show what did arrive.
    /// </summary>
    public static async Task<List<string>> ReadAsync(RawClient client, int count, TimeSpan? timeout = null)
    {
        var frames = new List<string>();
        try
        {
            while (frames.Count < count)
            {
                frames.Add(await client.ReadAsync(timeout ?? TimeSpan.FromSeconds(5)));
            }
        }
        catch (OperationCanceledException)
        {
            frames.Add("<timeout>");
        }
        catch (EndOfStreamException)
        {
            frames.Add("<closed>");
        }
        catch (System.Net.Sockets.SocketException e)
        {
            frames.Add($"<{e.SocketErrorCode}>");
        }
        return frames;
    }

    /// <summary>Sends <paramref name="request"/> on a new connection and returns its first frames; no more may follow.</summary>
    public static async Task<List<string>> ExchangeAsync(int port, byte[] request, int count)
    {
        await using var client = await RawClient.ConnectAsync(port);
        await client.SendAsync(request);
        var frames = await ReadAsync(client, count);
        if (frames.Count == count && !await client.NothingArrivesWithinAsync(TimeSpan.FromMilliseconds(150)))
        {
            frames.Add(await client.ReadAsync());
        }
        return frames;
    }

    /// <summary>
    /// Sends <paramref name="request"/>, which ends with QUIT, and returns its frames followed by
    /// "&lt;closed&gt;" when the server then closes the connection (or "&lt;open&gt;" if it does not).
    /// </summary>
    public static async Task<List<string>> ExchangeUntilClosedAsync(int port, byte[] request, int count)
    {
        await using var client = await RawClient.ConnectAsync(port);
        await client.SendAsync(request);
        var frames = await ReadAsync(client, count);
        if (frames.Count == count && frames[^1] != "<closed>")
        {
            frames.Add(await client.IsClosedByServerAsync(TimeSpan.FromSeconds(5)) ? "<closed>" : "<open>");
        }
        return frames;
    }
}
