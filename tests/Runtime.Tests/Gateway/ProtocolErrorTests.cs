using System.Net.Sockets;

namespace SharpGears.Runtime.Tests.Gateway;

/// <summary>
/// Malformed requests: the gateway must answer them exactly as Redis does (same "-ERR Protocol error: ..."
/// text, after the replies to whatever was pipelined before) and then close the connection, while
/// its other clients are served on. Every case is sent byte for byte to Redis directly and to the
/// gateway, and the two transcripts are compared.
/// </summary>
public sealed class ProtocolErrorTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    private static readonly Dictionary<string, string> s_malformed = new()
    {
        ["a bulk length that is not a number"] = "*1\r\n$x\r\n",
        ["a multibulk length that is not a number"] = "*x\r\n",
        ["an integer header where a bulk string must be"] = "*1\r\n:1\r\n",
        ["a negative bulk length"] = "*1\r\n$-5\r\n",
        ["a bulk length of -1"] = "*1\r\n$-1\r\n",
        ["a bulk length with a leading zero"] = "*1\r\n$01\r\n",
        ["a bulk length with a space"] = "*1\r\n$ 4\r\n",
        ["a multibulk length with a plus sign"] = "*+1\r\n",
        ["a multibulk length above INT_MAX"] = "*3000000000\r\n",
        ["a bulk length that overflows 64 bits"] = "*1\r\n$99999999999999999999\r\n",
        ["a bulk length above proto-max-bulk-len"] = "*2\r\n$3\r\nSET\r\n$536870913\r\n",
        ["an array header where a bulk string must be"] = "*2\r\n$3\r\nGET\r\n*1\r\n",
        ["an inline request with an unbalanced double quote"] = "SET \"a b\r\n",
        ["an inline request with a closing quote followed by a letter"] = "SET 'a'b c\r\n",
        ["a multibulk count line longer than 64 KB"] = "*" + new string('1', 70_000),
        ["a bulk count line longer than 64 KB"] = "*1\r\n$" + new string('1', 70_000),
        ["an inline request longer than 64 KB"] = new string('a', 70_000),
        // Redis looks at the type byte of a bulk header before it parses the number after it.
        ["a header that is neither '$' nor a number"] = "*1\r\n:x\r\n",
        ["a word where a bulk string header must be"] = "*1\r\nfoo\r\n",
        ["a line feed where a bulk string header must be"] = "*1\r\n\n\r\n",
        ["a non-ASCII byte where a bulk string header must be"] = "*1\r\n\xff" + "1\r\n",
        ["an empty line where a bulk string header must be"] = "*1\r\n\r\n",
        ["an empty line after the command name"] = "*2\r\n$4\r\nECHO\r\n\r\n",
        // Redis finds line ends with strchr, which stops at a NUL byte: the line never ends, until it
        // is longer than 64 KB.
        ["a NUL byte in a multibulk count line"] = "*1\0\r\n" + new string('a', 70_000),
        ["a NUL byte in an inline request"] = "PING\0\n" + new string('a', 70_000),
    };

    public static TheoryData<string> MalformedRequests => new(s_malformed.Keys);

    [Theory]
    [MemberData(nameof(MalformedRequests))]
    public async Task AMalformedRequestGetsRedisOwnProtocolErrorAndTheConnectionIsClosed(string name)
    {
        var request = s_malformed[name];

        var expected = await TranscriptAsync(fixture.Redis.Port, request);
        var actual = await WhileABystanderIsServedAsync(() => TranscriptAsync(fixture.Port, request));

        Assert.StartsWith("-ERR Protocol error: ", expected);
        Assert.EndsWith(Closed, expected);
        Assert.Equal(expected, actual);
    }

    [Theory]
    [MemberData(nameof(MalformedRequests))]
    public async Task CommandsPipelinedBeforeAMalformedRequestAreAnsweredFirst(string name)
    {
        var key = GatewayFixture.Key("before-malformed");
        var request = Latin1(RawClient.Encode("SET", key, "v1")) + "PING\r\n" + Latin1(RawClient.Encode("GET", key)) + s_malformed[name];

        var expected = await TranscriptAsync(fixture.Redis.Port, request);
        var actual = await WhileABystanderIsServedAsync(() => TranscriptAsync(fixture.Port, request));

        Assert.StartsWith("+OK\r\n+PONG\r\n$2\r\nv1\r\n-ERR Protocol error: ", expected);
        Assert.EndsWith(Closed, expected);
        Assert.Equal(expected, actual);
    }

    [Fact]
    public async Task AMalformedHeaderAfterAStreamedArgumentGetsRedisErrorInsteadOfAReset()
    {
        // A small stream threshold makes the gateway forward the unfinished request as it arrives.
        await using var redis = new RedisServer();
        await using var gateway = await GatewayHost.StartAsync(redis, "--SharpGears:StreamThreshold=1024");
        var key = GatewayFixture.Key("streamed");
        var head = $"*4\r\n$3\r\nSET\r\n${key.Length}\r\n{key}\r\n$2000\r\n{new string('v', 2000)}\r\n";
        const string tail = "$x\r\n";

        string actual;
        await using (var client = await gateway.ConnectAsync())
        {
            await client.SendAsync(head);
            // The backend holds the first arguments: the gateway is streaming the request.
            await Wait.UntilAsync(async () => (await BackendClients.ListAsync(redis)).Any(c => c.Contains(" cmd=NULL ") && !c.Contains(" argv-mem=0 ")),
                "the backend holds the unfinished request");
            await client.SendAsync(tail);
            actual = await ReadToEndAsync(client);
        }
        var expected = await TranscriptAsync(redis.Port, head + tail);

        Assert.Equal("-ERR Protocol error: invalid bulk length\r\n" + Closed, expected);
        Assert.Equal(expected, actual);
        Assert.Equal("$-1\r\n", await redis.DirectAsync("GET", key)); // the half request ran nowhere
    }

    [Fact]
    public async Task AnUnauthenticatedRequestWithMoreThanTenArgumentsIsRefusedAndClosedAsRedisDoes()
    {
        await using var redis = new RedisServer("--requirepass", "secret");
        await using var gateway = await GatewayHost.StartAsync(redis);
        string[] mset = ["MSET", .. Enumerable.Range(0, 5).SelectMany(i => new[] { GatewayFixture.Key("unauth"), "v" })];
        var request = Latin1(RawClient.Encode(mset));

        var expected = await TranscriptAsync(redis.Port, request);
        await using var bystander = await gateway.ConnectAsync();
        var actual = await TranscriptAsync(gateway.Port, request);

        Assert.Equal("-ERR Protocol error: unauthenticated multibulk length\r\n" + Closed, expected);
        Assert.Equal(expected, actual);
        Assert.StartsWith("-NOAUTH ", await bystander.CommandAsync("PING"));
    }

    private const string Closed = "<closed>";

    private static string Latin1(byte[] bytes) => Encoding.Latin1.GetString(bytes);

    /// <summary>Sends <paramref name="request"/> on a new connection; returns every reply, then how it ended.</summary>
    private static async Task<string> TranscriptAsync(int port, string request)
    {
        await using var client = await RawClient.ConnectAsync(port);
        try
        {
            await client.SendAsync(request);
        }
        catch (SocketException)
        {
            // The server closed while the request was still going out; what it answered is still readable.
        }
        return await ReadToEndAsync(client);
    }

    private static async Task<string> ReadToEndAsync(RawClient client)
    {
        var transcript = new StringBuilder();
        while (true)
        {
            try
            {
                transcript.Append(await client.ReadAsync(TimeSpan.FromSeconds(5)));
            }
            catch (EndOfStreamException e)
            {
                return transcript.Append(e.Message.Contains(" after ") ? $"<closed mid-frame: {e.Message}>" : Closed).ToString();
            }
            catch (SocketException e)
            {
                return transcript.Append($"<reset: {e.SocketErrorCode}>").ToString();
            }
            catch (OperationCanceledException)
            {
                return transcript.Append("<still open>").ToString();
            }
        }
    }

    /// <summary>Runs <paramref name="action"/> while another gateway client keeps sending commands, checking each reply.</summary>
    private async Task<T> WhileABystanderIsServedAsync<T>(Func<Task<T>> action)
    {
        var counter = GatewayFixture.Key("bystander");
        await using var bystander = await fixture.Gateway.ConnectAsync();
        Assert.Equal(":1\r\n", await bystander.CommandAsync("INCR", counter));
        var done = new TaskCompletionSource();
        var served = 1;
        var serving = Task.Run(async () =>
        {
            while (!done.Task.IsCompleted)
            {
                Assert.Equal($":{served + 1}\r\n", await bystander.CommandAsync("INCR", counter));
                served++;
            }
        });
        T result;
        try
        {
            result = await action();
        }
        finally
        {
            done.SetResult();
        }
        await serving;
        Assert.Equal($":{served + 1}\r\n", await bystander.CommandAsync("INCR", counter));
        return result;
    }
}
