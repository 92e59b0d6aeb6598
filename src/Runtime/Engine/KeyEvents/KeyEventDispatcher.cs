using SharpGears.Api;
using SharpGears.Runtime.Engine.Execution;
using SharpGears.Runtime.Engine.Registrations;

namespace SharpGears.Runtime.Engine.KeyEvents;

/// <summary>
/// Sends each keyspace event to the registrations it matches: <c>sync</c> ones one after another on
/// the dispatch thread, in event order, each finished before the next starts; <c>async</c> and
/// <c>async_local</c> ones to the execution pool. Matching reads an immutable snapshot, so events
/// never wait for registration changes.
/// </summary>
internal sealed class KeyEventDispatcher(ExecutionPool dispatchThread, ExecutionPool pool, RegistrationExecutor executor, BackendClient backend)
{
    // Executions started and not finished, at most MaxInFlight: enough to fill the pipeline to Redis,
    // few enough that a burst of events waits here as small entries (an event and a key) rather than
    // as half-run executions, which cost ten times the memory and slow everything with collections.
    private const int MaxInFlight = 512;
    private readonly ConcurrentQueue<KeyEvent> _waiting = new();
    private int _inFlight;
    private Registration[] _registrations = [];

    /// <summary>True while the backend publishes key misses: records are then read without causing any.</summary>
    public bool KeyMissesPublished { get; set; }

    /// <summary>Replaces the registrations that events go to.</summary>
    public void Update(IEnumerable<Registration> registrations) =>
        Volatile.Write(ref _registrations, [.. registrations.Where(r => r.Request.Reader == Readers.Keys.Name && !r.IsLinked)]);

    /// <summary>
    /// Runs one execution as its registration's mode says: <c>sync</c> on the dispatch thread, after
    /// the executions queued there before it; otherwise on the pool at once (a client waits for it).
    /// <paramref name="resumeOnWorker"/>: see <see cref="ExecutionPool.Run{T}"/>.
    /// </summary>
    public Task<ExecutionOutcome> Start(Registration registration, Func<Task<ExecutionOutcome>> run, bool resumeOnWorker = false)
    {
        if (registration.Mode != ExecutionMode.Sync)
        {
            return pool.Run(run, resumeOnWorker);
        }
        var done = new TaskCompletionSource<ExecutionOutcome>(TaskCreationOptions.RunContinuationsAsynchronously);
        dispatchThread.Post(() =>
        {
            var execution = run();
            execution.Wait(executor.Timeout + TimeSpan.FromMilliseconds(100));
            if (execution.IsCompletedSuccessfully)
            {
                done.TrySetResult(execution.Result);
            }
            else
            {
                // Past the time-out: the client is answered; the execution was counted as aborted.
                execution.ContinueWith(t => done.TrySetResult(t.Result), TaskScheduler.Default);
            }
        });
        return done.Task;
    }

    /// <summary>Runs <paramref name="registration"/> for an event a client's command caused, linked to that client when <paramref name="link"/> is given.</summary>
    public Task<ExecutionOutcome> RunAsync(Registration registration, string eventName, string key, Linking.ClientLink? link) =>
        Start(registration, () => executor.RunAsync(registration, ReadAsync, new KeyEvent(registration, eventName, key), link), resumeOnWorker: true);

    /// <summary>Handles one event; called by the subscriber, in the order Redis sent them.</summary>
    public void OnEvent(string eventName, string key)
    {
        foreach (var registration in Volatile.Read(ref _registrations))
        {
            if (!registration.Matches(key, eventName))
            {
                continue;
            }
            var work = new KeyEvent(registration, eventName, key);
            if (registration.Mode == ExecutionMode.Sync)
            {
                // Waited for on the dispatch thread; what the execution awaits resumes elsewhere.
                dispatchThread.Post(() => Run(work).Wait(executor.Timeout + TimeSpan.FromMilliseconds(100)));
            }
            else
            {
                _waiting.Enqueue(work);
                StartWaiting();
            }
        }
    }

    private void StartWaiting()
    {
        while (!_waiting.IsEmpty)
        {
            if (Interlocked.Increment(ref _inFlight) > MaxInFlight)
            {
                Interlocked.Decrement(ref _inFlight); // the execution that finishes next starts more
                return;
            }
            if (!_waiting.TryDequeue(out var work))
            {
                Interlocked.Decrement(ref _inFlight);
                continue; // another thread took it; look again (one may have come in meanwhile)
            }
            pool.Run(() => RunAndStartNextAsync(work));
        }
    }

    private async Task RunAndStartNextAsync(KeyEvent work)
    {
        try
        {
            await Run(work);
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
            StartWaiting();
        }
    }

    private Task<ExecutionOutcome> Run(KeyEvent work) => executor.RunAsync(work.Registration, ReadAsync, work);

    private async ValueTask<List<object?>?> ReadAsync(KeyEvent work)
    {
        var registration = work.Registration;
        var record = await KeyRecordReader.ReadAsync(backend, work.Key, work.EventName, registration.Request.ReadValue, registration.FiltersKeyTypes, KeyMissesPublished);
        return registration.AcceptsType(record.Type) ? [record] : null;
    }

    private sealed record KeyEvent(Registration Registration, string EventName, string Key);
}
