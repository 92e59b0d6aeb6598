using System.Net.Sockets;
using SharpGears.Api;
using SharpGears.Runtime.Protocol;

namespace SharpGears.Runtime.Backend;

/// <summary>
/// A backend connection used with blocking calls by one thread that owns it: an execution worker (so
/// that a script's synchronous <c>Execute</c> is one write and one read, with no hand-off between
/// threads) or the keyspace subscriber. Logged in with the --backend credentials.
/// </summary>
internal sealed class BlockingConnection : IDisposable
{
    private readonly Socket _socket;
    private readonly ArrayBufferWriter<byte> _request = new(256);
    private readonly ReplyWalker _walker = new();
    private byte[] _buffer = new byte[16 * 1024];
    private int _start;
    private int _walked;
    private int _end;

    private BlockingConnection(Socket socket) => _socket = socket;

    /// <summary>
    /// Connects, logs in, names itself <paramref name="clientName"/> and, with <paramref name="selectDatabase"/>, selects the target's database.
    /// Replies that take longer than <paramref name="replyTimeout"/> fail the call.
    /// </summary>
    public static BlockingConnection Connect(BackendTarget target, string clientName, bool selectDatabase, TimeSpan replyTimeout, CancellationToken cancellationToken = default)
    {
        var socket = target.EndPoint is UnixDomainSocketEndPoint
            ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
            : new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        var connection = new BlockingConnection(socket);
        try
        {
            ConnectWithin(socket, target, TimeSpan.FromSeconds(5), cancellationToken);
            socket.ReceiveTimeout = (int)Math.Min(int.MaxValue, replyTimeout.TotalMilliseconds);
            if (target.Password is { } password)
            {
                connection.Execute("AUTH", target.User is { } user ? [user, password] : [password]);
            }
            try
            {
                connection.Execute("CLIENT", ["SETNAME", clientName]); // SharpGears' own, as CLIENT LIST shows
            }
            catch (GearsException)
            {
                // refused (ACL): the name is a courtesy
            }
            if (selectDatabase && target.Database != 0)
            {
                connection.Execute("SELECT", [target.Database]);
            }
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    // Connects with a blocking call: once a .NET socket has run one asynchronous (or non-blocking)
    // operation it stays non-blocking for good, and each blocking Receive becomes a wait for the socket
    // engine's thread to see the reply, two thread wake-ups more per call. The connect runs on a pool
    // thread so that it can be given up after the time-out or at a stop: the caller then closes the
    // socket under it. A Unix socket's blocking connect to a backlog that is full cannot be given up
    // (closing the socket waits for it), so those connect asynchronously, and their replies pass
    // through that thread.
    private static void ConnectWithin(Socket socket, BackendTarget target, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var connecting = target.EndPoint is UnixDomainSocketEndPoint
            ? socket.ConnectAsync(target.EndPoint, cancellationToken).AsTask()
            : Task.Run(() => socket.Connect(target.EndPoint), CancellationToken.None);
        if (!connecting.Wait(timeout, cancellationToken))
        {
            throw new TimeoutException($"no connection to the backend at {target} within {timeout.TotalSeconds:0} s");
        }
    }

    /// <summary>
    /// Sends one command and returns its reply as a script value (see <see cref="RespValue"/>); an
    /// error reply throws a <see cref="GearsException"/>, a broken connection an exception of its own.
    /// </summary>
    public object? Execute(string command, ReadOnlySpan<object?> arguments)
    {
        _request.ResetWrittenCount();
        RespWriter.WriteCommand(_request, command, arguments);
        Send(_request.WrittenSpan);
        return RespValue.Read(ReadFrame(replyDue: true) ?? throw new IOException("the backend closed the connection"));
    }

    public void Send(ReadOnlySpan<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            bytes = bytes[_socket.Send(bytes)..];
        }
    }

    /// <summary>
    /// The next whole reply frame (valid until the next call), or null when the backend closed.
    /// <paramref name="replyDue"/>: a command was just sent, so its reply comes soon.
    /// </summary>
    public ReadOnlySequence<byte>? ReadFrame(bool replyDue = false)
    {
        while (true)
        {
            if (_walked < _end)
            {
                var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(_buffer, _walked, _end - _walked));
                var complete = _walker.Advance(ref reader);
                _walked += (int)reader.Consumed;
                if (complete)
                {
                    var frameStart = _start;
                    _start = _walked;
                    return new ReadOnlySequence<byte>(_buffer, frameStart, _walked - frameStart);
                }
            }
            if (_start == _end)
            {
                _start = _walked = _end = 0;
            }
            else if (_end == _buffer.Length)
            {
                // Make room: move the unfinished frame to the front, or grow for a large one.
                var target = _start > 0 ? _buffer : new byte[_buffer.Length * 2];
                Buffer.BlockCopy(_buffer, _start, target, 0, _end - _start);
                _walked -= _start;
                _end -= _start;
                _start = 0;
                _buffer = target;
            }
            if (replyDue)
            {
                SpinUntilReadable();
            }
            var read = _socket.Receive(_buffer, _end, _buffer.Length - _end, SocketFlags.None);
            if (read == 0)
            {
                return null;
            }
            _end += read;
        }
    }

    // A nearby Redis answers a small command in tens of microseconds, about what it costs to wake a
    // thread that blocked in Receive (more on a virtual machine, where an idle core sleeps): so the
    // caller watches the socket for that long first. (Not a subscriber: its messages come at any time.) Measured with a script's loop of SETs on the
    // 2-core machine: 65 µs a call when blocking at once, 30 µs with the watch.
    private static readonly long s_watchTicks = System.Diagnostics.Stopwatch.Frequency / 20_000; // 50 µs

    private void SpinUntilReadable()
    {
        var until = System.Diagnostics.Stopwatch.GetTimestamp() + s_watchTicks;
        while (_socket.Available == 0 && System.Diagnostics.Stopwatch.GetTimestamp() < until)
        {
            Thread.SpinWait(10);
        }
    }

    /// <summary>The socket's handle, for tests that look at how the operating system sees it.</summary>
    internal SafeSocketHandle SocketHandle => _socket.SafeHandle;

    /// <summary>True once <see cref="Break"/> closed it: a call failed half way, so what the connection holds is unknown.</summary>
    public bool IsBroken { get; private set; }

    public void Break()
    {
        IsBroken = true;
        _socket.Dispose();
    }

    public void Dispose() => _socket.Dispose();
}
