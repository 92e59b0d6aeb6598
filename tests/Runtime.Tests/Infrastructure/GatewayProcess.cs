using System.Diagnostics;

namespace SharpGears.Runtime.Tests.Infrastructure;

/// <summary>The SharpGears executable run as a separate process, as a user runs it.</summary>
public sealed class GatewayProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private GatewayProcess(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    public int ProcessId => _process.Id;

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

    public static string RuntimeAssembly => Path.Combine(AppContext.BaseDirectory, "SharpGears.Runtime.dll");

    /// <summary>Starts the gateway on a free port and waits until it answers PING.</summary>
    public static async Task<GatewayProcess> StartAsync(params string[] arguments)
    {
        var port = Ports.Free();
        var start = new ProcessStartInfo("dotnet", [RuntimeAssembly, "--port", port.ToString(), .. arguments])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        var gateway = new GatewayProcess(Process.Start(start)!, port);
        gateway._process.OutputDataReceived += (_, e) => gateway.Append(e.Data);
        gateway._process.ErrorDataReceived += (_, e) => gateway.Append(e.Data);
        gateway._process.BeginOutputReadLine();
        gateway._process.BeginErrorReadLine();
        await Wait.UntilAsync(async () =>
        {
            if (gateway._process.HasExited)
            {
                throw new InvalidOperationException($"the gateway exited with {gateway._process.ExitCode}: {gateway.Output}");
            }
            await using var client = await RawClient.ConnectAsync(port);
            return await client.CommandAsync("PING") == "+PONG\r\n";
        }, "the gateway process answers PING");
        return gateway;
    }

    private void Append(string? line)
    {
        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    /// <summary>A field of /proc/PID/status in kB, e.g. VmHWM (peak resident memory).</summary>
    public long StatusKilobytes(string field)
    {
        var line = File.ReadLines($"/proc/{_process.Id}/status").First(l => l.StartsWith(field + ":", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
    }

    /// <summary>Stops the gateway as a service manager would (SIGTERM) and returns its exit code.</summary>
    public async Task<int> StopAsync()
    {
        if (!_process.HasExited)
        {
            Process.Start("kill", ["-TERM", _process.Id.ToString()])!.WaitForExit();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await _process.WaitForExitAsync(timeout.Token);
        }
        return _process.ExitCode;
    }

    /// <summary>Kills the gateway with SIGKILL (kill -9): no shutdown code runs, as in a crash.</summary>
    public async Task KillAsync()
    {
        Process.Start("kill", ["-KILL", _process.Id.ToString()])!.WaitForExit();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _process.WaitForExitAsync(timeout.Token);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            try
            {
                await StopAsync();
            }
            catch (OperationCanceledException)
            {
                _process.Kill();
            }
        }
        _process.Dispose();
    }
}
