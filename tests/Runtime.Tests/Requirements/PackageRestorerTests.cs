using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using SharpGears.Runtime.Scripting.Requirements;

namespace SharpGears.Runtime.Tests.Requirements;

/// <summary>
/// The restorer on its own, with the real SDK and package source: a set is restored once, however many
/// ask for it at the same time, and a restorer started afresh on the same folder (a restarted gateway)
/// finds it in the cache; a restore given up (SharpGears stopping) kills its dotnet process.
/// </summary>
public sealed class PackageRestorerTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("sg-restorer-").FullName;

    public void Dispose()
    {
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public async Task ConcurrentRequestsForOneSetRestoreItOnceAndARestartedRestorerFindsItInTheCache()
    {
        var log = new RecordingLogger();
        var restorer = new PackageRestorer(_directory, log);
        var set = RequirementSet.Of([new("Humanizer.Core", "2.14.1")]);

        var restored = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => Task.Run(() => restorer.RestoreAsync(set))));

        Assert.All(restored, r => Assert.Equal(["Humanizer.Core==2.14.1"], r.Requirements.Select(q => q.ToString())));
        Assert.All(restored, r => Assert.Equal(Path.Combine(_directory, "packages", "humanizer.core", "2.14.1", "lib", "net6.0", "Humanizer.dll"), r.RuntimeAssemblies["Humanizer"]));
        Assert.Single(log.Messages, m => m.StartsWith("Restored requirements", StringComparison.Ordinal));

        var again = await new PackageRestorer(_directory, log).RestoreAsync(RequirementSet.Of([new("humanizer.core", "2.14.1")]));

        Assert.Equal(restored[0].RuntimeAssemblies, again.RuntimeAssemblies);
        Assert.Single(log.Messages, m => m.StartsWith("Restored requirements", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ACancelledRestoreStopsAtOnceAndLeavesNoDotnetProcessBehind()
    {
        // A package source that accepts connections and never answers: the restore hangs on it.
        using var silent = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        silent.Start();
        var port = ((System.Net.IPEndPoint)silent.LocalEndpoint).Port;
        File.WriteAllText(Path.Combine(_directory, "NuGet.Config"), $"""
            <configuration>
              <packageSources>
                <clear />
                <add key="silent" value="http://127.0.0.1:{port}/v3/index.json" allowInsecureConnections="true" />
              </packageSources>
            </configuration>
            """);
        var restorer = new PackageRestorer(_directory, new RecordingLogger());
        using var stopping = new CancellationTokenSource();

        var restore = restorer.RestoreAsync(RequirementSet.Of([new("Humanizer.Core", "2.14.1")]), cancellation: stopping.Token);
        var asked = silent.AcceptSocketAsync();
        var first = await Task.WhenAny(asked, restore).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(first == asked, $"the restore ended before asking the source: {restore.Exception?.GetBaseException().Message}");
        using var connection = await asked; // dotnet restore is running, and waits for the source
        await stopping.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => restore.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Empty(ProcessesMentioning(_directory));
    }

    // Processes whose command line or working directory is in the folder (the restore runs in its set's folder).
    private static List<int> ProcessesMentioning(string directory)
    {
        var found = new List<int>();
        foreach (var proc in Directory.GetDirectories("/proc").Where(d => int.TryParse(Path.GetFileName(d), out _)))
        {
            try
            {
                var commandLine = File.ReadAllText(Path.Combine(proc, "cmdline")).Replace('\0', ' ');
                var workingDirectory = new DirectoryInfo(Path.Combine(proc, "cwd")).LinkTarget ?? "";
                if (commandLine.Contains(directory, StringComparison.Ordinal) || workingDirectory.StartsWith(directory, StringComparison.Ordinal))
                {
                    found.Add(int.Parse(Path.GetFileName(proc)));
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // gone meanwhile, or not ours to read
            }
        }
        return found;
    }

    private sealed class RecordingLogger : ILogger
    {
        private readonly ConcurrentQueue<string> _messages = new();

        public IReadOnlyList<string> Messages => [.. _messages];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            _messages.Enqueue(formatter(state, exception));
    }
}
