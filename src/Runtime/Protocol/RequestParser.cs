namespace SharpGears.Runtime.Protocol;

/// <summary>
/// Reads one client request the way Redis' <c>processMultibulkBuffer</c> and
/// <c>processInlineBuffer</c> do, with their limits and their error texts.
/// </summary>
/// <remarks>
/// Multibulk requests are not copied: the parser only walks them, captures the command name, and
/// leaves the bytes in the receive buffer to be forwarded as they are. It is resumable inside a
/// multibulk request: after <see cref="RequestStatus.Incomplete"/> the reader stands after the last
/// whole header and any bulk data it could pass, so a caller that streams a large request forwards
/// exactly the bytes consumed and calls <see cref="Advance"/> again with the next buffer. A caller
/// that does not stream calls <see cref="Reset"/> and starts again from the request's first byte.
/// Inline requests (telnet style) are split into arguments (they are rare and small).
/// </remarks>
internal struct RequestParser
{
    /// <summary>Redis' PROTO_INLINE_MAX_SIZE: the longest inline request or header line.</summary>
    public const int InlineMaxSize = 64 * 1024;

    private long _argsLeft;
    private long _bulkLeft;
    private int _argIndex;
    private bool _started;

    public RequestParser(long maxBulkLength)
    {
        MaxBulkLength = maxBulkLength;
        Reset();
    }

    /// <summary>proto-max-bulk-len: the longest bulk argument accepted.</summary>
    public long MaxBulkLength { get; }

    /// <summary>The command name, known once the first argument has been read.</summary>
    public CommandName Name;

    /// <summary>True once <see cref="Name"/> holds the first argument.</summary>
    public bool NameKnown { get; private set; }

    /// <summary>The number of arguments, the command name included.</summary>
    public int ArgumentCount { get; private set; }

    /// <summary>For an inline request, its arguments (multibulk requests are forwarded unparsed).</summary>
    public List<byte[]>? InlineArguments { get; private set; }

    /// <summary>Redis' text for the last <see cref="RequestStatus.ProtocolError"/>, without the "ERR " prefix.</summary>
    public string? Error { get; private set; }

    /// <summary>True while a multibulk request has been started but not finished.</summary>
    public readonly bool InProgress => _started;

    public void Reset()
    {
        _argsLeft = 0;
        _bulkLeft = -1;
        _argIndex = 0;
        _started = false;
        NameKnown = false;
        ArgumentCount = 0;
        InlineArguments = null;
        Error = null;
    }

    public RequestStatus Advance(ref SequenceReader<byte> reader)
    {
        if (!_started)
        {
            if (!reader.TryPeek(out var first))
            {
                return RequestStatus.Incomplete;
            }
            if (first != (byte)'*')
            {
                return ReadInline(ref reader);
            }
            var header = ReadHeader(ref reader, multibulk: true, out var count);
            if (header != RequestStatus.Complete)
            {
                return header;
            }
            if (count > int.MaxValue)
            {
                return Fail("invalid multibulk length");
            }
            if (count <= 0)
            {
                return RequestStatus.Empty;
            }
            _started = true;
            _argsLeft = count;
            ArgumentCount = (int)count;
        }

        while (_argsLeft > 0)
        {
            if (_bulkLeft < 0)
            {
                var probe = reader;
                var header = ReadHeader(ref probe, multibulk: false, out var length);
                if (header != RequestStatus.Complete)
                {
                    return header;
                }
                if (length < 0 || length > MaxBulkLength)
                {
                    return Fail("invalid bulk length");
                }
                reader = probe;
                // Redis skips the two bytes after the data without looking at them; so do we, so
                // that both ends frame the request alike.
                _bulkLeft = length + 2;
                if (_argIndex == 0 && length > CommandName.MaxLength)
                {
                    Name.MarkTooLong();
                    NameKnown = true;
                }
            }
            if (_argIndex == 0 && !NameKnown)
            {
                if (reader.Remaining < _bulkLeft - 2)
                {
                    return RequestStatus.Incomplete;
                }
                Name.Set(reader.UnreadSequence.Slice(0, _bulkLeft - 2));
                NameKnown = true;
            }
            var step = Math.Min(_bulkLeft, reader.Remaining);
            reader.Advance(step);
            _bulkLeft -= step;
            if (_bulkLeft > 0)
            {
                return RequestStatus.Incomplete;
            }
            _bulkLeft = -1;
            _argsLeft--;
            _argIndex++;
        }
        _started = false;
        return RequestStatus.Complete;
    }

    // A header line: a type byte, digits, then '\r' and one more byte (Redis assumes it is '\n').
    // Redis finds the '\r' with strchr, which stops at a NUL byte (a NUL before it hides the end of
    // the line), and checks a bulk header's type byte before it parses the number.
    private RequestStatus ReadHeader(ref SequenceReader<byte> reader, bool multibulk, out long value)
    {
        value = 0;
        var start = reader;
        if (!reader.TryAdvanceToAny("\r\0"u8, advancePastDelimiter: false) || reader.Remaining < 2
            || !reader.TryPeek(out var delimiter) || delimiter == 0)
        {
            reader = start;
            return reader.Remaining > InlineMaxSize
                ? Fail(multibulk ? "too big mbulk count string" : "too big bulk count string")
                : RequestStatus.Incomplete;
        }
        reader.Advance(2);
        start.TryPeek(out var type);
        if (!multibulk && type != (byte)'$')
        {
            return Fail($"expected '$', got '{(char)type}'"); // the byte as it is: see ClientSession's Latin-1 error
        }
        var digitCount = reader.Consumed - start.Consumed - 3;
        Span<byte> digits = stackalloc byte[24];
        if (digitCount <= digits.Length)
        {
            var number = start.UnreadSequence.Slice(1, digitCount);
            number.CopyTo(digits);
            if (RedisInteger.TryParse(digits[..(int)digitCount], out value))
            {
                return RequestStatus.Complete;
            }
        }
        return Fail(multibulk ? "invalid multibulk length" : "invalid bulk length");
    }

    private RequestStatus ReadInline(ref SequenceReader<byte> reader)
    {
        var start = reader;
        // Redis finds the '\n' with strchr, which stops at a NUL byte: a NUL before it hides the end of the line.
        if (!reader.TryAdvanceToAny("\n\0"u8, advancePastDelimiter: false) || !reader.TryPeek(out var delimiter) || delimiter == 0)
        {
            reader = start;
            return reader.Remaining > InlineMaxSize ? Fail("too big inline request") : RequestStatus.Incomplete;
        }
        var line = start.UnreadSequence.Slice(0, reader.Consumed - start.Consumed);
        reader.Advance(1);
        if (line.Length > InlineMaxSize)
        {
            return Fail("too big inline request");
        }
        var bytes = line.ToArray();
        var text = bytes.AsSpan();
        if (text.Length > 0 && text[^1] == (byte)'\r')
        {
            text = text[..^1];
        }
        var args = Protocol.InlineArguments.Split(text);
        if (args is null)
        {
            return Fail("unbalanced quotes in request");
        }
        if (args.Count == 0)
        {
            return RequestStatus.Empty;
        }
        InlineArguments = args;
        ArgumentCount = args.Count;
        Name.Set(args[0]);
        NameKnown = true;
        return RequestStatus.Complete;
    }

    private RequestStatus Fail(string message)
    {
        Error = "Protocol error: " + message;
        return RequestStatus.ProtocolError;
    }
}
