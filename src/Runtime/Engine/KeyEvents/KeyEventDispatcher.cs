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
    private Registration[] _registrations = [];

    /// <summary>True while the backend publishes key misses: records are then read without causing any.</summary>
    public bool KeyMissesPublished { get; set; }

    /// <summary>Replaces the registrations that events go to.</summary>
    public void Update(IEnumerable<Registration> registrations) =>
        Volatile.Write(ref _registrations, [.. registrations.Where(r => r.Request.Reader == Readers.Keys.Name)]);

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
                pool.Run(() => Run(work));
            }
        }
    }

    private Task Run(KeyEvent work) => executor.RunAsync(work.Registration, ReadAsync, work);

    private async ValueTask<List<object?>?> ReadAsync(KeyEvent work)
    {
        var registration = work.Registration;
        var record = await KeyRecordReader.ReadAsync(backend, work.Key, work.EventName, registration.Request.ReadValue, registration.FiltersKeyTypes, KeyMissesPublished);
        return registration.AcceptsType(record.Type) ? [record] : null;
    }

    private sealed record KeyEvent(Registration Registration, string EventName, string Key);
}
