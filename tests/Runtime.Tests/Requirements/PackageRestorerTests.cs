using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using SharpGears.Runtime.Scripting.Requirements;

namespace SharpGears.Runtime.Tests.Requirements;

/// <summary>
/// The restorer on its own, with the real SDK and package source: a set is restored once, however many
/// ask for it at the same time, and a restorer started afresh on the same folder (a restarted gateway)
/// finds it in the cache.
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
