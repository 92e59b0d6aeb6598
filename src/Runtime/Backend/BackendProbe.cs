using System.Net;
using System.Net.Sockets;
using System.Text;

namespace SharpGears.Runtime.Backend;

/// <summary>Asks a Redis something on a fresh, anonymous connection of its own.</summary>
internal static class BackendProbe
{
    /// <summary>The first line Redis answers to PING (e.g. "+PONG", "-NOAUTH ..."), or null if unreachable.</summary>
    public static Task<string?> PingAsync(EndPoint endPoint, CancellationToken cancellationToken) =>
        AskAsync(endPoint, "PING\r\n"u8.ToArray(), cancellationToken);

    /// <summary>
    /// Whether the backend requires AUTH of a new connection: true, false, or null when its answer
    /// tells neither (unreachable, out of connections, ...). It asks CONFIG GET, an administrative
    /// command, because MONITOR does not show those to anyone.
    /// </summary>
    public static async Task<bool?> RequiresAuthenticationAsync(EndPoint endPoint, CancellationToken cancellationToken)
    {
        var reply = await AskAsync(endPoint, "*3\r\n$6\r\nCONFIG\r\n$3\r\nGET\r\n$10\r\nmaxclients\r\n"u8.ToArray(), cancellationToken);
        return reply switch
        {
            null => null,
            _ when reply.StartsWith("-NOAUTH", StringComparison.Ordinal) => true,
            // It ran, or it was refused by the rules of the user a new connection is: no AUTH needed.
            _ when reply.StartsWith('*') || reply.StartsWith("-NOPERM", StringComparison.Ordinal) => false,
            _ => null,
        };
    }

    private static async Task<string?> AskAsync(EndPoint endPoint, byte[] request, CancellationToken cancellationToken)
    {
        using var socket = endPoint is UnixDomainSocketEndPoint
            ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
            : new Socket(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(2));
            await socket.ConnectAsync(endPoint, timeout.Token);
            await socket.SendAsync(request, timeout.Token);
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
