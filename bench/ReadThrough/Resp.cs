using System.Buffers.Text;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace SharpGears.ReadThroughBench;

/// <summary>
/// A minimal synchronous RESP2 client over one blocking socket (TCP_NODELAY): write a command, read
/// its reply. Bulk replies are returned as spans into the receive buffer, valid until the next read,
/// so a timed read allocates nothing.
/// </summary>
internal sealed class Resp : IDisposable
{
    private readonly Socket _socket;
    private byte[] _out = new byte[64 * 1024];
    private int _outLength;
    private byte[] _in = new byte[64 * 1024];
    private int _start, _end;

    public Resp(int port)
    {
        Port = port;
        _socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        _socket.Connect(new IPEndPoint(IPAddress.Loopback, port));
    }

    public int Port { get; }

    public void Dispose() => _socket.Dispose();

    // ---- writing: Begin(argc), Arg(...) per argument, then Flush() (several commands may be buffered)

    public Resp Begin(int argc)
    {
        Ensure(16);
        _out[_outLength++] = (byte)'*';
        WriteInteger(argc);
        return this;
    }

    public Resp Arg(ReadOnlySpan<byte> value)
    {
        Ensure(value.Length + 16);
        _out[_outLength++] = (byte)'$';
        WriteInteger(value.Length);
        value.CopyTo(_out.AsSpan(_outLength));
        _outLength += value.Length;
        _out[_outLength++] = (byte)'\r';
        _out[_outLength++] = (byte)'\n';
        return this;
    }

    public Resp Arg(string value) => Arg(Encoding.UTF8.GetBytes(value));

    public void Flush()
    {
        var sent = 0;
        while (sent < _outLength)
        {
            sent += _socket.Send(_out, sent, _outLength - sent, SocketFlags.None);
        }
        _outLength = 0;
    }

    private void WriteInteger(long value)
    {
        Utf8Formatter.TryFormat(value, _out.AsSpan(_outLength), out var written);
        _outLength += written;
        _out[_outLength++] = (byte)'\r';
        _out[_outLength++] = (byte)'\n';
    }

    private void Ensure(int more)
    {
        if (_outLength + more > _out.Length)
        {
            Array.Resize(ref _out, Math.Max(_out.Length * 2, _outLength + more));
        }
    }

    // ---- reading

    /// <summary>Reads a bulk string reply: its bytes (valid until the next read), or null (a nil reply).</summary>
    public bool ReadBulk(out ReadOnlySpan<byte> value)
    {
        var line = ReadLine(out var type);
        if (type == '$')
        {
            var length = ParseInteger(line);
            if (length < 0)
            {
                value = default;
                return false;
            }
            Fill((int)length + 2);
            value = _in.AsSpan(_start, (int)length);
            _start += (int)length + 2;
            return true;
        }
        throw Unexpected(type, line, "a bulk string");
    }

    /// <summary>Reads a status or integer reply as text; an error reply throws.</summary>
    public string ReadSimple()
    {
        var line = ReadLine(out var type);
        if (type is '+' or ':')
        {
            return Encoding.UTF8.GetString(line);
        }
        throw Unexpected(type, line, "a status or integer");
    }

    /// <summary>Sends a command and returns its status or integer reply.</summary>
    public string Call(params string[] arguments)
    {
        Begin(arguments.Length);
        foreach (var argument in arguments)
        {
            Arg(argument);
        }
        Flush();
        return ReadSimple();
    }

    private Exception Unexpected(char type, ReadOnlySpan<byte> line, string wanted) =>
        new InvalidOperationException($"port {Port}: expected {wanted}, got {(type == '-' ? "the error" : $"'{type}'")} {Encoding.UTF8.GetString(line)}");

    // One reply line (without its type byte and CRLF), as a span into the buffer.
    private ReadOnlySpan<byte> ReadLine(out char type)
    {
        var searched = 0;
        while (true)
        {
            var at = _in.AsSpan(_start + searched, _end - _start - searched).IndexOf("\r\n"u8);
            if (at >= 0)
            {
                var lineEnd = _start + searched + at;
                type = (char)_in[_start];
                var line = _in.AsSpan(_start + 1, lineEnd - _start - 1);
                _start = lineEnd + 2;
                return line;
            }
            searched = Math.Max(0, _end - _start - 1);
            Receive();
        }
    }

    // Until at least count bytes are buffered from _start.
    private void Fill(int count)
    {
        while (_end - _start < count)
        {
            Receive(); // grows the buffer when it is full
        }
    }

    private void Receive()
    {
        if (_start > 0)
        {
            // Keep what is unread at the front: spans handed out before are dead by now.
            Buffer.BlockCopy(_in, _start, _in, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }
        if (_end == _in.Length)
        {
            Array.Resize(ref _in, _in.Length * 2);
        }
        var read = _socket.Receive(_in, _end, _in.Length - _end, SocketFlags.None);
        if (read == 0)
        {
            throw new IOException($"port {Port}: the connection was closed");
        }
        _end += read;
    }

    private static long ParseInteger(ReadOnlySpan<byte> line) =>
        Utf8Parser.TryParse(line, out long value, out var consumed) && consumed == line.Length
            ? value
            : throw new InvalidOperationException($"not an integer: {Encoding.UTF8.GetString(line)}");
}
