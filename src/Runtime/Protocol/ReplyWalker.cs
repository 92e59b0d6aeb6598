namespace SharpGears.Runtime.Protocol;

/// <summary>
/// Finds where one RESP2/RESP3 reply frame ends, without materialising it. Resumable: a frame may
/// arrive over many reads (a 100 MB bulk string), and the bytes walked so far can be passed on before
/// the frame is complete, so a large reply is streamed rather than held.
/// </summary>
internal sealed class ReplyWalker
{
    private const int MaxDepth = 128;

    // Elements still expected at each open aggregate; an attribute level is marked, because the value
    // it annotates follows it and it does not count as an element of its parent.
    private readonly long[] _remaining = new long[MaxDepth];
    private readonly bool[] _isAttribute = new bool[MaxDepth];
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
            if (_bulkLeft > 0)
            {
                var step = Math.Min(_bulkLeft, reader.Remaining);
                reader.Advance(step);
                _bulkLeft -= step;
                if (_bulkLeft > 0)
                {
                    return false;
                }
                if (ElementDone())
                {
                    return true;
                }
                continue;
            }

            var line = reader;
            if (!reader.TryAdvanceTo((byte)'\n'))
            {
                reader = line;
                return false;
            }
            _started = true;
            line.TryRead(out var type);
            var numberLength = reader.Consumed - line.Consumed - 2;
            switch (type)
            {
                case (byte)'+' or (byte)'-' or (byte)':' or (byte)'_' or (byte)',' or (byte)'#' or (byte)'(':
                    if (ElementDone())
                    {
                        return true;
                    }
                    break;
                case (byte)'$' or (byte)'!' or (byte)'=':
                    var length = ReadNumber(line, numberLength);
                    if (length < 0)
                    {
                        if (ElementDone())
                        {
                            return true;
                        }
                        break;
                    }
                    _bulkLeft = length + 2;
                    break;
                case (byte)'*' or (byte)'~' or (byte)'>' or (byte)'%' or (byte)'|':
                    var count = ReadNumber(line, numberLength);
                    if (type is (byte)'%' or (byte)'|')
                    {
                        count *= 2;
                    }
                    if (count <= 0)
                    {
                        if (type != (byte)'|' && ElementDone())
                        {
                            return true;
                        }
                        break;
                    }
                    if (_depth == MaxDepth)
                    {
                        throw new InvalidDataException("RESP reply nested too deeply");
                    }
                    _remaining[_depth] = count;
                    _isAttribute[_depth] = type == (byte)'|';
                    _depth++;
                    break;
                default:
                    throw new InvalidDataException($"unexpected RESP type byte 0x{type:x2}");
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

    private static long ReadNumber(SequenceReader<byte> reader, long length)
    {
        Span<byte> digits = stackalloc byte[24];
        if (length <= 0 || length > digits.Length)
        {
            throw new InvalidDataException("bad RESP length");
        }
        reader.UnreadSequence.Slice(0, length).CopyTo(digits);
        if (!RedisInteger.TryParse(digits[..(int)length], out var value))
        {
            throw new InvalidDataException("bad RESP length");
        }
        return value;
    }
}
