using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;

namespace SharpGears.Runtime.Tests.Hosting;

/// <summary>
/// Without --backend, SharpGears starts, supervises and stops its own redis-server, with its data
/// under --data-dir and reachable only through a unix socket there.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")] // /proc, unix sockets, signals
public sealed class EmbeddedBackendTests : IDisposable
{
    private readonly string _dataDir = Directory.CreateTempSubdirectory("sg-embedded-").FullName;

    private string RedisDir => Path.Combine(_dataDir, "redis");

    public void Dispose()
    {
        // A redis-server a failed test left behind must not outlive it.
        if (ReadPid() is { } pid && IsRedisServer(pid))
        {
            using var process = Process.GetProcessById(pid);
            process.Kill();
        }
        try
        {
            Directory.Delete(_dataDir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public async Task DataWrittenThroughTheGatewayIsStillThereAfterACleanStopAndAStartOnTheSameDataDir()
    {
        var key = GatewayFixture.Key("persisted");
        await using (var first = await GatewayHost.StartAsync("--data-dir", _dataDir))
        {
            await using var client = await first.ConnectAsync();
            Assert.Equal("+OK\r\n", await client.CommandAsync("SET", key, "kept"));
        }

        await using var second = await GatewayHost.StartAsync("--data-dir", _dataDir);
        await using var again = await second.ConnectAsync();
        Assert.Equal("$4\r\nkept\r\n", await again.CommandAsync("GET", key));
    }

    [Fact]
    public async Task TheEmbeddedRedisIsReachableOnlyThroughAUnixSocketInsideTheDataDir()
    {
        await using var host = await GatewayHost.StartAsync("--data-dir", _dataDir);
        var pid = ReadPid() ?? throw new Xunit.Sdk.XunitException("no redis.pid in the data dir");
        Assert.True(IsRedisServer(pid), $"process {pid} is a redis-server");

        var conf = File.ReadAllLines(Path.Combine(RedisDir, "redis.conf")).Select(line => line.Trim()).ToArray();
        Assert.Contains("port 0", conf);

        var socketPath = Path.Combine(RedisDir, "redis.sock");
        Assert.True(File.Exists(socketPath), $"{socketPath} exists");
        var mode = File.GetUnixFileMode(socketPath);
        Assert.Equal(UnixFileMode.None, mode & (UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
            | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute));

        // The socket answers...
        using (var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath));
            await socket.SendAsync("PING\r\n"u8.ToArray());
            var reply = new byte[16];
            var read = await socket.ReceiveAsync(reply);
            Assert.Equal("+PONG\r\n", Encoding.ASCII.GetString(reply, 0, read));
        }
        // ...and the process listens on no TCP port at all.
        Assert.Empty(TcpListenersOf(pid));

        await using var client = await host.ConnectAsync();
        Assert.Equal("+PONG\r\n", await client.CommandAsync("PING"));
    }

    [Fact]
    public async Task AKilledEmbeddedRedisIsRestartedAndCommandsThroughTheGatewayWorkAgain()
    {
        await using var host = await GatewayHost.StartAsync("--data-dir", _dataDir);
        await using var client = await host.ConnectAsync();
        var key = GatewayFixture.Key("restart");
        Assert.Equal("+OK\r\n", await client.CommandAsync("SET", key, "v"));
        var pid = ReadPid() ?? throw new Xunit.Sdk.XunitException("no redis.pid in the data dir");

        using (var redis = Process.GetProcessById(pid))
        {
            redis.Kill(); // SIGKILL
            redis.WaitForExit();
        }

        await Wait.UntilAsync(() => ReadPid() is { } restarted && restarted != pid && IsRedisServer(restarted), "a new redis-server runs");
        await Wait.UntilAsync(async () => (await client.CommandAsync("SET", key, "w")) == "+OK\r\n", "SET through the gateway works again");
        Assert.Equal("$1\r\nw\r\n", await client.CommandAsync("GET", key));
        // The supervisor counts the restart once its own readiness check has seen the new server.
        await Wait.UntilAsync(() => host.Backend.Embedded!.Restarts >= 1, "the supervisor counts the restart");
        Assert.Equal(1, host.Backend.Embedded!.Restarts);
    }

    [Fact]
    public async Task StoppingTheHostStopsTheEmbeddedRedis()
    {
        int pid;
        await using (var host = await GatewayHost.StartAsync("--data-dir", _dataDir))
        {
            pid = ReadPid() ?? throw new Xunit.Sdk.XunitException("no redis.pid in the data dir");
            Assert.True(IsRedisServer(pid), $"process {pid} is a redis-server");
        }

        await Wait.UntilAsync(() => !IsRedisServer(pid), $"redis-server {pid} is gone", TimeSpan.FromSeconds(5));
        Assert.False(File.Exists(Path.Combine(RedisDir, "redis.sock")), "the socket is removed with the server");
    }

    [Fact]
    public async Task AMissingRedisServerExecutableExitsNonZeroAndSaysHowToInstallIt()
    {
        await using var process = SharpGearsProcess.Start("--port", Ports.Free().ToString(CultureInfo.InvariantCulture),
            "--data-dir", _dataDir, "--redis-server", "/nonexistent/redis-server");

        var exitCode = await process.ExitCodeAsync(TimeSpan.FromSeconds(15));

        Assert.NotEqual(0, exitCode);
        Assert.Contains("/nonexistent/redis-server", process.Error);
        Assert.Contains("apt-get install -y redis-server", process.Error);
    }

    [Fact]
    public async Task ARedisServerLeftRunningByAKilledSharpGearsIsStoppedByTheNextStartOnTheSameDataDir()
    {
        var port = Ports.Free();
        var key = GatewayFixture.Key("orphan");
        int orphan;
        await using (var killed = SharpGearsProcess.Start("--port", port.ToString(CultureInfo.InvariantCulture), "--data-dir", _dataDir))
        {
            await killed.WaitUntilServingAsync(port);
            await using (var client = await RawClient.ConnectAsync(port))
            {
                Assert.Equal("+OK\r\n", await client.CommandAsync("SET", key, "v"));
            }
            orphan = ReadPid() ?? throw new Xunit.Sdk.XunitException("no redis.pid in the data dir");
            killed.Signal("KILL");
            Assert.NotEqual(0, await killed.ExitCodeAsync());
        }
        Assert.True(IsRedisServer(orphan), "the redis-server outlives a SharpGears killed with SIGKILL");

        await using var next = await GatewayHost.StartAsync("--data-dir", _dataDir);

        Assert.False(IsRedisServer(orphan), "the leftover redis-server was stopped");
        var current = ReadPid();
        Assert.NotEqual(orphan, current);
        await using var again = await next.ConnectAsync();
        Assert.Equal("$1\r\nv\r\n", await again.CommandAsync("GET", key)); // the leftover saved its data as it stopped
    }

    private int? ReadPid()
    {
        var file = Path.Combine(RedisDir, "redis.pid");
        try
        {
            return int.TryParse(File.ReadAllText(file).Trim(), out var pid) ? pid : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    private bool IsRedisServer(int pid)
    {
        try
        {
            var commandLine = File.ReadAllText($"/proc/{pid}/cmdline");
            var status = File.ReadAllText($"/proc/{pid}/status");
            return commandLine.Contains("redis-server", StringComparison.Ordinal)
                && commandLine.Contains(_dataDir, StringComparison.Ordinal)
                && !status.Contains("State:\tZ", StringComparison.Ordinal);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>The TCP sockets in LISTEN state that <paramref name="pid"/> holds open.</summary>
    private static List<string> TcpListenersOf(int pid)
    {
        var inodes = new HashSet<string>();
        foreach (var fd in Directory.GetFiles($"/proc/{pid}/fd"))
        {
            var target = new FileInfo(fd).LinkTarget;
            if (target is not null && target.StartsWith("socket:[", StringComparison.Ordinal))
            {
                inodes.Add(target["socket:[".Length..^1]);
            }
        }
        var listeners = new List<string>();
        foreach (var table in new[] { "/proc/net/tcp", "/proc/net/tcp6" })
        {
            if (!File.Exists(table))
            {
                continue;
            }
            foreach (var line in File.ReadLines(table).Skip(1))
            {
                var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (fields[3] == "0A" && inodes.Contains(fields[9]))
                {
                    listeners.Add($"{table}: {fields[1]}");
                }
            }
        }
        return listeners;
    }
}
