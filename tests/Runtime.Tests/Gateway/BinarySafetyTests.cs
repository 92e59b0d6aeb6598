namespace SharpGears.Runtime.Tests.Gateway;

public class BinarySafetyTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    [Fact]
    public async Task KeysAndValuesWithEveryByteValueRoundTrip()
    {
        var everyByte = new string(Enumerable.Range(0, 256).Select(b => (char)b).ToArray());
        var key = "bin:\r\n\0" + everyByte + Guid.NewGuid();
        var value = everyByte + "\r\n$3\r\n*1\r\n" + everyByte;
        await using var client = await fixture.Gateway.ConnectAsync();
        Assert.Equal("+OK\r\n", await client.CommandAsync("SET", key, value));
        Assert.Equal($"${value.Length}\r\n{value}\r\n", await client.CommandAsync("GET", key));
        Assert.Equal($"${value.Length}\r\n{value}\r\n", await fixture.Redis.DirectAsync("GET", key));
        Assert.Equal("*1\r\n" + $"${key.Length}\r\n{key}\r\n", await client.CommandAsync("KEYS", "bin:\r\n\0*" + key[^36..]));
    }

    [Fact]
    public async Task ValueThatLooksLikeRespIsJustAValue() =>
        await Differential.AssertSameAsync(fixture, key =>
            Encoding.Latin1.GetString([.. RawClient.Encode("SET", key, "+OK\r\n-ERR x\r\n*1\r\n:1\r\n"), .. RawClient.Encode("GET", key)]), 2);
}
