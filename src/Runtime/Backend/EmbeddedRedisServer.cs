using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;
using SharpGears.Runtime.Hosting;

namespace SharpGears.Runtime.Backend;

/// <summary>
/// The embedded default backend: a <c>redis-server</c> that SharpGears starts, supervises (restarting
/// it if it dies) and stops, with its data and persistence (RDB and AOF) under the data directory.
/// It listens only on a unix socket that only this user may open; where the socket path would be too
/// long for the OS, on a loopback port instead.
/// </summary>
internal sealed partial class EmbeddedRedisServer(string executable, string dataDirectory, ILogger logger) : IAsyncDisposable
{
    private const int MaxUnixSocketPath = 100;
    private static readonly TimeSpan s_readyTimeout = TimeSpan.FromSeconds(30);
    private readonly string _directory = Path.Combine(Path.GetFullPath(dataDirectory), "redis");
    private readonly CancellationTokenSource _stopping = new();
    private Process? _process;
    private Task _supervising = Task.CompletedTask;

    public BackendTarget Target { get; private set; } = null!;

    /// <summary>How many times the server was started again after it died.</summary>
    public int Restarts { get; private set; }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var path = FindExecutable(executable) ?? throw new StartupException(
            $"'{executable}' was not found on PATH. SharpGears starts its own Redis unless told to use an existing one. " +
            "Install it (Debian/Ubuntu: sudo apt-get install -y redis-server), or run with --backend redis://host:port.");
        Directory.CreateDirectory(_directory);
        await StopLeftoverAsync();

        var socketPath = Path.Combine(_directory, "redis.sock");
        EndPoint endPoint = socketPath.Length <= MaxUnixSocketPath
            ? new UnixDomainSocketEndPoint(socketPath)
            : new IPEndPoint(IPAddress.Loopback, FreeLoopbackPort());
        Target = new BackendTarget(endPoint, 0, null, null);
        var configPath = Path.Combine(_directory, "redis.conf");
        await File.WriteAllTextAsync(configPath, Configuration(endPoint), cancellationToken);

        _process = Launch(path, configPath);
        await WaitUntilReadyAsync(_process, cancellationToken);
        LogStarted(logger, path, Target.ToString(), _directory);
        _supervising = SuperviseAsync(path, configPath);
    }

    private string Configuration(EndPoint endPoint)
    {
        var conf = new StringBuilder();
        conf.AppendLine("# Written by SharpGears at every start; edits are lost.");
        if (endPoint is UnixDomainSocketEndPoint unix)
        {
            conf.AppendLine("port 0");
            conf.AppendLine($"unixsocket {Quote(unix.ToString()!)}");
            conf.AppendLine("unixsocketperm 700");
        }
        else
        {
            conf.AppendLine("bind 127.0.0.1");
            conf.AppendLine($"port {((IPEndPoint)endPoint).Port}");
        }
        conf.AppendLine("protected-mode yes");
        conf.AppendLine("daemonize no");
        conf.AppendLine($"dir {Quote(_directory)}");
        conf.AppendLine($"pidfile {Quote(Path.Combine(_directory, "redis.pid"))}");
        conf.AppendLine($"logfile {Quote(Path.Combine(_directory, "redis.log"))}");
        conf.AppendLine("appendonly yes");
        conf.AppendLine("appendfsync everysec");
        conf.AppendLine("save 3600 1 300 100 60 10000");
        return conf.ToString();
    }

    private static string Quote(string value) => "\"" + value.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";

    private static Process Launch(string path, string configPath)
    {
        var start = new ProcessStartInfo(path, [configPath])
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        var process = Process.Start(start) ?? throw new StartupException($"could not start {path}");
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private async Task WaitUntilReadyAsync(Process process, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < s_readyTimeout)
        {
            if (process.HasExited)
            {
                throw new StartupException($"redis-server exited at start with code {process.ExitCode}; its log: {LogTail()}");
            }
            if ((await BackendProbe.PingAsync(Target.EndPoint, cancellationToken))?.StartsWith("+PONG", StringComparison.Ordinal) == true)
            {
                return;
            }
            await Task.Delay(20, cancellationToken);
        }
        throw new StartupException($"redis-server did not answer PING within {s_readyTimeout.TotalSeconds} s; its log: {LogTail()}");
    }

    private string LogTail()
    {
        var log = Path.Combine(_directory, "redis.log");
        return File.Exists(log) ? string.Join(" | ", File.ReadLines(log).TakeLast(5)) : "(none)";
    }

    // Restarts the server whenever it dies, until SharpGears stops.
    private async Task SuperviseAsync(string path, string configPath)
    {
        var backoff = TimeSpan.FromMilliseconds(100);
        while (!_stopping.IsCancellationRequested)
        {
            try
            {
                await _process!.WaitForExitAsync(_stopping.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            LogDied(logger, _process.ExitCode, LogTail());
            while (!_stopping.IsCancellationRequested)
            {
                try
                {
                    await Task.Delay(backoff, _stopping.Token);
                    await StopLeftoverAsync();
                    _process = Launch(path, configPath);
                    await WaitUntilReadyAsync(_process, _stopping.Token);
                    Restarts++;
                    LogRestarted(logger);
                    backoff = TimeSpan.FromMilliseconds(100);
                    break;
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                catch (StartupException e)
                {
                    LogRestartFailed(logger, e.Message);
                    backoff = TimeSpan.FromTicks(Math.Min(TimeSpan.FromSeconds(5).Ticks, backoff.Ticks * 2));
                }
            }
        }
    }

    /// <summary>Stops the server cleanly: SIGTERM makes Redis write its data and exit.</summary>
    public async Task StopAsync()
    {
        await _stopping.CancelAsync();
        await _supervising;
        if (_process is { HasExited: false } process)
        {
            await TerminateAsync(process.Id, process);
        }
    }

    // A redis-server left running by a SharpGears that was killed: stop it, so its files are ours.
    private async Task StopLeftoverAsync()
    {
        var pidFile = Path.Combine(_directory, "redis.pid");
        if (!File.Exists(pidFile) || !int.TryParse(File.ReadAllText(pidFile).Trim(), out var pid))
        {
            return;
        }
        try
        {
            // Redis rewrites its process title, but it works in its `dir`: ours.
            var process = Process.GetProcessById(pid);
            var executable = File.ResolveLinkTarget($"/proc/{pid}/exe", returnFinalTarget: false)?.FullName ?? "";
            var directory = File.ResolveLinkTarget($"/proc/{pid}/cwd", returnFinalTarget: false)?.FullName ?? "";
            if (Path.GetFileName(executable).StartsWith("redis", StringComparison.Ordinal)
                && Path.TrimEndingDirectorySeparator(directory) == Path.TrimEndingDirectorySeparator(_directory))
            {
                LogLeftover(logger, pid);
                await TerminateAsync(pid, process);
            }
        }
        catch (Exception e) when (e is ArgumentException or IOException or InvalidOperationException or UnauthorizedAccessException)
        {
            // Not running any more.
        }
    }

    private static async Task TerminateAsync(int pid, Process process)
    {
        _ = Kill(pid, SignalTerminate);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill();
        }
    }

    private static string? FindExecutable(string name)
    {
        if (name.Contains('/'))
        {
            return File.Exists(name) ? Path.GetFullPath(name) : null;
        }
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        return path.Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(directory => Path.Combine(directory, name))
            .FirstOrDefault(File.Exists);
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _process?.Dispose();
        _stopping.Dispose();
    }

    private const int SignalTerminate = 15;

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    [LoggerMessage(Level = LogLevel.Information, Message = "Started the embedded backend {Executable} on {Target}, data in {Directory}")]
    private static partial void LogStarted(ILogger logger, string executable, string target, string directory);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The embedded redis-server died (exit code {Code}); restarting it. Its log: {Log}")]
    private static partial void LogDied(ILogger logger, int code, string log);

    [LoggerMessage(Level = LogLevel.Information, Message = "The embedded redis-server is running again")]
    private static partial void LogRestarted(ILogger logger);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not restart the embedded redis-server: {Reason}")]
    private static partial void LogRestartFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stopping redis-server {Pid}, left running by an earlier SharpGears")]
    private static partial void LogLeftover(ILogger logger, int pid);
}
