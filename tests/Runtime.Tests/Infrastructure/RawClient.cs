using System.Buffers;
using System.Net;
using System.Net.Sockets;
using SharpGears.Runtime.Protocol;

namespace SharpGears.Runtime.Tests.Infrastructure;

/// <summary>
/// A client on a bare socket: sends exactly the bytes it is given and returns replies as the raw RESP
/// text (Latin-1, so every byte maps to one char), one whole frame at a time.
/// </summary>
public sealed class RawClient : IAsyncDisposable
{
    private readonly Socket _socket;
    private byte[] _received = new byte[64 * 1024];
    private int _count;

    private RawClient(Socket socket) => _socket = socket;

    public static readonly TimeSpan ReplyTimeout = TimeSpan.FromSeconds(15);

    public static async Task<RawClient> ConnectAsync(int port)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
        return new RawClient(socket);
    }

    public Task SendAsync(string raw) => SendAsync(Encoding.Latin1.GetBytes(raw));

    public async Task SendAsync(byte[] raw)
    {
        for (var sent = 0; sent < raw.Length;)
        {
            sent += await _socket.SendAsync(raw.AsMemory(sent), SocketFlags.None);
        }
    }

    /// <summary>Sends a command as a multibulk request and returns its reply.</summary>
    public async Task<string> CommandAsync(params string[] arguments)
    {
        await SendAsync(Encode(arguments));
        return await ReadAsync();
    }

    public static byte[] Encode(params string[] arguments)
    {
        var text = new StringBuilder($"*{arguments.Length}\r\n");
        foreach (var argument in arguments)
        {
            text.Append($"${Encoding.Latin1.GetByteCount(argument)}\r\n{argument}\r\n");
        }
        return Encoding.Latin1.GetBytes(text.ToString());
    }

    /// <summary>Reads the next reply frame, whole.</summary>
    public async Task<string> ReadAsync(TimeSpan? timeout = null) => Encoding.Latin1.GetString(await ReadFrameAsync(timeout));

    public async Task<byte[]> ReadFrameAsync(TimeSpan? timeout = null)
    {
        using var cancel = new CancellationTokenSource(timeout ?? ReplyTimeout);
        while (true)
        {
            var length = FrameLength();
            if (length > 0)
            {
                var frame = _received.AsSpan(0, length).ToArray();
                _received.AsSpan(length, _count - length).CopyTo(_received);
                _count -= length;
                return frame;
            }
            if (_count == _received.Length)
            {
                Array.Resize(ref _received, _received.Length * 2);
            }
            var read = await _socket.ReceiveAsync(_received.AsMemory(_count), SocketFlags.None, cancel.Token);
            if (read == 0)
            {
                throw new EndOfStreamException("the server closed the connection" + (_count > 0 ? $" after {_count} bytes of a frame" : ""));
            }
            _count += read;
        }
    }

    /// <summary>True when the server closes the connection (after any replies still unread) in time.</summary>
    public async Task<bool> IsClosedByServerAsync(TimeSpan? timeout = null)
    {
        using var cancel = new CancellationTokenSource(timeout ?? ReplyTimeout);
        try
        {
            var scratch = new byte[4096];
            while (await _socket.ReceiveAsync(scratch, SocketFlags.None, cancel.Token) > 0)
            {
            }
            return true;
        }
        catch (SocketException)
        {
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>True when no byte arrives within <paramref name="window"/>.</summary>
    public async Task<bool> NothingArrivesWithinAsync(TimeSpan window)
    {
        if (_count > 0)
        {
            return false;
        }
        using var cancel = new CancellationTokenSource(window);
        try
        {
            var read = await _socket.ReceiveAsync(_received.AsMemory(_count), SocketFlags.None, cancel.Token);
            _count += read;
            return false;
        }
        catch (OperationCanceledException)
        {
            return true;
        }
    }

    private int FrameLength()
    {
        if (_count == 0)
        {
            return 0;
        }
        var walker = new ReplyWalker();
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(_received, 0, _count));
        return walker.Advance(ref reader) ? (int)reader.Consumed : 0;
    }

    /// <summary>Closes the socket abruptly (RST), as a crashing client would.</summary>
    public void Abort()
    {
        _socket.LingerState = new LingerOption(true, 0);
        _socket.Close();
    }

    public ValueTask DisposeAsync()
    {
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }
}
