using System.Diagnostics;
using System.Globalization;

namespace SharpGears.Runtime.Tests.Hosting;

/// <summary>The built executable, run as users and scripts run it: flags, signals, exit codes.</summary>
public sealed class CommandLineTests : IAsyncLifetime
{
    private RedisServer _redis = null!;

    public Task InitializeAsync()
    {
        _redis = new RedisServer();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _redis.DisposeAsync();

    [Fact]
    public async Task TheExecutableServesOnTheGivenPortAndStopsWithExitCode0OnSigterm()
    {
        var port = Ports.Free();
        await using var process = SharpGearsProcess.Start("--port", port.ToString(CultureInfo.InvariantCulture), "--backend", _redis.Url);
        await process.WaitUntilServingAsync(port);
        var key = GatewayFixture.Key("cli");
        await using var client = await RawClient.ConnectAsync(port);
        Assert.Equal("+OK\r\n", await client.CommandAsync("SET", key, "v"));
        Assert.Equal("$1\r\nv\r\n", await _redis.DirectAsync("GET", key));

        process.Signal("TERM");

        Assert.Equal(0, await process.ExitCodeAsync());
        Assert.True(await client.IsClosedByServerAsync(TimeSpan.FromSeconds(5)), "a connected client is closed when the gateway stops");
        Assert.DoesNotContain("Unhandled exception", process.Output);
    }

    [Theory]
    [InlineData("--prot", "1")]
    [InlineData("--max-client", "5")]
    [InlineData("-p", "1")]
    public async Task AnUnknownFlagExitsNonZeroWithAMessageNamingTheKnownOptions(string flag, string value)
    {
        var port = Ports.Free();
        await using var process = SharpGearsProcess.Start(flag, value, "--port", port.ToString(CultureInfo.InvariantCulture), "--backend", _redis.Url);

        var exitCode = await process.ExitCodeAsync(TimeSpan.FromSeconds(10));

        Assert.NotEqual(0, exitCode);
        Assert.Contains(flag, process.Error);
        foreach (var option in new[] { "--port", "--bind", "--backend", "--data-dir", "--log-level", "--max-clients", "--redis-server" })
        {
            Assert.Contains(option, process.Error);
        }
    }

    [Fact]
    public async Task ANonNumericPortExitsWithTheStartupErrorCodeAndAMessageNotACrash()
    {
        await using var process = SharpGearsProcess.Start("--port", "abc", "--backend", _redis.Url);

        var exitCode = await process.ExitCodeAsync();

        Assert.Equal(2, exitCode); // what every other startup error exits with
        Assert.Contains("sharpgears: ", process.Error);
        Assert.DoesNotContain("Unhandled exception", process.Error);
    }

    [Fact]
    public async Task ConfigurationKeysWithAColonAreAcceptedOnTheCommandLine()
    {
        var port = Ports.Free();
        await using var process = SharpGearsProcess.Start("--port", port.ToString(CultureInfo.InvariantCulture), "--backend", _redis.Url,
            "--SharpGears:MaxBulkLength=1048576");
        await process.WaitUntilServingAsync(port);

        // The setting took effect: a bulk length above it is a protocol error.
        await using var client = await RawClient.ConnectAsync(port);
        await client.SendAsync("*2\r\n$4\r\nECHO\r\n$1048577\r\n");
        Assert.Equal("-ERR Protocol error: invalid bulk length\r\n", await client.ReadAsync());
        process.Signal("TERM");
        Assert.Equal(0, await process.ExitCodeAsync());
    }

    [Fact]
    public async Task TheGatewayListensOnLoopbackOnlyByDefault()
    {
        var port = Ports.Free();
        await using var process = SharpGearsProcess.Start("--port", port.ToString(CultureInfo.InvariantCulture), "--backend", _redis.Url);
        await process.WaitUntilServingAsync(port);

        var listening = ListeningAddresses(port);

        Assert.Equal(new[] { "127.0.0.1" }, listening);
        process.Signal("TERM");
        Assert.Equal(0, await process.ExitCodeAsync());
    }

    /// <summary>The local addresses of the TCP sockets listening on <paramref name="port"/>, from /proc/net/tcp and tcp6.</summary>
    internal static List<string> ListeningAddresses(int port)
    {
        var addresses = new List<string>();
        foreach (var table in new[] { "/proc/net/tcp", "/proc/net/tcp6" })
        {
            if (!File.Exists(table))
            {
                continue;
            }
            foreach (var line in File.ReadLines(table).Skip(1))
            {
                var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                var local = fields[1].Split(':');
                if (fields[3] == "0A" && int.Parse(local[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture) == port)
                {
                    addresses.Add(ProcAddress(local[0]));
                }
            }
        }
        return addresses;
    }

    // /proc/net/tcp writes an address as 32-bit words in host (little-endian) order.
    private static string ProcAddress(string hex)
    {
        var bytes = Convert.FromHexString(hex);
        for (var word = 0; word < bytes.Length; word += 4)
        {
            Array.Reverse(bytes, word, 4);
        }
        return new System.Net.IPAddress(bytes).ToString();
    }
}

/// <summary>SharpGears.Runtime.dll run by `dotnet` as a separate process, its output captured.</summary>
internal sealed class SharpGearsProcess : IAsyncDisposable
{
    private static readonly TimeSpan s_exitTimeout = TimeSpan.FromSeconds(30);
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly StringBuilder _error = new();

    private SharpGearsProcess(Process process) => _process = process;

    public static string Dll => Path.Combine(AppContext.BaseDirectory, "SharpGears.Runtime.dll");

    public int Id => _process.Id;

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public string Error
    {
        get
        {
            lock (_error)
            {
                return _error.ToString();
            }
        }
    }

    public static SharpGearsProcess Start(params string[] arguments)
    {
        Assert.True(File.Exists(Dll), $"{Dll} exists");
        var start = new ProcessStartInfo("dotnet", [Dll, .. arguments])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            // A relative --data-dir (the default ./data) must not land in the test output.
            WorkingDirectory = Path.GetTempPath(),
        };
        var process = new SharpGearsProcess(Process.Start(start)!);
        process._process.OutputDataReceived += (_, e) => Append(process._output, e.Data);
        process._process.ErrorDataReceived += (_, e) => Append(process._error, e.Data);
        process._process.BeginOutputReadLine();
        process._process.BeginErrorReadLine();
        return process;

        static void Append(StringBuilder text, string? line)
        {
            if (line is not null)
            {
                lock (text)
                {
                    text.AppendLine(line);
                }
            }
        }
    }

    /// <summary>Waits until the gateway answers PING on <paramref name="port"/> (PING is forwarded: its backend answers too).</summary>
    public async Task WaitUntilServingAsync(int port)
    {
        await Wait.UntilAsync(async () =>
        {
            if (_process.HasExited)
            {
                return true;
            }
            await using var client = await RawClient.ConnectAsync(port);
            return await client.CommandAsync("PING") == "+PONG\r\n";
        }, $"SharpGears answers PING on port {port}", TimeSpan.FromSeconds(30));
        Assert.False(_process.HasExited, $"SharpGears exited with code {(_process.HasExited ? _process.ExitCode : 0)}: {Error}{Output}");
    }

    /// <summary>Sends a signal by name (TERM, KILL, ...) with kill(1).</summary>
    public void Signal(string name)
    {
        using var kill = Process.Start("kill", [$"-{name}", Id.ToString(CultureInfo.InvariantCulture)])!;
        kill.WaitForExit();
        Assert.Equal(0, kill.ExitCode);
    }

    /// <summary>Waits for the process to exit (with a deadline) and returns its exit code.</summary>
    public async Task<int> ExitCodeAsync(TimeSpan? within = null)
    {
        var deadline = within ?? s_exitTimeout;
        using var timeout = new CancellationTokenSource(deadline);
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"SharpGears did not exit within {deadline.TotalSeconds} s. Output: {Output} Errors: {Error}");
        }
        _process.WaitForExit(); // the output, read to its end
        return _process.ExitCode;
    }

    public ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }
        _process.Dispose();
        return ValueTask.CompletedTask;
    }
}
