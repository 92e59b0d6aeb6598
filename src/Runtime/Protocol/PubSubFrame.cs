using System.Text;

namespace SharpGears.Runtime.Protocol;

/// <summary>The kinds of frame that pub/sub puts on a connection.</summary>
internal enum PubSubFrameKind
{
    /// <summary>Not a pub/sub frame: an ordinary reply.</summary>
    None,

    /// <summary>A published message (message, pmessage, smessage): never the reply to a command.</summary>
    Message,

    /// <summary>The confirmation of (un)subscribing to one channel or pattern.</summary>
    Confirmation,
}

/// <summary>The three families of subscription Redis keeps apart.</summary>
internal enum SubscriptionFamily
{
    Channel,
    Pattern,
    Shard,
}

/// <summary>Reads just enough of a frame to tell pub/sub messages and confirmations from replies.</summary>
internal static class PubSubFrame
{
    /// <summary>
    /// Looks at the first element of an array or push frame. Returns false when the buffer does not
    /// yet hold it.
    /// </summary>
    public static bool TryClassify(ReadOnlySequence<byte> frame, out PubSubFrameKind kind, out SubscriptionFamily family, out bool subscribe)
    {
        kind = PubSubFrameKind.None;
        family = SubscriptionFamily.Channel;
        subscribe = false;
        var reader = new SequenceReader<byte>(frame);
        if (!reader.TryPeek(out var type))
        {
            return false;
        }
        if (type is not ((byte)'*' or (byte)'>'))
        {
            return true;
        }
        if (!reader.TryAdvanceTo((byte)'\n'))
        {
            return false;
        }
        if (!TryReadString(ref reader, out var first, out var complete))
        {
            return complete;
        }
        Span<byte> lower = stackalloc byte[16];
        if (first.Length > lower.Length)
        {
            return true;
        }
        first.CopyTo(lower);
        var name = lower[..(int)first.Length];
        Ascii.ToLowerInPlace(name, out _);
        (kind, family, subscribe) = name switch
        {
            _ when name.SequenceEqual("message"u8) => (PubSubFrameKind.Message, SubscriptionFamily.Channel, false),
            _ when name.SequenceEqual("pmessage"u8) => (PubSubFrameKind.Message, SubscriptionFamily.Pattern, false),
            _ when name.SequenceEqual("smessage"u8) => (PubSubFrameKind.Message, SubscriptionFamily.Shard, false),
            _ when name.SequenceEqual("subscribe"u8) => (PubSubFrameKind.Confirmation, SubscriptionFamily.Channel, true),
            _ when name.SequenceEqual("psubscribe"u8) => (PubSubFrameKind.Confirmation, SubscriptionFamily.Pattern, true),
            _ when name.SequenceEqual("ssubscribe"u8) => (PubSubFrameKind.Confirmation, SubscriptionFamily.Shard, true),
            _ when name.SequenceEqual("unsubscribe"u8) => (PubSubFrameKind.Confirmation, SubscriptionFamily.Channel, false),
            _ when name.SequenceEqual("punsubscribe"u8) => (PubSubFrameKind.Confirmation, SubscriptionFamily.Pattern, false),
            _ when name.SequenceEqual("sunsubscribe"u8) => (PubSubFrameKind.Confirmation, SubscriptionFamily.Shard, false),
            _ => (PubSubFrameKind.None, SubscriptionFamily.Channel, false),
        };
        return true;
    }

    /// <summary>Reads the channel of a whole confirmation frame (null for "unsubscribed from nothing").</summary>
    public static string? ReadChannel(ReadOnlySequence<byte> frame)
    {
        var reader = new SequenceReader<byte>(frame);
        reader.TryAdvanceTo((byte)'\n');
        TryReadString(ref reader, out _, out _);
        return TryReadString(ref reader, out var channel, out _) ? Encoding.Latin1.GetString(channel) : null;
    }

    // A bulk or simple string element. complete=false means the buffer ends inside it.
    private static bool TryReadString(ref SequenceReader<byte> reader, out ReadOnlySequence<byte> value, out bool complete)
    {
        value = default;
        complete = false;
        var start = reader;
        if (!reader.TryRead(out var type) || !reader.TryReadTo(out ReadOnlySequence<byte> line, (byte)'\r') || !reader.TryAdvance(1))
        {
            reader = start;
            return false;
        }
        complete = true;
        if (type == (byte)'+')
        {
            value = line;
            return true;
        }
        if (type != (byte)'$')
        {
            return false;
        }
        Span<byte> digits = stackalloc byte[20];
        if (line.Length > digits.Length)
        {
            return false;
        }
        line.CopyTo(digits);
        if (!RedisInteger.TryParse(digits[..(int)line.Length], out var length) || length < 0)
        {
            return false;
        }
        if (reader.Remaining < length + 2)
        {
            complete = false;
            reader = start;
            return false;
        }
        value = reader.UnreadSequence.Slice(0, length);
        reader.Advance(length + 2);
        return true;
    }
}

file static class SequenceReaderExtensions
{
    public static bool TryAdvance(this ref SequenceReader<byte> reader, long count)
    {
        if (reader.Remaining < count)
        {
            return false;
        }
        reader.Advance(count);
        return true;
    }
}
