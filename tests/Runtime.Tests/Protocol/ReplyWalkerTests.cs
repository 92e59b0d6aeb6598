using System.Buffers;
using SharpGears.Runtime.Protocol;

namespace SharpGears.Runtime.Tests.Protocol;

public class ReplyWalkerTests
{
    public static TheoryData<string> Frames => new()
    {
        "+OK\r\n",
        "-ERR wrong\r\n",
        ":42\r\n",
        "$5\r\nhello\r\n",
        "$-1\r\n",
        "$0\r\n\r\n",
        "*-1\r\n",
        "*0\r\n",
        "*2\r\n$1\r\na\r\n*2\r\n:1\r\n$-1\r\n",
        "%2\r\n+a\r\n:1\r\n+b\r\n*1\r\n_\r\n",
        ">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$3\r\nhi!\r\n",
        "~1\r\n,3.14\r\n",
        "#t\r\n",
        "(123456789012345678901234567890\r\n",
        "=15\r\ntxt:Some string\r\n",
        "!3\r\nerr\r\n",
        "|1\r\n+key\r\n+value\r\n*1\r\n:7\r\n",
        "$6\r\nab\r\ncd\r\n",
    };

    [Theory]
    [MemberData(nameof(Frames))]
    public void FrameEndsExactlyWhereItEndsWhateverFollows(string frame)
    {
        var bytes = Encoding.Latin1.GetBytes(frame + "+NEXT\r\n");
        var walker = new ReplyWalker();
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(bytes));
        Assert.True(walker.Advance(ref reader));
        Assert.Equal(frame.Length, reader.Consumed);
        Assert.False(walker.InFrame);
    }

    [Theory]
    [MemberData(nameof(Frames))]
    public void FrameFedOneByteAtATimeCompletesOnItsLastByte(string frame)
    {
        var bytes = Encoding.Latin1.GetBytes(frame);
        var walker = new ReplyWalker();
        var pending = new List<byte>();
        for (var i = 0; i < bytes.Length; i++)
        {
            pending.Add(bytes[i]);
            var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(pending.ToArray()));
            var done = walker.Advance(ref reader);
            pending.RemoveRange(0, (int)reader.Consumed);
            Assert.Equal(i == bytes.Length - 1, done);
        }
    }

    [Fact]
    public void LargeBulkIsPassedInPartsWithoutBeingHeld()
    {
        var walker = new ReplyWalker();
        var header = new SequenceReader<byte>(new ReadOnlySequence<byte>("$1000000\r\n"u8.ToArray()));
        Assert.False(walker.Advance(ref header));
        Assert.Equal(10, header.Consumed);
        var chunk = new byte[4096];
        long passed = 0;
        while (passed < 1_000_000)
        {
            var size = (int)Math.Min(chunk.Length, 1_000_000 - passed);
            var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(chunk, 0, size));
            Assert.False(walker.Advance(ref reader));
            Assert.Equal(size, reader.Consumed); // every byte handed over is passed on at once
            passed += size;
        }
        var end = new SequenceReader<byte>(new ReadOnlySequence<byte>("\r\n"u8.ToArray()));
        Assert.True(walker.Advance(ref end));
    }

    [Fact]
    public void GarbageIsRejected()
    {
        var walker = new ReplyWalker();
        Assert.Throws<InvalidDataException>(() =>
        {
            var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>("?what\r\n"u8.ToArray()));
            walker.Advance(ref reader);
        });
    }
}
