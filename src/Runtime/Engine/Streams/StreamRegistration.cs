using System.Globalization;
using SharpGears.Api.Pipeline;
using SharpGears.Runtime.Engine.Registrations;

namespace SharpGears.Runtime.Engine.Streams;

/// <summary>What RG.DUMPREGISTRATIONS shows as a StreamReader registration's <c>status</c>, in RedisGears' words.</summary>
internal enum StreamStatus
{
    Ok,
    Paused,
    Aborted,
    WaitingForRetryOnFailure,
}

/// <summary>
/// A StreamReader registration's state: its consumer group, its status, the streams it consumes and
/// the estimated lag of its batches.
/// </summary>
internal sealed class StreamRegistration
{
    /// <summary>The consumer name in every group: one reader per group, this gateway.</summary>
    public const string Consumer = "sharpgears";

    private long _lastLagMs;
    private long _totalLagMs;
    private long _batches;
    private volatile StreamStatus _status = StreamStatus.Ok;

    public StreamRegistration(Registration registration, string group)
    {
        Registration = registration;
        Group = group;
        Options = registration.Request.Stream ?? StreamOptions.Default;
    }

    public Registration Registration { get; }

    /// <summary>
    /// The consumer group it reads through, named after its session and its place there, so that an
    /// UPGRADE of the session carries on where the old code stopped, while two registrations never
    /// share one (RedisGears' shared consumer made two registrations loop forever).
    /// </summary>
    public string Group { get; }

    public StreamOptions Options { get; }

    public StreamStatus Status
    {
        get => _status;
        set => _status = value;
    }

    /// <summary>The status as RedisGears names it.</summary>
    public string StatusName => Status switch
    {
        StreamStatus.Paused => "PAUSED",
        StreamStatus.Aborted => "ABORTED",
        StreamStatus.WaitingForRetryOnFailure => "WAITING_FOR_RETRY_ON_FAILURE",
        _ => "OK",
    };

    /// <summary>Runs only while not paused or aborted.</summary>
    public bool IsRunning => Status is StreamStatus.Ok or StreamStatus.WaitingForRetryOnFailure;

    /// <summary>The streams it has consumers for (in this process), by key.</summary>
    public ConcurrentDictionary<string, StreamConsumer> Consumers { get; } = new(StringComparer.Ordinal);

    /// <summary>The streams it has read, where its group is removed when it goes for good (a stream deleted since is forgotten).</summary>
    public ConcurrentDictionary<string, byte> Streams { get; } = new(StringComparer.Ordinal);

    /// <summary>Stops its consumers (unregistered, paused, aborted); a new source is made when they start again.</summary>
    public CancellationTokenSource Stop { get; set; } = new();

    public long LastEstimatedLagMs => Volatile.Read(ref _lastLagMs);

    public string AverageEstimatedLagMs
    {
        get
        {
            var batches = Volatile.Read(ref _batches);
            return batches == 0 ? "0" : ((double)Volatile.Read(ref _totalLagMs) / batches).ToString("0.##", CultureInfo.InvariantCulture);
        }
    }

    /// <summary>A batch finished <paramref name="lagMs"/> after its oldest entry was added.</summary>
    public void OnBatchDone(long lagMs)
    {
        Volatile.Write(ref _lastLagMs, lagMs);
        Interlocked.Add(ref _totalLagMs, lagMs);
        Interlocked.Increment(ref _batches);
    }

    /// <summary>RG.CLEARREGISTRATIONSSTATS.</summary>
    public void ClearLag()
    {
        Volatile.Write(ref _lastLagMs, 0);
        Volatile.Write(ref _totalLagMs, 0);
        Volatile.Write(ref _batches, 0);
    }
}
