using System.Text;
using Microsoft.Extensions.Logging;
using LogLevel = Microsoft.Extensions.Logging.LogLevel;
using SharpGears.Api;
using SharpGears.Runtime.Engine.Execution;
using SharpGears.Runtime.Engine.KeyEvents;
using SharpGears.Runtime.Engine.Registrations;

namespace SharpGears.Runtime.Engine.Streams;

/// <summary>
/// Runs the StreamReader registrations: a <see cref="StreamConsumer"/> per registration and matching
/// stream, made when the registration starts (for the streams a SCAN finds) and when a stream is
/// created (its first xadd notification); paused, unpaused, aborted and stopped here. A registration
/// that goes away for good takes its consumer group with it, unless a registration that replaces it
/// (an UPGRADE of its session) reads through the same group.
/// </summary>
internal sealed partial class StreamProcessor(BackendClient backend, KeyEventDispatcher dispatcher, RegistrationExecutor executor, ILogger logger)
{
    private readonly object _lock = new();
    private StreamRegistration[] _registrations = [];
    // The last consumer of each group and stream, which the next one waits for.
    private readonly Dictionary<(string Group, string Key), StreamConsumer> _latest = [];

    public BackendClient Backend => backend;

    public ILogger Logger => logger;

    /// <summary>Starts the stream registrations that are new in <paramref name="registrations"/> and stops those that are gone.</summary>
    public void Update(IEnumerable<Registration> registrations)
    {
        var live = registrations.Select(r => r.Stream).OfType<StreamRegistration>().ToArray();
        StreamRegistration[] gone, added;
        lock (_lock)
        {
            var before = _registrations;
            gone = [.. before.Except(live)];
            added = [.. live.Except(before)];
            _registrations = live;
        }
        var liveGroups = live.Select(r => r.Group).ToHashSet(StringComparer.Ordinal);
        foreach (var registration in gone)
        {
            registration.Stop.Cancel();
            if (!liveGroups.Contains(registration.Group))
            {
                _ = DestroyGroupAsync(registration);
            }
        }
        foreach (var registration in added)
        {
            if (registration.IsRunning)
            {
                _ = StartAsync(registration);
            }
        }
    }

    /// <summary>An xadd on <paramref name="key"/>: the registrations whose prefix it matches read it.</summary>
    public void OnEntriesAdded(string key)
    {
        foreach (var registration in Volatile.Read(ref _registrations))
        {
            if (registration.IsRunning && registration.Registration.Matches(key, "xadd"))
            {
                ConsumerFor(registration, key)?.Wake();
            }
        }
    }

    /// <summary>The notifications were lost for a while (the backend restarted): every registration looks at its streams again.</summary>
    public void OnReconnected()
    {
        foreach (var registration in Volatile.Read(ref _registrations))
        {
            if (registration.IsRunning)
            {
                _ = StartAsync(registration);
            }
        }
    }

    /// <summary>RG.PAUSEREGISTRATIONS: stops reading after the batches under way; with <paramref name="abortPending"/> those are aborted and stay pending.</summary>
    public void Pause(StreamRegistration registration, bool abortPending)
    {
        registration.Status = StreamStatus.Paused;
        registration.Stop.Cancel();
        if (abortPending)
        {
            executor.AbortRunning(registration.Registration, "Execution was aborted: its registration was paused with ABORTPENDING");
        }
    }

    /// <summary>RG.UNPAUSEREGISTRATIONS (also of an aborted registration): reads again, its pending entries first.</summary>
    public void Unpause(StreamRegistration registration)
    {
        lock (_lock)
        {
            if (registration.IsRunning)
            {
                return;
            }
            registration.Stop = new CancellationTokenSource();
            registration.Status = StreamStatus.Ok;
        }
        _ = StartAsync(registration);
    }

    /// <summary>A batch failed under <see cref="OnFailedPolicy.Abort"/>: the registration stops, with status ABORTED.</summary>
    public void Abort(StreamRegistration registration, string error)
    {
        registration.Status = StreamStatus.Aborted;
        registration.Stop.Cancel();
        LogAborted(logger, registration.Registration.Id, error);
    }

    /// <summary>Runs one batch as the registration's mode says; the outcome says how it ended.</summary>
    public Task<ExecutionOutcome> RunBatchAsync(Registration registration, List<object?> batch) =>
        dispatcher.Start(registration, () => executor.RunAsync(registration, static records => ValueTask.FromResult<List<object?>?>(records), batch), resumeOnWorker: true);

    /// <summary>A consumer of <paramref name="registration"/> stopped on an error: after <paramref name="delay"/> it reads that stream again.</summary>
    public void Restart(StreamRegistration registration, StreamConsumer consumer, TimeSpan delay)
    {
        var stop = registration.Stop.Token;
        _ = Task.Delay(delay, stop).ContinueWith(_ =>
        {
            if (!stop.IsCancellationRequested)
            {
                ConsumerFor(registration, consumer.Key, replacing: consumer)?.Wake();
            }
        }, TaskScheduler.Default);
    }

    /// <summary>
    /// Makes sure every registration that reads <paramref name="key"/> has its group there before any
    /// of them reads (and trims): otherwise the first to read a new stream could trim entries away
    /// before the group of another was made. False when the stream does not exist.
    /// </summary>
    public async Task<bool> CreateGroupsAsync(string key)
    {
        foreach (var registration in Volatile.Read(ref _registrations))
        {
            if (registration.Registration.Matches(key, "xadd") && !await CreateGroupAsync(backend, key, registration.Group).ConfigureAwait(false))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>
    /// Makes <paramref name="group"/> on <paramref name="key"/>, from the start of the stream as RedisGears
    /// does (entries already there are processed); false when there is no such stream.
    /// </summary>
    public static async Task<bool> CreateGroupAsync(BackendClient backend, string key, string group)
    {
        try
        {
            await backend.ExecuteAsync("XGROUP", "CREATE", key, group, "0").ConfigureAwait(false);
        }
        catch (GearsException e) when (e.Message.StartsWith("BUSYGROUP", StringComparison.Ordinal))
        {
        }
        catch (GearsException e) when (e.Message.Contains("requires the key to exist", StringComparison.Ordinal))
        {
            return false;
        }
        return true;
    }

    // Finds the streams the registration's prefix matches (SCAN ... TYPE stream) and reads each.
    private async Task StartAsync(StreamRegistration registration)
    {
        try
        {
            var pattern = ScanPattern(registration.Registration.Request.Prefix);
            var cursor = "0";
            do
            {
                var reply = (object?[])(await backend.ExecuteAsync("SCAN", cursor, "MATCH", pattern, "COUNT", "1000", "TYPE", "stream").ConfigureAwait(false))!;
                cursor = (string)reply[0]!;
                foreach (var key in (object?[])reply[1]!)
                {
                    if (registration.Stop.IsCancellationRequested)
                    {
                        return;
                    }
                    ConsumerFor(registration, (string)key!)?.Wake();
                }
            }
            while (cursor != "0");
        }
        catch (Exception e)
        {
            LogScanFailed(logger, registration.Registration.Id, e.Message);
        }
    }

    // The consumer of the stream for the registration, made when there is none (or the one there stopped).
    private StreamConsumer? ConsumerFor(StreamRegistration registration, string key, StreamConsumer? replacing = null)
    {
        lock (_lock)
        {
            if (registration.Stop.IsCancellationRequested || !_registrations.Contains(registration))
            {
                return null;
            }
            if (registration.Consumers.TryGetValue(key, out var existing) && existing != replacing && !existing.Completion.IsCompleted)
            {
                return existing;
            }
            var predecessor = _latest.TryGetValue((registration.Group, key), out var last) ? last.Completion : Task.CompletedTask;
            var consumer = new StreamConsumer(registration, key, this, predecessor);
            registration.Consumers[key] = consumer;
            registration.Streams[key] = 0;
            _latest[(registration.Group, key)] = consumer;
            return consumer;
        }
    }

    /// <summary>
    /// A consumer has stopped: it is no longer one to wait for, and a stream that is gone is forgotten
    /// (so that short-lived streams leave nothing behind).
    /// </summary>
    public void OnConsumerEnded(StreamRegistration registration, StreamConsumer consumer, bool streamGone)
    {
        lock (_lock)
        {
            registration.Consumers.TryRemove(new KeyValuePair<string, StreamConsumer>(consumer.Key, consumer));
            if (_latest.TryGetValue((registration.Group, consumer.Key), out var latest) && latest == consumer)
            {
                _latest.Remove((registration.Group, consumer.Key));
            }
            if (streamGone && !registration.Consumers.ContainsKey(consumer.Key))
            {
                registration.Streams.TryRemove(consumer.Key, out _);
            }
        }
    }

    // Once its consumers have stopped: XGROUP DESTROY on every stream it read.
    private async Task DestroyGroupAsync(StreamRegistration registration)
    {
        await Task.WhenAll(registration.Consumers.Values.Select(c => c.Completion)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        foreach (var key in registration.Streams.Keys)
        {
            try
            {
                await backend.ExecuteAsync("XGROUP", "DESTROY", key, registration.Group).ConfigureAwait(false);
            }
            catch (GearsException e)
            {
                LogDestroyFailed(logger, registration.Group, key, e.Message);
            }
        }
    }

    /// <summary>The SCAN MATCH pattern of a registration's prefix: its text taken literally, then '*' when it ends with one.</summary>
    public static string ScanPattern(string prefix)
    {
        var wildcard = prefix.EndsWith('*');
        var literal = wildcard ? prefix[..^1] : prefix;
        var pattern = new StringBuilder(literal.Length + 2);
        foreach (var c in literal)
        {
            if (c is '*' or '?' or '[' or ']' or '\\')
            {
                pattern.Append('\\');
            }
            pattern.Append(c);
        }
        return wildcard ? pattern.Append('*').ToString() : pattern.ToString();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stream registration {Registration} was aborted (onFailedPolicy: Abort) after a failed batch: {Error}. Its entries stay pending; RG.UNPAUSEREGISTRATIONS resumes it")]
    private static partial void LogAborted(ILogger logger, string registration, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stream registration {Registration} could not look for its streams ({Error}); it does when the backend is back")]
    private static partial void LogScanFailed(ILogger logger, string registration, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not remove the consumer group {Group} of the stream {Stream}: {Error}")]
    private static partial void LogDestroyFailed(ILogger logger, string group, string stream, string error);
}
