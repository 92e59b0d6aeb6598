using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SharpGears.Runtime.Backend;
using SharpGears.Runtime.Engine;
using SharpGears.Runtime.Hosting;

namespace SharpGears.Runtime.Gateway;

/// <summary>
/// The gateway: accepts client connections (through Kestrel's socket transport) and runs a
/// <see cref="ClientSession"/> for each, in front of the backend that <see cref="BackendService"/> provides.
/// </summary>
internal sealed partial class GatewayServer(
    IOptions<SharpGearsOptions> options,
    BackendService backend,
    GearsCommands gearsCommands,
    GearsEngine engine,
    ILoggerFactory loggerFactory) : IHostedService, IAsyncDisposable
{
    private static readonly byte[] s_maxClients = "-ERR max number of clients reached\r\n"u8.ToArray();
    private readonly ILogger _logger = loggerFactory.CreateLogger<GatewayServer>();
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<ClientSession, Task> _sessions = new();
    private IConnectionListener? _listener;
    private SharedLane[] _lanes = [];
    private Task _accepting = Task.CompletedTask;
    private Task _watchingAuthentication = Task.CompletedTask;
    private int _nextLane;

    public SharpGearsOptions Options { get; } = options.Value;

    public GearsCommands GearsCommands { get; } = gearsCommands;

    /// <summary>The engine: which client commands registrations intercept, and what runs for them.</summary>
    public GearsEngine Engine => engine;

    /// <summary>Who may run which RG.* commands.</summary>
    public GearsAuthorization Authorization => _authorization ??= new GearsAuthorization(this, engine);

    private GearsAuthorization? _authorization;

    public BackendTarget Target => backend.Target;

    /// <summary>Where the gateway listens (the real port when 0 was asked for).</summary>
    public EndPoint? EndPoint => _listener?.EndPoint;

    /// <summary>
    /// True when the backend requires AUTH: then each client gets its own backend connection and
    /// authenticates it itself. A shared connection keeps the rights it had when it was opened, so
    /// one opened before the backend required a password would let anonymous clients in; and Redis
    /// closes an unauthenticated connection over its request limits, failing every client on it.
    /// Checked at start, every second, and after every CONFIG or ACL command through the gateway.
    /// </summary>
    public bool ClientsNeedOwnConnection => Volatile.Read(ref _clientsNeedOwnConnection);

    private bool _clientsNeedOwnConnection;
    private int _authenticationChanges;
    private TaskCompletionSource? _authenticationSettled;
    private readonly Lock _authenticationChangeLock = new();

    /// <summary>
    /// Completes when no change of who must authenticate is under way. Clients on shared connections
    /// wait for it before they send anything, so that none uses a connection logged in before the
    /// change once it has happened.
    /// </summary>
    public Task AuthenticationSettled => Volatile.Read(ref _authenticationSettled)?.Task ?? Task.CompletedTask;

    /// <summary>
    /// Runs <paramref name="change"/> (a CONFIG SET requirepass or ACL change a client sent), then
    /// checks again whether the backend requires AUTH, even if the change itself failed.
    /// </summary>
    public async Task AuthenticationMayChangeAsync(Func<Task> change)
    {
        lock (_authenticationChangeLock)
        {
            if (_authenticationChanges++ == 0)
            {
                Volatile.Write(ref _authenticationSettled, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
            }
        }
        try
        {
            await change();
        }
        finally
        {
            await CheckAuthenticationAsync();
            TaskCompletionSource? settled = null;
            lock (_authenticationChangeLock)
            {
                if (--_authenticationChanges == 0)
                {
                    settled = Interlocked.Exchange(ref _authenticationSettled, null);
                }
            }
            settled?.TrySetResult();
        }
    }
    private readonly SemaphoreSlim _authCheck = new(1, 1);
    private static readonly TimeSpan s_authCheckInterval = TimeSpan.FromSeconds(1);

    /// <summary>Asks the backend, on an anonymous connection, whether it requires AUTH now.</summary>
    public async Task CheckAuthenticationAsync()
    {
        await _authCheck.WaitAsync();
        try
        {
            if (await BackendProbe.RequiresAuthenticationAsync(Target.EndPoint, _stopping.Token) is not { } required
                || required == Volatile.Read(ref _clientsNeedOwnConnection))
            {
                return; // nothing learned, or nothing changed
            }
            Volatile.Write(ref _clientsNeedOwnConnection, required);
            LogAuthenticationChanged(_logger, required
                ? "requires AUTH: each client gets a backend connection of its own"
                : "no longer requires AUTH: clients share backend connections again");
            if (required)
            {
                foreach (var lane in _lanes)
                {
                    lane.Recycle();
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            _authCheck.Release();
        }
    }

    private async Task WatchAuthenticationAsync()
    {
        using var timer = new PeriodicTimer(s_authCheckInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token))
            {
                try
                {
                    await CheckAuthenticationAsync();
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    LogAuthenticationCheckFailed(_logger, e);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>The number of connected clients.</summary>
    public int ClientCount => _sessions.Count;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var lanes = new SharedLane[Math.Max(1, Options.SharedConnections)];
        for (var i = 0; i < lanes.Length; i++)
        {
            lanes[i] = new SharedLane(Target, loggerFactory.CreateLogger<BackendConnection>());
        }
        var reachable = await Task.WhenAll(lanes.Select(lane => lane.StartAsync(cancellationToken)));
        if (!reachable.All(ok => ok))
        {
            LogBackendUnreachable(_logger, Target.ToString(), lanes[0].LastError ?? "?");
        }
        _lanes = lanes;
        await CheckAuthenticationAsync();
        _watchingAuthentication = WatchAuthenticationAsync();

        var transport = new SocketTransportFactory(Microsoft.Extensions.Options.Options.Create(new SocketTransportOptions
        {
            // Past this, a client's flush reports back-pressure: private backend connections then wait
            // for the client; shared ones never do (see ClientSession.FlushLocked).
            MaxWriteBufferSize = 1024 * 1024,
            // Past this, Kestrel stops reading the client's socket until the session consumes. Requests
            // are forwarded as they arrive once larger than StreamThreshold, and RG.* requests are
            // capped below it (ClientSession.MaxLocalRequest), so a large upload waits in the socket,
            // not in memory. 1 MB is 256 blocks: the pipe's pool of segments, so none are allocated.
            MaxReadBufferSize = ClientSession.MaxLocalRequest * 2,
            NoDelay = true,
            // Sessions run on the socket threads instead of hopping to the thread pool per read: on a
            // 2-core machine the hop costs more than the work. Nothing a session does there blocks;
            // RG.* commands, which may be slow, move to the thread pool first.
            UnsafePreferInlineScheduling = true,
        }), loggerFactory);
        var endPoint = new IPEndPoint(IPAddress.Parse(Options.Bind), Options.Port);
        _listener = await transport.BindAsync(endPoint, cancellationToken);
        LogListening(_logger, _listener.EndPoint.ToString() ?? "?", Target.ToString());
        _accepting = AcceptLoopAsync(_listener);
    }

    private async Task AcceptLoopAsync(IConnectionListener listener)
    {
        while (true)
        {
            ConnectionContext? connection;
            try
            {
                connection = await listener.AcceptAsync(_stopping.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            if (connection is null)
            {
                return; // unbound
            }
            if (_sessions.Count >= Options.MaxClients)
            {
                _ = RefuseAsync(connection);
                continue;
            }
            var lane = _lanes[(int)((uint)Interlocked.Increment(ref _nextLane) % (uint)_lanes.Length)];
            var session = new ClientSession(this, connection, lane, loggerFactory.CreateLogger<ClientSession>());
            _sessions[session] = RunSessionAsync(session, connection);
        }
    }

    private async Task RunSessionAsync(ClientSession session, ConnectionContext connection)
    {
        await Task.Yield();
        try
        {
            await session.RunAsync();
        }
        catch (Exception e)
        {
            LogSessionFailed(_logger, e, session.Id);
        }
        finally
        {
            _sessions.TryRemove(session, out _);
            await connection.DisposeAsync();
        }
    }

    private static async Task RefuseAsync(ConnectionContext connection)
    {
        await connection.Transport.Output.WriteAsync(s_maxClients);
        await connection.Transport.Output.CompleteAsync();
        await connection.DisposeAsync();
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        if (_listener is not null)
        {
            await _listener.UnbindAsync(cancellationToken);
        }
        await _accepting;
        await _watchingAuthentication;
        foreach (var session in _sessions.Keys)
        {
            session.Abort();
        }
        await Task.WhenAll(_sessions.Values).WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        foreach (var lane in _lanes)
        {
            await lane.DisposeAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_listener is not null)
        {
            await _listener.DisposeAsync();
        }
        _stopping.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "SharpGears gateway listening on {EndPoint}, in front of Redis at {Backend}")]
    private static partial void LogListening(ILogger logger, string endPoint, string backend);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The backend Redis at {Backend} is not reachable yet ({Reason}); clients get errors until it is, and the gateway keeps trying")]
    private static partial void LogBackendUnreachable(ILogger logger, string backend, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not check whether the backend requires AUTH")]
    private static partial void LogAuthenticationCheckFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "The backend Redis {Change}")]
    private static partial void LogAuthenticationChanged(ILogger logger, string change);

    [LoggerMessage(Level = LogLevel.Error, Message = "Client session {Client} failed")]
    private static partial void LogSessionFailed(ILogger logger, Exception exception, string client);
}
