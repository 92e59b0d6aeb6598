using System.Diagnostics;

namespace SharpGears.Runtime.Tests.Infrastructure;

/// <summary>
/// A private, throwaway PostgreSQL server on a free loopback port, for one test class or one test: a fresh
/// cluster (superuser "postgres", trust authentication) in a temp folder, stopped and deleted on dispose.
/// PostgreSQL refuses to run as root, so a test run as root runs its binaries as the "postgres" OS user
/// (through runuser, with the folder given to that user); any other user runs them as itself.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    private const string Superuser = "postgres";

    private static readonly bool AsRoot = Environment.IsPrivilegedProcess;
    private static readonly Lazy<string> BinDirectory = new(FindBinDirectory);

    private readonly string _directory;
    private readonly string _dataDirectory;
    private readonly StringBuilder _log = new();
    private Process? _process;

    public PostgresServer()
    {
        // The folder is also the unix-socket directory: a short path, writable by the server's user.
        _directory = Directory.CreateTempSubdirectory("sharpgears-pg-").FullName;
        _dataDirectory = Path.Combine(_directory, "data");
        Port = Ports.Free();
        try
        {
            Start();
        }
        catch
        {
            Stop();
            throw;
        }
    }

    public int Port { get; }

    /// <summary>For Npgsql.</summary>
    public string ConnectionString => $"Host=127.0.0.1;Port={Port};Username={Superuser};Database=postgres";

    /// <summary>What the server has written so far (its log goes to stderr).</summary>
    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    /// <summary>
    /// Runs SQL through the psql binary (no Npgsql needed), stopping at the first error, and returns its
    /// output: one row a line, columns separated by '|', no headers.
    /// </summary>
    public string Psql(string sql) =>
        Run(Bin("psql"), ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", Port.ToString(), "-U", Superuser, "-d", "postgres", "-c", sql]).TrimEnd('\n');

    public async ValueTask DisposeAsync() => await Task.Run(Stop);

    private void Start()
    {
        if (AsRoot)
        {
            Run("chown", ["postgres:", _directory]);
        }
        try
        {
            RunAsServerUser("initdb", ["-D", _dataDirectory, "-U", Superuser, "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"]);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException("PostgreSQL's initdb was not found: eng/install-deps.sh test installs postgresql", e);
        }
        // Durability off: the data is thrown away anyway.
        var start = ServerUserStart("postgres", [
            "-D", _dataDirectory, "-p", Port.ToString(), "-k", _directory, "-c", "listen_addresses=127.0.0.1",
            "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
        ]);
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        var process = _process = Process.Start(start)!;
        process.OutputDataReceived += (_, e) => AppendLog(e.Data);
        process.ErrorDataReceived += (_, e) => AppendLog(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        Wait.UntilAsync(() => process.HasExited || IsReady(), $"postgres accepts connections on {Port}").GetAwaiter().GetResult();
        if (process.HasExited)
        {
            throw new InvalidOperationException($"postgres exited with code {process.ExitCode} at start:\n{Log}");
        }
    }

    /// <summary>Stops the server at once (as a crash would: the data is thrown away) and deletes its folder.</summary>
    private void Stop()
    {
        if (_process is { HasExited: false })
        {
            try
            {
                RunAsServerUser("pg_ctl", ["stop", "-D", _dataDirectory, "-m", "immediate", "-w"]);
            }
            catch (InvalidOperationException)
            {
                _process.Kill(entireProcessTree: true);
            }
            _process.WaitForExit();
        }
        _process?.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private bool IsReady()
    {
        using var probe = Process.Start(new ProcessStartInfo(Bin("pg_isready"), ["-q", "-h", "127.0.0.1", "-p", Port.ToString(), "-U", Superuser, "-d", "postgres"]))!;
        probe.WaitForExit();
        return probe.ExitCode == 0;
    }

    private void AppendLog(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_log)
        {
            _log.AppendLine(line);
        }
    }

    private static string RunAsServerUser(string binary, IEnumerable<string> arguments)
    {
        var start = ServerUserStart(binary, arguments);
        return Run(start.FileName, start.ArgumentList);
    }

    /// <summary>A start for one of the server binaries, as the "postgres" OS user when we are root.</summary>
    private static ProcessStartInfo ServerUserStart(string binary, IEnumerable<string> arguments) =>
        AsRoot
            ? new ProcessStartInfo("runuser", ["-u", "postgres", "--", Bin(binary), .. arguments])
            : new ProcessStartInfo(Bin(binary), arguments);

    /// <summary>Runs a program to its end and returns its output, or throws with what it printed.</summary>
    private static string Run(string fileName, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(fileName, arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{fileName} {string.Join(' ', arguments)} exited with code {process.ExitCode}:\n{error.Result}{output}");
        }
        return output;
    }

    private static string Bin(string name) => BinDirectory.Value.Length == 0 ? name : Path.Combine(BinDirectory.Value, name);

    /// <summary>Debian keeps the server binaries in /usr/lib/postgresql/VERSION/bin (the newest wins); elsewhere, PATH.</summary>
    private static string FindBinDirectory()
    {
        var versions = Directory.Exists("/usr/lib/postgresql") ? Directory.GetDirectories("/usr/lib/postgresql") : [];
        return versions
            .Select(version => Path.Combine(version, "bin"))
            .Where(bin => File.Exists(Path.Combine(bin, "initdb")))
            .OrderByDescending(bin => int.TryParse(Path.GetFileName(Path.GetDirectoryName(bin)), out var major) ? major : 0)
            .FirstOrDefault() ?? "";
    }
}
