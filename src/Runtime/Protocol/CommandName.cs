using System.Runtime.CompilerServices;
using System.Text;

namespace SharpGears.Runtime.Protocol;

/// <summary>
/// The first argument of a request, copied out of the receive buffer into a fixed inline buffer so
/// that the command can be identified without allocating a string. Names longer than
/// <see cref="MaxLength"/> bytes are no Redis command; they are kept as <see cref="IsTooLong"/>.
/// </summary>
internal struct CommandName
{
    public const int MaxLength = 32;

    private Buffer _bytes;

    public int Length { get; private set; }

    public bool IsTooLong { get; private set; }

    public readonly ReadOnlySpan<byte> Span =>
        MemoryMarshal.CreateReadOnlySpan(ref Unsafe.AsRef(in _bytes[0]), Length);

    public void Set(ReadOnlySequence<byte> source)
    {
        if (source.Length > MaxLength)
        {
            MarkTooLong();
            return;
        }
        Length = (int)source.Length;
        IsTooLong = false;
        source.CopyTo(_bytes);
    }

    public void Set(ReadOnlySpan<byte> source)
    {
        if (source.Length > MaxLength)
        {
            MarkTooLong();
            return;
        }
        Length = source.Length;
        IsTooLong = false;
        source.CopyTo(_bytes);
    }

    public void MarkTooLong()
    {
        Length = 0;
        IsTooLong = true;
    }

    /// <summary>True when the name starts with <paramref name="prefix"/>, ignoring ASCII case.</summary>
    public readonly bool StartsWithIgnoreCase(ReadOnlySpan<byte> prefix) =>
        Length >= prefix.Length && Ascii.EqualsIgnoreCase(Span[..prefix.Length], prefix);

    /// <summary>The name as text, for error messages and logs (allocates; not for the hot path).</summary>
    public override readonly string ToString() => Encoding.Latin1.GetString(Span);

    [InlineArray(MaxLength)]
    private struct Buffer
    {
        private byte _element;
    }
}
