using System.Diagnostics;

namespace SharpGears.Runtime.Tests.Infrastructure;

/// <summary>A real redis-server on a free loopback port, for one test class or one test.</summary>
public sealed class RedisServer : IAsyncDisposable
{
    private readonly string _directory;
    private readonly string[] _extraArguments;
    private Process? _process;

    public RedisServer(params string[] extraArguments)
    {
        _extraArguments = extraArguments;
        _directory = Directory.CreateTempSubdirectory("sharpgears-redis-").FullName;
        Port = Ports.Free();
        Start();
    }

    public int Port { get; }

    public string Url => $"redis://127.0.0.1:{Port}";

    public int ProcessId => _process!.Id;

    /// <summary>Starts (or starts again, on the same port and data) the server and waits until it answers.</summary>
    public void Start()
    {
        var arguments = new List<string> { "--port", Port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", _directory };
        arguments.AddRange(_extraArguments);
        var start = new ProcessStartInfo("redis-server", arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
        _process = Process.Start(start)!;
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        Wait.UntilAsync(async () =>
        {
            await using var client = await RawClient.ConnectAsync(Port);
            return (await client.CommandAsync("PING")).StartsWith("+PONG") || (await client.CommandAsync("PING")).StartsWith("-NOAUTH");
        }, $"redis-server answers on {Port}").GetAwaiter().GetResult();
    }

    /// <summary>Kills the server at once (SIGKILL), as a crash would.</summary>
    public void Kill()
    {
        _process?.Kill();
        _process?.WaitForExit();
    }

    /// <summary>Runs a command on a fresh direct connection (not through the gateway).</summary>
    public async Task<string> DirectAsync(params string[] arguments)
    {
        await using var client = await RawClient.ConnectAsync(Port);
        return await client.CommandAsync(arguments);
    }

    public async ValueTask DisposeAsync()
    {
        Kill();
        _process?.Dispose();
        await Task.Run(() =>
        {
            try
            {
                Directory.Delete(_directory, recursive: true);
            }
            catch (IOException)
            {
            }
        });
    }
}
