using System.Buffers;
using SharpGears.Api;
using SharpGears.Runtime.Protocol;

namespace SharpGears.Runtime.Tests.Protocol;

public class RespValueTests
{
    public static TheoryData<string, object?> Values => new()
    {
        { "+OK\r\n", "OK" },
        { ":42\r\n", 42L },
        { ":-7\r\n", -7L },
        { ":0\r\n", 0L },
        { "$5\r\nhello\r\n", "hello" },
        { "$6\r\nab\r\ncd\r\n", "ab\r\ncd" },
        { "$0\r\n\r\n", "" },
        { "$-1\r\n", null },
        { "*-1\r\n", null },
        { "*0\r\n", Array.Empty<object?>() },
        { "*3\r\n$1\r\na\r\n*2\r\n:1\r\n$-1\r\n+b\r\n", new object?[] { "a", new object?[] { 1L, null }, "b" } },
        { "%2\r\n+a\r\n:1\r\n+b\r\n*1\r\n_\r\n", new object?[] { "a", 1L, "b", new object?[] { null } } },
        { "~1\r\n,3.25\r\n", new object?[] { 3.25 } },
        { ">2\r\n$7\r\nmessage\r\n#t\r\n", new object?[] { "message", true } },
        { "#f\r\n", false },
        { "(123456789012345678901234567890\r\n", "123456789012345678901234567890" },
        { "=15\r\ntxt:Some string\r\n", "Some string" },
        { "$6\r\nh\u00c3\u00a9llo\r\n", "h\u00e9llo" }, // UTF-8 bytes, written here as Latin-1 characters
    };

    [Theory]
    [MemberData(nameof(Values))]
    public void AFrameBecomesTheValueScriptsGet(string frame, object? expected)
    {
        Assert.Equal(expected, RespValue.Read(new ReadOnlySequence<byte>(Encoding.Latin1.GetBytes(frame))));
    }

    [Theory]
    [MemberData(nameof(Values))]
    public void AFrameSplitAnywhereAcrossSegmentsReadsTheSame(string frame, object? expected)
    {
        var bytes = Encoding.Latin1.GetBytes(frame);
        for (var split = 1; split < bytes.Length; split++)
        {
            Assert.Equal(expected, RespValue.Read(Segments.Of(bytes[..split], bytes[split..])));
        }
    }

    [Theory]
    [InlineData("-ERR wrong number\r\n", "ERR wrong number")]
    [InlineData("!9\r\nSYNTAX no\r\n", "SYNTAX no")]
    public void AnErrorReplyThrowsWithItsMessage(string frame, string message)
    {
        var e = Assert.Throws<GearsException>(() => RespValue.Read(new ReadOnlySequence<byte>(Encoding.Latin1.GetBytes(frame))));
        Assert.Equal(message, e.Message);
    }

    [Fact]
    public void ABulkStringThatIsNotUtf8KeepsItsBytes()
    {
        byte[] value = [0xff, 0x00, 0xfe, (byte)'x'];
        byte[] frame = [.. "$4\r\n"u8, .. value, .. "\r\n"u8];
        var text = Assert.IsType<string>(RespValue.Read(new ReadOnlySequence<byte>(frame)));
        Assert.True(ScriptText.TryGetOriginal(text, out var original));
        Assert.Equal(value, original);
    }

    [Theory]
    [InlineData("+OK")]
    [InlineData("$x\r\nab\r\n")]
    [InlineData("*1x\r\n:1\r\n")]
    [InlineData("?1\r\n")]
    [InlineData("$2\r\nab")]
    [InlineData("$2\r\nabc\r\n")]
    [InlineData("*2\r\n:1\r\n")]
    [InlineData("$9999999999\r\nab\r\n")]
    public void AMalformedFrameIsInvalidData(string frame)
    {
        Assert.Throws<InvalidDataException>(() => RespValue.Read(new ReadOnlySequence<byte>(Encoding.Latin1.GetBytes(frame))));
    }
}
