using System.Net;
using System.Net.Sockets;
using System.Text;

namespace SharpGears.Runtime.Backend;

/// <summary>Asks a Redis something on a fresh, anonymous connection of its own.</summary>
internal static class BackendProbe
{
    /// <summary>The first line Redis answers to PING (e.g. "+PONG", "-NOAUTH ..."), or null if unreachable.</summary>
    public static async Task<string?> PingAsync(EndPoint endPoint, CancellationToken cancellationToken)
    {
        using var socket = endPoint is UnixDomainSocketEndPoint
            ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
            : new Socket(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(2));
            await socket.ConnectAsync(endPoint, timeout.Token);
            await socket.SendAsync("PING\r\n"u8.ToArray(), timeout.Token);
            var reply = new byte[256];
            var read = await socket.ReceiveAsync(reply, timeout.Token);
            return Encoding.Latin1.GetString(reply, 0, read).TrimEnd('\r', '\n');
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }
}
