using SharpGears.Api;
using SharpGears.Api.Pipeline;
using SharpGears.Runtime.Engine.KeyEvents;
using SharpGears.Runtime.Engine.Sessions;

namespace SharpGears.Runtime.Engine.Registrations;

/// <summary>
/// A pipeline registered to run on events, with the arguments of its <c>Register</c> call, the
/// session that owns it and its statistics.
/// </summary>
internal sealed class Registration
{
    private readonly string _prefix;
    private readonly byte[] _prefixBytes;
    private readonly bool _prefixIsPattern;
    private readonly HashSet<string>? _eventTypes;
    private readonly HashSet<string>? _keyTypes;
    private volatile bool _active = true;

    /// <param name="streamGroup">For a StreamReader registration, the consumer group it reads through.</param>
    public Registration(string id, Session session, RegistrationRequest request, IReadOnlyList<string> warnings, string? streamGroup = null)
    {
        Id = id;
        Session = session;
        Request = request;
        Warnings = warnings;
        // A hook's keyPrefix is a plain prefix (RedisGears: "fire if any key starts with it").
        var prefix = request.Hook is not null ? (request.KeyPrefix ?? "") + "*" : request.Prefix;
        _prefixIsPattern = prefix.EndsWith('*');
        _prefix = _prefixIsPattern ? prefix[..^1] : prefix;
        _prefixBytes = System.Text.Encoding.UTF8.GetBytes(_prefix);
        // A StreamReader registration listens to xadd: new streams and new entries.
        _eventTypes = streamGroup is not null ? new(["xadd"], StringComparer.OrdinalIgnoreCase)
            : request.EventTypes is { } events ? new(events, StringComparer.OrdinalIgnoreCase) : null;
        _keyTypes = request.KeyTypes is { } types ? new(types, StringComparer.OrdinalIgnoreCase) : null;
        Stream = streamGroup is null ? null : new Streams.StreamRegistration(this, streamGroup);
    }

    /// <summary>"0000000000000000000000000000000000000000-7": the shard's id and a sequence number.</summary>
    public string Id { get; }

    public Session Session { get; }

    /// <summary>What the script asked for: reader, steps, mode and the reader's arguments.</summary>
    public RegistrationRequest Request { get; }

    public ExecutionMode Mode => Request.Mode;

    public IReadOnlyList<Step> Steps => Request.Steps;

    public RegistrationStatistics Statistics { get; } = new();

    /// <summary>A StreamReader registration's group, status and lag; null for other readers.</summary>
    public Streams.StreamRegistration? Stream { get; }

    /// <summary>Its last executions (MaxExecutionsPerRegistration), for the execution registry's commands.</summary>
    public Executions.KeptExecutions Executions { get; } = new();

    /// <summary>What looked wrong at registration (e.g. an event Redis never sends); shown, not fatal.</summary>
    public IReadOnlyList<string> Warnings { get; }

    /// <summary>False once unregistered: executions queued before then do not start.</summary>
    public bool IsActive => _active;

    /// <summary>True when records must know the key's type before the pipeline may run.</summary>
    public bool FiltersKeyTypes => _keyTypes is not null;

    /// <summary>The event types this registration wants, or null for every event Redis sends by default.</summary>
    public IReadOnlySet<string>? EventTypes => _eventTypes;

    /// <summary>Fired by the gateway, linked to the client whose command fired it (<c>commands</c>), not by keyspace notifications.</summary>
    public bool IsLinked => Request.Commands is not null;

    public void Deactivate() => _active = false;

    private long _lastFailureLogged;

    /// <summary>True at most once a second: failures are logged with their stack trace, not flooded.</summary>
    public bool ShouldLogFailure()
    {
        var now = Environment.TickCount64;
        var last = Volatile.Read(ref _lastFailureLogged);
        return now - last >= 1000 && Interlocked.CompareExchange(ref _lastFailureLogged, now, last) == last;
    }

    /// <summary>Whether a keyspace event <paramref name="eventName"/> on <paramref name="key"/> concerns this registration.</summary>
    public bool Matches(string key, string eventName) =>
        (_prefixIsPattern ? key.StartsWith(_prefix, StringComparison.Ordinal) : key == _prefix)
        && (_eventTypes is null ? !KeyEventNames.IsOptIn(eventName) : _eventTypes.Contains(eventName));

    /// <summary>Whether <paramref name="key"/> (as a client sent it) passes the prefix, or a hook's keyPrefix.</summary>
    public bool MatchesKey(ReadOnlySpan<byte> key) =>
        _prefixIsPattern ? key.StartsWith(_prefixBytes) : key.SequenceEqual(_prefixBytes);

    /// <summary>Whether a key of <paramref name="type"/> passes the <c>keyTypes</c> filter.</summary>
    public bool AcceptsType(string type) => _keyTypes is null || _keyTypes.Contains(type);
}
