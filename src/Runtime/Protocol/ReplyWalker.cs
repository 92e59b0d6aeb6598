namespace SharpGears.Runtime.Protocol;

/// <summary>
/// Finds where one RESP2/RESP3 reply frame ends, without materialising it. Resumable: a frame may
/// arrive over many reads (a 100 MB bulk string), and the bytes walked so far can be passed on before
/// the frame is complete, so a large reply is streamed rather than held.
/// </summary>
internal sealed class ReplyWalker
{
    // Redis nests Lua replies thousands deep; past this the backend is taken to be talking nonsense.
    private const int MaxDepth = 1 << 16;

    // Elements still expected at each open aggregate; an attribute level is marked, because the value
    // it annotates follows it and it does not count as an element of its parent. Grown as needed.
    private long[] _remaining = new long[16];
    private bool[] _isAttribute = new bool[16];
    private int _depth;
    private long _bulkLeft;
    private bool _started;

    /// <summary>True between the first byte of a frame and its last.</summary>
    public bool InFrame => _started;

    /// <summary>
    /// Walks as far as the reader allows. Returns true when the frame ended (the reader then stands on
    /// the next frame); false when more input is needed (the reader has passed every whole header and
    /// any bulk bytes it had, never half a header).
    /// </summary>
    /// <exception cref="InvalidDataException">The input is not RESP.</exception>
    public bool Advance(ref SequenceReader<byte> reader)
    {
        while (true)
        {
            // Walk the current segment as a span and move the reader once: replies of many small
            // elements (LRANGE, HGETALL) are walked at memory speed.
            var span = reader.UnreadSpan;
            var position = 0;
            while (position < span.Length)
            {
                if (_bulkLeft > 0)
                {
                    var step = (int)Math.Min(_bulkLeft, span.Length - position);
                    position += step;
                    _bulkLeft -= step;
                    if (_bulkLeft > 0)
                    {
                        break;
                    }
                    if (ElementDone())
                    {
                        reader.Advance(position);
                        return true;
                    }
                    continue;
                }
                var newline = span[position..].IndexOf((byte)'\n');
                if (newline < 1)
                {
                    break; // the header line goes on in the next segment
                }
                _started = true;
                var done = Header(span[position], span.Slice(position + 1, Math.Max(0, newline - 2)));
                position += newline + 1;
                if (done)
                {
                    reader.Advance(position);
                    return true;
                }
            }
            reader.Advance(position);
            if (reader.End)
            {
                return false;
            }
            if (_bulkLeft == 0)
            {
                var wasStarted = _started;
                _started = true;
                if (!TryCrossSegmentHeader(ref reader, out var done))
                {
                    _started = wasStarted;
                    return false;
                }
                if (done)
                {
                    return true;
                }
            }
        }
    }

    /// <summary>Forgets a frame in progress (after the connection it came from was lost).</summary>
    public void Reset()
    {
        _depth = 0;
        _bulkLeft = 0;
        _started = false;
    }

    // A header line that starts a segment or crosses into the next one. Lines of text (+, -, ...)
    // may be of any length and only need skipping; a length header is short and is copied out.
    private bool TryCrossSegmentHeader(ref SequenceReader<byte> reader, out bool done)
    {
        done = false;
        var line = reader;
        if (!reader.TryAdvanceTo((byte)'\n'))
        {
            reader = line;
            return false;
        }
        var length = reader.Consumed - line.Consumed;
        line.TryPeek(out var type);
        if (type is not ((byte)'$' or (byte)'!' or (byte)'=' or (byte)'*' or (byte)'~' or (byte)'>' or (byte)'%' or (byte)'|'))
        {
            done = Header(type, default);
            return true;
        }
        Span<byte> copy = stackalloc byte[32];
        if (length < 3 || length > copy.Length)
        {
            throw new InvalidDataException("bad RESP length header");
        }
        line.UnreadSequence.Slice(0, length).CopyTo(copy);
        done = Header(copy[0], copy[1..(int)(length - 2)]);
        return true;
    }

    // Handles one header line (its type byte and the text after it, without "\r\n"). True when the
    // frame is complete.
    private bool Header(byte type, ReadOnlySpan<byte> text)
    {
        switch (type)
        {
            case (byte)'+' or (byte)'-' or (byte)':' or (byte)'_' or (byte)',' or (byte)'#' or (byte)'(':
                return ElementDone();
            case (byte)'$' or (byte)'!' or (byte)'=':
                var length = ReadNumber(text);
                if (length < 0)
                {
                    return ElementDone();
                }
                _bulkLeft = length + 2;
                return false;
            case (byte)'*' or (byte)'~' or (byte)'>' or (byte)'%' or (byte)'|':
                var count = ReadNumber(text);
                if (type is (byte)'%' or (byte)'|')
                {
                    count *= 2;
                }
                if (count <= 0)
                {
                    return type != (byte)'|' && ElementDone();
                }
                if (_depth == _remaining.Length)
                {
                    if (_depth == MaxDepth)
                    {
                        throw new InvalidDataException("RESP reply nested too deeply");
                    }
                    Array.Resize(ref _remaining, _depth * 2);
                    Array.Resize(ref _isAttribute, _depth * 2);
                }
                _remaining[_depth] = count;
                _isAttribute[_depth] = type == (byte)'|';
                _depth++;
                return false;
            default:
                throw new InvalidDataException($"unexpected RESP type byte 0x{type:x2}");
        }
    }

    // One element finished: count it against the open aggregates. True when the frame is complete.
    private bool ElementDone()
    {
        while (_depth > 0)
        {
            if (--_remaining[_depth - 1] > 0)
            {
                return false;
            }
            _depth--;
            if (_isAttribute[_depth])
            {
                return false;
            }
        }
        _started = false;
        return true;
    }

    private static long ReadNumber(ReadOnlySpan<byte> text) =>
        RedisInteger.TryParse(text, out var value) ? value : throw new InvalidDataException("bad RESP length");
}
