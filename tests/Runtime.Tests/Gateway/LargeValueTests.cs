namespace SharpGears.Runtime.Tests.Gateway;

/// <summary>
/// 100 MB bulk strings go through the gateway without it holding several copies: requests are
/// streamed to the backend as they arrive and replies to the client as they come.
/// The gateway runs as its own process here, so that its peak memory is its own.
/// </summary>
public sealed class LargeValueTests : IAsyncLifetime
{
    private const int Size = 100 * 1024 * 1024;
    private RedisServer _redis = null!;
    private GatewayProcess _gateway = null!;

    public async Task InitializeAsync()
    {
        _redis = new RedisServer();
        _gateway = await GatewayProcess.StartAsync("--backend", _redis.Url);
    }

    public async Task DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _redis.DisposeAsync();
    }

    [Fact]
    public async Task HundredMegabyteValueRoundTripsWithoutTheGatewayHoldingACopy()
    {
        var key = GatewayFixture.Key("big");
        var value = new byte[Size];
        for (var i = 0; i < value.Length; i++)
        {
            value[i] = (byte)(i * 7 + (i >> 13));
        }
        await using var client = await RawClient.ConnectAsync(_gateway.Port);
        Assert.Equal("+PONG\r\n", await client.CommandAsync("PING"));
        var baseline = _gateway.StatusKilobytes("VmRSS");

        await client.SendAsync(Encoding.ASCII.GetBytes($"*3\r\n$3\r\nSET\r\n${key.Length}\r\n{key}\r\n${Size}\r\n"));
        await client.SendAsync(value);
        await client.SendAsync("\r\n"u8.ToArray());
        Assert.Equal("+OK\r\n", await client.ReadAsync(TimeSpan.FromMinutes(1)));
        Assert.Equal($":{Size}\r\n", await _redis.DirectAsync("STRLEN", key));

        await client.SendAsync(RawClient.Encode("GET", key));
        var reply = await client.ReadFrameAsync(TimeSpan.FromMinutes(1));
        var header = Encoding.ASCII.GetBytes($"${Size}\r\n");
        Assert.Equal(header.Length + Size + 2, reply.Length);
        Assert.True(reply.AsSpan(header.Length, Size).SequenceEqual(value), "the value came back changed");

        // Peak resident memory grew by well under one copy of the value (both ways streamed).
        var growth = _gateway.StatusKilobytes("VmHWM") - baseline;
        Assert.True(growth < Size / 1024 / 2, $"the gateway's peak memory grew by {growth} kB for a {Size / 1024} kB value");
    }

    [Fact]
    public async Task OtherClientsAreServedWhileALargeValueIsInTransit()
    {
        var key = GatewayFixture.Key("big");
        await using var uploader = await RawClient.ConnectAsync(_gateway.Port);
        await using var other = await RawClient.ConnectAsync(_gateway.Port);
        await uploader.SendAsync(Encoding.ASCII.GetBytes($"*3\r\n$3\r\nSET\r\n${key.Length}\r\n{key}\r\n${Size}\r\n"));
        await uploader.SendAsync(new byte[Size / 2]); // half the value, then a pause
        Assert.Equal("+PONG\r\n", await other.CommandAsync("PING"));
        Assert.Equal("+OK\r\n", await other.CommandAsync("SET", key + ":small", "x"));
        await uploader.SendAsync(new byte[Size / 2]);
        await uploader.SendAsync("\r\n"u8.ToArray());
        Assert.Equal("+OK\r\n", await uploader.ReadAsync(TimeSpan.FromMinutes(1)));
    }

    [Fact]
    public async Task HundredMegabyteValueReadOnASharedConnectionArrivesWholeAndOthersAreServed()
    {
        var key = GatewayFixture.Key("big-shared");
        // Made directly on Redis (zero bytes and a final 'y'), so the reader stays on a shared connection.
        Assert.Equal($":{Size}\r\n", await _redis.DirectAsync("SETRANGE", key, (Size - 1).ToString(), "y"));
        await using var reader = await RawClient.ConnectAsync(_gateway.Port);
        await using var other = await RawClient.ConnectAsync(_gateway.Port);
        await reader.SendAsync(RawClient.Encode("GET", key));
        Assert.Equal("+PONG\r\n", await other.CommandAsync("PING"));
        var reply = await reader.ReadFrameAsync(TimeSpan.FromMinutes(1));
        var header = $"${Size}\r\n".Length;
        Assert.Equal(header + Size + 2, reply.Length);
        Assert.Equal((byte)'y', reply[header + Size - 1]);
        Assert.Equal("+PONG\r\n", await reader.CommandAsync("PING"));
    }
}
