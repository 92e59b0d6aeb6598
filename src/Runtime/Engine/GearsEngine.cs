using System.Globalization;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using LogLevel = Microsoft.Extensions.Logging.LogLevel;
using Microsoft.Extensions.Options;
using SharpGears.Api;
using SharpGears.Api.Pipeline;
using SharpGears.Runtime.Engine.Configuration;
using SharpGears.Runtime.Engine.Execution;
using SharpGears.Runtime.Engine.KeyEvents;
using SharpGears.Runtime.Engine.Registrations;
using SharpGears.Runtime.Engine.Sessions;
using SharpGears.Runtime.Engine.Streams;
using SharpGears.Runtime.Hosting;
using SharpGears.Runtime.Scripting;
using SharpGears.Runtime.Scripting.Requirements;

namespace SharpGears.Runtime.Engine;

/// <summary>
/// The trigger engine: sessions of code and the registrations they make, the keyspace events that
/// fire them, and the pools their executions run on. Started after the backend and before the
/// gateway, so that RG.* commands work from the first client on.
/// </summary>
internal sealed partial class GearsEngine(
    IOptions<SharpGearsOptions> options,
    BackendService backend,
    GearsSettings settings,
    ILoggerFactory loggerFactory,
    IHostApplicationLifetime lifetime) : IHostedService, IAsyncDisposable
{
    /// <summary>On one node the shard id is forty zeros, as in RedisGears.</summary>
    public const string ShardId = "0000000000000000000000000000000000000000";

    private readonly ILogger _logger = loggerFactory.CreateLogger<GearsEngine>();
    private readonly ILogger _scriptLogger = loggerFactory.CreateLogger("SharpGears.Scripts");
    // Roslyn is loaded with the first script, not before: a gateway without scripts does not pay for it.
    // Requirements are restored into a cache under --data-dir, which survives restarts.
    private readonly Lazy<ScriptCompiler> _compiler = new(() => new ScriptCompiler(
        new PackageRestorer(Path.Combine(options.Value.DataDir, "requirements"), loggerFactory.CreateLogger<PackageRestorer>())));
    private readonly SemaphoreSlim _changes = new(1, 1);
    private readonly Dictionary<string, Session> _sessions = [];
    private readonly Dictionary<string, Registration> _registrations = [];
    private readonly List<(string Id, WeakReference LoadContext)> _dead = [];
    private readonly Dictionary<string, LoadFailure> _loadFailures = [];
    private SessionStore _store = null!;
    private BackendClient _client = null!;
    private ExecutionPool _pool = null!;
    private ExecutionPool _dispatchThread = null!;
    private RegistrationExecutor _executor = null!;
    private KeyEventDispatcher _dispatcher = null!;
    private KeyspaceSubscriber _subscriber = null!;
    private StreamProcessor _streams = null!;
    private long _sequence;

    public GearsSettings Settings { get; } = settings;

    /// <summary>SharpGears' own client of the backend, logged in with the --backend credentials.</summary>
    public BackendClient Client => _client;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var target = backend.Target;
        _store = new SessionStore(options.Value.DataDir, _logger);
        _client = new BackendClient(target, loggerFactory.CreateLogger<BackendClient>(), Settings.Timeout);
        await _client.StartAsync(cancellationToken);
        _pool = new ExecutionPool("execution", Settings.Threads, () => Settings.Timeout, _logger, BackendClient.AdoptCurrentThread);
        _dispatchThread = new ExecutionPool("sync dispatch", 1, () => Settings.Timeout, _logger, BackendClient.AdoptCurrentThread);
        _executor = new RegistrationExecutor(Settings, _logger, () => Interlocked.Increment(ref _sequence));
        _dispatcher = new KeyEventDispatcher(_dispatchThread, _pool, _executor, _client);
        _streams = new StreamProcessor(_client, _dispatcher, _executor, loggerFactory.CreateLogger<StreamProcessor>());
        _subscriber = new KeyspaceSubscriber(target, _logger, OnKeyEvent, OnNotificationsConnectedAsync);
        _subscriber.Start();
        // Restored registrations must be listening before the gateway serves anyone; a backend that is
        // down does not hold the start up for long: they listen once it is back.
        await _subscriber.Connected.WaitAsync(TimeSpan.FromSeconds(5), cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await LoadStoredSessionsAsync();
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _subscriber?.Dispose();
        _dispatchThread?.Dispose();
        _pool?.Dispose();
        _executor?.Dispose();
        return Task.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        if (_client is not null)
        {
            await _client.DisposeAsync();
        }
    }

    private void OnKeyEvent(string eventName, string key)
    {
        _dispatcher.OnEvent(eventName, key);
        if (eventName == "xadd")
        {
            _streams.OnEntriesAdded(key);
        }
    }

    // Events were missed while the subscriber was away: stream registrations look at their streams again.
    private async Task OnNotificationsConnectedAsync()
    {
        await EnableNotificationsAsync();
        _streams.OnReconnected();
    }

    /// <summary>The StreamReader registrations' consumers: RG.PAUSEREGISTRATIONS and RG.UNPAUSEREGISTRATIONS go here.</summary>
    public StreamProcessor Streams => _streams;

    private string NextId() => $"{ShardId}-{Interlocked.Increment(ref _sequence)}";

    // Ids given back after a restart must not be handed out again.
    private void ReserveId(string id)
    {
        if (id.StartsWith(ShardId + "-", StringComparison.Ordinal)
            && long.TryParse(id.AsSpan(ShardId.Length + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var number))
        {
            long current;
            while ((current = Volatile.Read(ref _sequence)) < number && Interlocked.CompareExchange(ref _sequence, number, current) != current)
            {
            }
        }
    }

    /// <summary>A snapshot of the live sessions.</summary>
    public IReadOnlyList<Session> Sessions
    {
        get
        {
            lock (_sessions)
            {
                return [.. _sessions.Values.OrderBy(s => s.Id, StringComparer.Ordinal)];
            }
        }
    }

    /// <summary>Sessions replaced or removed whose code is still in memory (something still runs it, or no GC yet).</summary>
    public IReadOnlyList<string> DeadSessions
    {
        get
        {
            lock (_dead)
            {
                _dead.RemoveAll(d => !d.LoadContext.IsAlive);
                return [.. _dead.Select(d => d.Id)];
            }
        }
    }

    /// <summary>A snapshot of the live registrations, in the order they were made.</summary>
    public IReadOnlyList<Registration> Registrations
    {
        get
        {
            lock (_sessions)
            {
                return [.. _registrations.Values.OrderBy(r => r.Id.Length).ThenBy(r => r.Id, StringComparer.Ordinal)];
            }
        }
    }

    /// <summary>Threads of the pool given up because a script never returned.</summary>
    public int AbandonedThreads => (_pool?.AbandonedThreads ?? 0) + (_dispatchThread?.AbandonedThreads ?? 0);

    /// <summary>
    /// Creates a registration for <paramref name="request"/>, checked but not active yet. Throws a
    /// <see cref="GearsException"/> for what cannot be registered.
    /// </summary>
    /// <param name="place">Its place among the registrations the session's code made, which names a stream registration's consumer group.</param>
    private async Task<Registration> CreateRegistrationAsync(Session session, RegistrationRequest request, string? id, int? place = null)
    {
        if (request.Reader != Readers.Keys.Name && request.Reader != Readers.Command.Name && request.Reader != Readers.Stream.Name)
        {
            throw new GearsException($"the {request.Reader} cannot Register: it only reads for Run()");
        }
        var isStream = request.Reader == Readers.Stream.Name;
        if (isStream && (request.EventTypes is not null || request.KeyTypes is not null || request.Commands is not null))
        {
            throw new GearsException("eventTypes, keyTypes and commands are KeysReader arguments: a StreamReader registration takes prefix, batch, duration, onFailedPolicy, onFailedRetryInterval, trimStream and mode");
        }
        if (!isStream && request.Stream is not null)
        {
            throw new GearsException($"batch, duration, onFailedPolicy, onFailedRetryInterval and trimStream are StreamReader arguments: start the pipeline with GB(Readers.Stream), not the {request.Reader}");
        }
        await CheckCommandsAsync(request).ConfigureAwait(false); // also waited for synchronously (AddRegistration)
        var warnings = new List<string>();
        foreach (var eventType in request.EventTypes ?? [])
        {
            if (KeyEventNames.WarningFor(eventType) is { } warning)
            {
                warnings.Add(warning);
            }
        }
        if (request.EventTypes is { Count: 0 })
        {
            warnings.Add("eventTypes is empty: no event ever fires this registration; pass null for all events");
        }
        if (request.Commands is { Count: 0 })
        {
            warnings.Add("commands is empty: no command ever fires this registration; pass null for events from any client");
        }
        else if (request.Commands is { } commands && request.EventTypes?.Contains("keymiss", StringComparer.OrdinalIgnoreCase) != true
            && !commands.Any(c => CachedCommandSpec(c)?.Writes == true))
        {
            warnings.Add("commands names only reads, which fire nothing but keymiss: add eventTypes: [\"keymiss\"] to react to reads that find nothing");
        }
        // A stored id was reserved when the stored sessions were read (LoadStoredSessionsAsync).
        id ??= NextId();
        return new Registration(id, session, request, warnings, isStream ? $"sharpgears:{session.Id}:{place?.ToString(CultureInfo.InvariantCulture) ?? id}" : null);
    }

    /// <summary>Registers <paramref name="request"/> for a live session (a registration made after its body ran).</summary>
    public void AddRegistration(Session session, RegistrationRequest request, string? id)
    {
        var registration = CreateRegistrationAsync(session, request, id).GetAwaiter().GetResult();
        CheckTriggersFree([registration]);
        lock (_sessions)
        {
            if (session.IsDead)
            {
                throw new GearsException($"session {session.Id} was replaced or removed: it cannot register any more");
            }
            session.Add(registration);
            _registrations[registration.Id] = registration;
        }
        LogWarnings(registration);
        _ = RefreshAsync();
    }

    private void LogWarnings(Registration registration)
    {
        foreach (var warning in registration.Warnings)
        {
            LogRegistrationWarning(_logger, registration.Id, registration.Session.Id, warning);
        }
    }

    /// <summary>
    /// Points the dispatcher at the live registrations, makes sure the backend sends the events they
    /// need, and listens to exactly those.
    /// </summary>
    private async Task RefreshAsync()
    {
        var registrations = Registrations;
        _dispatcher.Update(registrations);
        UpdateInterceptions(registrations);
        await EnableNotificationsAsync();
        var keyRegistrations = registrations.Where(ListensToNotifications).ToList();
        IReadOnlyCollection<string> events = keyRegistrations.Any(r => r.EventTypes is null)
            ? [KeyspaceSubscriber.AllEvents]
            : keyRegistrations.SelectMany(r => r.EventTypes!).Select(e => e.ToLowerInvariant()).ToHashSet();
        await _subscriber.ListenAsync(events);
        // Once xadd is listened to: a stream made after the registrations' SCAN is seen by its xadd.
        _streams.Update(registrations);
    }

    /// <summary>
    /// Adds the notify-keyspace-events classes that registrations need to the backend's (never removes
    /// any: the user's own listeners may rely on them). Also called whenever the subscriber reconnects,
    /// because a restarted backend has forgotten them.
    /// </summary>
    private async Task EnableNotificationsAsync()
    {
        var needed = string.Concat(Registrations
            .Where(ListensToNotifications)
            .Select(r => KeyEventNames.FlagsFor(r.EventTypes))).Distinct().ToArray();
        if (needed.Length == 0)
        {
            return;
        }
        _dispatcher.KeyMissesPublished = true; // until known otherwise: reading quietly is never wrong
        try
        {
            var current = await _client.ExecuteAsync("CONFIG", "GET", "notify-keyspace-events") is object?[] { Length: >= 2 } pair ? pair[1] as string ?? "" : "";
            var missing = new string([.. needed.Where(flag => !current.Contains(flag))]);
            if (missing.Length > 0)
            {
                await _client.ExecuteAsync("CONFIG", "SET", "notify-keyspace-events", current + missing);
                LogNotificationsEnabled(_logger, current + missing);
            }
            _dispatcher.KeyMissesPublished = (current + missing).Contains('m');
        }
        catch (Exception e)
        {
            LogNotificationsRefused(_logger, new string(needed), e.Message);
        }
    }

    // Registrations with commands are fired by the gateway, from the commands it forwards.
    // StreamReader registrations listen to xadd, to read new streams and new entries at once.
    private static bool ListensToNotifications(Registration registration) =>
        (registration.Request.Reader == Readers.Keys.Name && !registration.IsLinked) || registration.Stream is not null;

    [LoggerMessage(Level = LogLevel.Information, Message = "Keyspace notifications on the backend are now '{Flags}'")]
    private static partial void LogNotificationsEnabled(ILogger logger, string flags);

    [LoggerMessage(Level = LogLevel.Error, Message = "The backend refused to enable keyspace notifications ({Error}): registrations will not fire until notify-keyspace-events includes '{Flags}' (set it in redis.conf, or give SharpGears' --backend user the right to CONFIG SET)")]
    private static partial void LogNotificationsRefused(ILogger logger, string flags, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Registration {Registration} (session {Session}): {Warning}")]
    private static partial void LogRegistrationWarning(ILogger logger, string registration, string session, string warning);
}
