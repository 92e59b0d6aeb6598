using System.Diagnostics;
using System.Globalization;

namespace SharpGears.Runtime.Engine.Registrations;

/// <summary>
/// A registration's counters, as RG.DUMPREGISTRATIONS shows them. Cheap enough to keep always on:
/// interlocked counters, and a lock only to replace the last error.
/// </summary>
internal sealed class RegistrationStatistics
{
    private long _triggered;
    private long _success;
    private long _failures;
    private long _aborted;
    private long _lastRunTicks;
    private long _totalRunTicks;
    private string? _lastError;

    public long Triggered => Volatile.Read(ref _triggered);
    public long Success => Volatile.Read(ref _success);
    public long Failures => Volatile.Read(ref _failures);
    public long Aborted => Volatile.Read(ref _aborted);
    public string? LastError => Volatile.Read(ref _lastError);

    public long LastRunDurationMs => ToMilliseconds(Volatile.Read(ref _lastRunTicks));
    public long TotalRunDurationMs => ToMilliseconds(Volatile.Read(ref _totalRunTicks));

    /// <summary>The mean duration of the runs that finished, in milliseconds, as RedisGears prints it ("0.35").</summary>
    public string AverageRunDurationMs
    {
        get
        {
            var finished = Success + Failures + Aborted;
            return finished == 0
                ? "0"
                : (Stopwatch.GetElapsedTime(0, Volatile.Read(ref _totalRunTicks)).TotalMilliseconds / finished).ToString("0.##", CultureInfo.InvariantCulture);
        }
    }

    public void OnTriggered() => Interlocked.Increment(ref _triggered);

    public void OnSucceeded(long elapsedTicks)
    {
        Interlocked.Increment(ref _success);
        AddDuration(elapsedTicks);
    }

    public void OnFailed(long elapsedTicks, string error)
    {
        Interlocked.Increment(ref _failures);
        Volatile.Write(ref _lastError, error);
        AddDuration(elapsedTicks);
    }

    public void OnAborted(long elapsedTicks, string reason)
    {
        Interlocked.Increment(ref _aborted);
        Volatile.Write(ref _lastError, reason);
        AddDuration(elapsedTicks);
    }

    /// <summary>RG.CLEARREGISTRATIONSSTATS: back to zero, and no last error.</summary>
    public void Clear()
    {
        Volatile.Write(ref _triggered, 0);
        Volatile.Write(ref _success, 0);
        Volatile.Write(ref _failures, 0);
        Volatile.Write(ref _aborted, 0);
        Volatile.Write(ref _lastRunTicks, 0);
        Volatile.Write(ref _totalRunTicks, 0);
        Volatile.Write(ref _lastError, null);
    }

    private void AddDuration(long elapsedTicks)
    {
        Volatile.Write(ref _lastRunTicks, elapsedTicks);
        Interlocked.Add(ref _totalRunTicks, elapsedTicks);
    }

    private static long ToMilliseconds(long stopwatchTicks) => (long)Stopwatch.GetElapsedTime(0, stopwatchTicks).TotalMilliseconds;
}
