namespace SharpGears.Runtime.Protocol;

/// <summary>Materialises the arguments of a request, for the few commands the gateway looks into.</summary>
internal static class RequestArguments
{
    /// <summary>Reads a whole multibulk request that <see cref="RequestParser"/> has already validated.</summary>
    public static List<byte[]> Read(ReadOnlySequence<byte> request)
    {
        var reader = new SequenceReader<byte>(request);
        var count = ReadHeader(ref reader);
        var arguments = new List<byte[]>((int)count);
        for (var i = 0; i < count; i++)
        {
            var length = ReadHeader(ref reader);
            arguments.Add(reader.UnreadSequence.Slice(0, length).ToArray());
            reader.Advance(length + 2);
        }
        return arguments;
    }

    /// <summary>Where argument <paramref name="index"/> of such a request is (the command's name is 0), without copying it; null when it has fewer.</summary>
    public static ReadOnlySequence<byte>? Locate(ReadOnlySequence<byte> request, int index)
    {
        var reader = new SequenceReader<byte>(request);
        var count = ReadHeader(ref reader);
        if (index >= count)
        {
            return null;
        }
        for (var i = 0; i < index; i++)
        {
            reader.Advance(ReadHeader(ref reader) + 2);
        }
        var length = ReadHeader(ref reader);
        return reader.UnreadSequence.Slice(0, length);
    }

    private static long ReadHeader(ref SequenceReader<byte> reader)
    {
        reader.Advance(1);
        reader.TryReadTo(out ReadOnlySequence<byte> digits, (byte)'\r');
        reader.Advance(1);
        Span<byte> buffer = stackalloc byte[24];
        digits.CopyTo(buffer);
        RedisInteger.TryParse(buffer[..(int)digits.Length], out var value);
        return value;
    }
}
