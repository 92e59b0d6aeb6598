namespace SharpGears.Runtime.Tests.Gateway;

public class PipeliningTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    [Fact]
    public async Task TenThousandPipelinedCommandsInOneWriteGetRedisRepliesInOrder()
    {
        await Differential.AssertSameAsync(fixture, key =>
        {
            var request = new StringBuilder();
            for (var i = 0; i < 2_000; i++)
            {
                request.Append(Text("SET", $"{key}:{i}", i.ToString()));
                request.Append(Text("GET", $"{key}:{i}"));
                request.Append(Text("INCR", $"{key}:counter"));
                request.Append(Text("LPUSH", $"{key}:list", i.ToString()));
                request.Append(Text("LRANGE", $"{key}:list", "0", "2"));
            }
            return request.ToString();
        }, 10_000);
    }

    [Fact]
    public async Task InlineCommandsAreAnsweredAsRedisAnswersThem()
    {
        const string request =
            "PING\r\n" +
            "SET {k} \"hello world\"\r\n" +
            "GET {k}\r\n" +
            "\r\n" +                                 // an empty line: ignored, no reply
            "SET {k}:2 'it\\'s'\n" +                 // a bare \n ends a line too
            "GET {k}:2\r\n" +
            "APPEND {k} \"\\x41\\n\"\r\n" +
            "GET {k}\r\n" +
            "ECHO \"tab\\there\"\r\n";
        await Differential.AssertSameAsync(fixture, request, 8);
    }

    [Fact]
    public async Task InlineAndMultibulkCommandsMixInOnePipeline()
    {
        await Differential.AssertSameAsync(fixture, key => $"SET {key} 1\r\n" + Text("INCR", key) + $"INCR {key}\r\nGET {key}\r\n", 4);
    }

    [Fact]
    public async Task RequestArrivingOneByteAtATimeIsAnswered()
    {
        await using var client = await fixture.Gateway.ConnectAsync();
        var bytes = RawClient.Encode("ECHO", "slowly but surely");
        foreach (var b in bytes)
        {
            await client.SendAsync([b]);
        }
        Assert.Equal("$17\r\nslowly but surely\r\n", await client.ReadAsync());
    }

    [Fact]
    public async Task ManyClientsPipeliningConcurrentlyEachGetTheirOwnRepliesInOrder()
    {
        var tasks = Enumerable.Range(0, 20).Select(async client =>
        {
            await using var connection = await fixture.Gateway.ConnectAsync();
            var key = GatewayFixture.Key($"client{client}");
            var request = new List<byte>();
            for (var i = 0; i < 500; i++)
            {
                request.AddRange(RawClient.Encode("INCR", key));
            }
            await connection.SendAsync([.. request]);
            for (var i = 1; i <= 500; i++)
            {
                Assert.Equal($":{i}\r\n", await connection.ReadAsync());
            }
        });
        await Task.WhenAll(tasks);
    }

    private static string Text(params string[] arguments) => Encoding.Latin1.GetString(RawClient.Encode(arguments));
}
