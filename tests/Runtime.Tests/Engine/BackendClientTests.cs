using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging.Abstractions;
using SharpGears.Api;
using SharpGears.Runtime.Backend;
using SharpGears.Runtime.Engine;

namespace SharpGears.Runtime.Tests.Engine;

/// <summary>The engine's own client, what scripts' Execute will use, against a real redis-server.</summary>
public sealed class BackendClientTests : IAsyncLifetime
{
    private RedisServer _redis = null!;
    private BackendClient _client = null!;

    public async Task InitializeAsync()
    {
        _redis = new RedisServer("--requirepass", "s3cret");
        _client = await StartClientAsync("s3cret");
    }

    public async Task DisposeAsync()
    {
        await _client.DisposeAsync();
        await _redis.DisposeAsync();
    }

    private async Task<BackendClient> StartClientAsync(string password)
    {
        var client = new BackendClient(new BackendTarget(new IPEndPoint(IPAddress.Loopback, _redis.Port), 0, null, password), NullLogger.Instance, TimeSpan.FromSeconds(10));
        await client.StartAsync(CancellationToken.None);
        return client;
    }

    [Fact]
    public async Task RepliesBecomeTheValuesScriptsCastTo()
    {
        var key = GatewayFixture.Key("client");
        Assert.Equal("OK", await _client.ExecuteAsync("SET", key, "héllo"));
        Assert.Equal("héllo", await _client.ExecuteAsync("GET", key));
        Assert.Null(await _client.ExecuteAsync("GET", key + ":missing"));
        Assert.Equal(5L, await _client.ExecuteAsync("INCRBY", key + ":n", 5));
        Assert.Equal(2L, await _client.ExecuteAsync("RPUSH", key + ":l", "a", new byte[] { (byte)'b' }));
        Assert.Equal(new object?[] { "a", "b" }, await _client.ExecuteAsync("LRANGE", key + ":l", 0, -1));
        Assert.Equal(1L, await _client.ExecuteAsync("HSET", key + ":h", "f", 1.5));
        Assert.Equal(new object?[] { "f", "1.5" }, await _client.ExecuteAsync("HGETALL", key + ":h"));
    }

    [Fact]
    public async Task AnErrorReplyIsThrownAsAGearsException()
    {
        var key = GatewayFixture.Key("client");
        await _client.ExecuteAsync("SET", key, "text");
        var error = await Assert.ThrowsAsync<GearsException>(() => _client.ExecuteAsync("LPUSH", key, "x"));
        Assert.StartsWith("WRONGTYPE", error.Message);
        Assert.Equal("text", await _client.ExecuteAsync("GET", key)); // and the client goes on
    }

    [Fact]
    public async Task ThousandConcurrentCommandsEachGetTheirOwnReply()
    {
        var key = GatewayFixture.Key("client");
        var replies = await Task.WhenAll(Enumerable.Range(0, 1000).Select(_ => _client.ExecuteAsync("INCR", key)));
        Assert.Equal(Enumerable.Range(1, 1000).Select(i => (long)i), replies.Cast<long>().Order());
    }

    [Fact]
    public async Task RepliesThatTakeManyReadsArriveWhole()
    {
        // A reply in the connection's buffer is read in place; one that arrives over several reads is
        // gathered first. Both kinds, interleaved on the one connection.
        var key = GatewayFixture.Key("client");
        var large = string.Concat(Enumerable.Range(0, 300_000).Select(i => (char)('a' + (i % 26))));
        await _client.ExecuteAsync("SET", key, large);
        var replies = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => _client.ExecuteAsync(i % 2 == 0 ? "GET" : "STRLEN", key)));
        for (var i = 0; i < replies.Length; i++)
        {
            Assert.Equal(i % 2 == 0 ? large : (object)(long)large.Length, replies[i]);
        }
    }

    [Fact]
    public async Task ScriptCodeAfterAnAwaitNeverRunsOnTheConnectionsReceiveLoop()
    {
        // What resumes from ExecuteAsync may be script code that blocks on another command's reply:
        // on the receive loop, that reply could never be read. (The engine's own readers resume there
        // on purpose, through ExecuteResumingOnReceiveAsync, and never block.)
        var key = GatewayFixture.Key("client");
        var chained = _client.ExecuteAsync("SET", key, "1").ContinueWith(
            _ => _client.ExecuteAsync("GET", key).GetAwaiter().GetResult(), TaskContinuationOptions.ExecuteSynchronously);
        Assert.Equal("1", await chained.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task TheEnginesOwnContinuationsResumeOnTheReceiveLoop()
    {
        // No hand-off: the continuation runs before the receive loop reads the next reply, so a
        // reply pipelined right behind is not yet delivered when it runs.
        var key = GatewayFixture.Key("client");
        var first = _client.ExecuteResumingOnReceiveAsync("SET", key, "1");
        var second = _client.ExecuteAsync("GET", key);
        var secondDeliveredFirst = await first.ContinueWith(_ => second.IsCompleted, TaskContinuationOptions.ExecuteSynchronously);
        Assert.False(secondDeliveredFirst);
        Assert.Equal("1", await second);
    }

    [Fact]
    public async Task ARequestGoesOutWhileTheRepliesBeforeItAreStillDue()
    {
        // A script's commands often chain (a stream's next read behind the last batch's XACK): the
        // engine's connection must not hold a request back until earlier replies arrive, a round
        // trip per link. Seen from Redis: while BLPOP blocks the connection, the ECHO sent after it
        // is already in the connection's query buffer.
        var key = GatewayFixture.Key("client");
        using var observer = BlockingConnection.Connect(
            new BackendTarget(new IPEndPoint(IPAddress.Loopback, _redis.Port), 0, null, "s3cret"), "observer", selectDatabase: false, TimeSpan.FromSeconds(10));
        string? Engine() => ((string)observer.Execute("CLIENT", ["LIST"])!).Split('\n').FirstOrDefault(c => c.Contains(" name=sharpgears-engine ", StringComparison.Ordinal));
        var blocked = _client.ExecuteAsync("BLPOP", key, "10");
        await Wait.UntilAsync(() => Engine()?.Contains(" cmd=blpop ", StringComparison.Ordinal) == true, "BLPOP blocks the engine's connection");
        var echo = _client.ExecuteAsync("ECHO", "after");
        await Wait.UntilAsync(() => Engine()?.Contains(" qbuf=0 ", StringComparison.Ordinal) == false, "the ECHO reaches Redis while BLPOP still blocks", TimeSpan.FromSeconds(5));
        Assert.False(blocked.IsCompleted);
        observer.Execute("LPUSH", [key, "x"]);
        Assert.Equal(new object?[] { key, "x" }, await blocked);
        Assert.Equal("after", await echo);
    }

    [Fact]
    public async Task AWrongPasswordIsReportedNotHidden()
    {
        await using var client = await StartClientAsync("wrong");
        var error = await Assert.ThrowsAsync<GearsException>(() => client.ExecuteAsync("PING"));
        Assert.Contains("WRONGPASS", error.Message);
    }

    [Fact]
    public async Task ABackendThatComesBackIsUsedAgain()
    {
        _redis.Kill();
        await Assert.ThrowsAsync<GearsException>(() => _client.ExecuteAsync("PING")).WaitAsync(TimeSpan.FromSeconds(5));
        _redis.Start();
        await Wait.UntilAsync(async () => "PONG".Equals(await _client.ExecuteAsync("PING")), "the client reconnects");
    }

    [Fact]
    public void ASynchronousCallsConnectionIsABlockingSocket()
    {
        // A .NET socket that ran one asynchronous operation stays non-blocking, and each blocking
        // Receive then waits for the socket engine's thread to hand the reply over: the connection
        // must be made without one, and Receive must read the reply itself.
        var target = new BackendTarget(new IPEndPoint(IPAddress.Loopback, _redis.Port), 0, null, "s3cret");
        using var connection = BlockingConnection.Connect(target, "blocking-test", selectDatabase: false, TimeSpan.FromSeconds(10));
        Assert.Equal("PONG", connection.Execute("PING", []));
        const int GetStatusFlags = 3, NonBlocking = 0x800; // F_GETFL, O_NONBLOCK (Linux)
        var flags = Fcntl((int)connection.SocketHandle.DangerousGetHandle(), GetStatusFlags);
        Assert.True(flags >= 0, $"fcntl failed: {Marshal.GetLastPInvokeError()}");
        Assert.Equal(0, flags & NonBlocking);
    }

    [Fact]
    public void ABlockingConnectToNothingFailsPromptly()
    {
        var nobody = new BackendTarget(new IPEndPoint(IPAddress.Loopback, Ports.Free()), 0, null, null);
        var error = Assert.ThrowsAny<Exception>(() => BlockingConnection.Connect(nobody, "blocking-test", selectDatabase: false, TimeSpan.FromSeconds(10)));
        Assert.IsType<SocketException>(error is AggregateException aggregate ? aggregate.InnerException : error);
    }

    [DllImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static extern int Fcntl(int fd, int command);
}
