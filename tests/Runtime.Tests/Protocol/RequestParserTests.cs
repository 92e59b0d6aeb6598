using System.Buffers;
using SharpGears.Runtime.Protocol;

namespace SharpGears.Runtime.Tests.Protocol;

public class RequestParserTests
{
    private static (RequestStatus Status, RequestParser Parser, long Consumed) Parse(string input, long maxBulk = 512L * 1024 * 1024)
        => Parse(new ReadOnlySequence<byte>(Encoding.Latin1.GetBytes(input)), maxBulk);

    private static (RequestStatus Status, RequestParser Parser, long Consumed) Parse(ReadOnlySequence<byte> input, long maxBulk = 512L * 1024 * 1024)
    {
        var parser = new RequestParser(maxBulk);
        var reader = new SequenceReader<byte>(input);
        var status = parser.Advance(ref reader);
        return (status, parser, reader.Consumed);
    }

    [Fact]
    public void MultibulkRequestIsReadWholeWithItsName()
    {
        var (status, parser, consumed) = Parse("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhello\r\n*1\r\n");
        Assert.Equal(RequestStatus.Complete, status);
        Assert.Equal("SET", parser.Name.ToString());
        Assert.Equal(3, parser.ArgumentCount);
        Assert.Equal("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhello\r\n".Length, consumed);
    }

    [Fact]
    public void RequestSplitAtEveryByteAcrossSegmentsParsesTheSame()
    {
        var bytes = Encoding.Latin1.GetBytes("*2\r\n$4\r\nECHO\r\n$12\r\nhello\r\nworld\r\n");
        for (var split = 1; split < bytes.Length; split++)
        {
            var sequence = Segments.Of(bytes[..split], bytes[split..]);
            var (status, parser, consumed) = Parse(sequence);
            Assert.Equal(RequestStatus.Complete, status);
            Assert.Equal("ECHO", parser.Name.ToString());
            Assert.Equal(bytes.Length, consumed);
        }
    }

    [Fact]
    public void EveryPrefixOfARequestIsIncomplete()
    {
        var text = "*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n";
        for (var length = 0; length < text.Length; length++)
        {
            Assert.Equal(RequestStatus.Incomplete, Parse(text[..length]).Status);
        }
    }

    [Theory]
    [InlineData("*0\r\n")]
    [InlineData("*-1\r\n")]
    [InlineData("\r\n")]
    [InlineData("   \n")]
    public void EmptyRequestsAreIgnoredAsRedisDoes(string input) => Assert.Equal(RequestStatus.Empty, Parse(input).Status);

    [Theory]
    [InlineData("*x\r\n", "Protocol error: invalid multibulk length")]
    [InlineData("*01\r\n", "Protocol error: invalid multibulk length")]
    [InlineData("*+1\r\n", "Protocol error: invalid multibulk length")]
    [InlineData("*1\r\n:1\r\n", "Protocol error: expected '$', got ':'")]
    [InlineData("*1\r\n$x\r\n", "Protocol error: invalid bulk length")]
    [InlineData("*1\r\n$-5\r\n", "Protocol error: invalid bulk length")]
    [InlineData("*1\r\n$2000\r\n", "Protocol error: invalid bulk length")]
    [InlineData("SET \"a b\r\n", "Protocol error: unbalanced quotes in request")]
    [InlineData("SET 'a'b\r\n", "Protocol error: unbalanced quotes in request")]
    public void MalformedRequestsGetRedisOwnError(string input, string error)
    {
        var (status, parser, _) = Parse(input, maxBulk: 1024);
        Assert.Equal(RequestStatus.ProtocolError, status);
        Assert.Equal(error, parser.Error);
    }

    [Fact]
    public void HeaderWithoutLineEndPastInlineLimitIsAnError()
    {
        var (status, parser, _) = Parse("*" + new string('1', RequestParser.InlineMaxSize + 10));
        Assert.Equal(RequestStatus.ProtocolError, status);
        Assert.Equal("Protocol error: too big mbulk count string", parser.Error);
        (status, parser, _) = Parse(new string('a', RequestParser.InlineMaxSize + 10));
        Assert.Equal("Protocol error: too big inline request", parser.Error);
    }

    [Fact]
    public void InlineRequestSplitsLikeRedis()
    {
        var (status, parser, _) = Parse("set \"a b\" 'it\\'s' \"\\x41\\n\" plain\r\n");
        Assert.Equal(RequestStatus.Complete, status);
        var args = parser.InlineArguments!.Select(a => Encoding.Latin1.GetString(a)).ToArray();
        Assert.Equal(["set", "a b", "it's", "A\n", "plain"], args);
        Assert.Equal("set", parser.Name.ToString());
    }

    [Fact]
    public void LargeRequestCanBeWalkedInPartsForStreaming()
    {
        var payload = new string('v', 100_000);
        var bytes = Encoding.Latin1.GetBytes($"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n${payload.Length}\r\n{payload}\r\n");
        var parser = new RequestParser(1 << 20);
        long total = 0;
        var status = RequestStatus.Incomplete;
        // Feed 7,000 bytes at a time, as reads would arrive, resuming after each.
        for (var offset = 0; status == RequestStatus.Incomplete; )
        {
            var end = Math.Min(bytes.Length, offset + 7_000);
            var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(bytes, offset, end - offset));
            status = parser.Advance(ref reader);
            offset += (int)reader.Consumed;
            total += reader.Consumed;
            Assert.True(parser.NameKnown || offset < 20);
            if (end == bytes.Length && status == RequestStatus.Incomplete)
            {
                Assert.Fail("request did not complete");
            }
        }
        Assert.Equal(RequestStatus.Complete, status);
        Assert.Equal(bytes.Length, total);
        Assert.Equal("SET", parser.Name.ToString());
    }

    [Fact]
    public void CommandNameLongerThanAnyCommandIsMarkedTooLong()
    {
        var name = new string('x', 40);
        var (status, parser, _) = Parse($"*1\r\n$40\r\n{name}\r\n");
        Assert.Equal(RequestStatus.Complete, status);
        Assert.True(parser.Name.IsTooLong);
    }
}
