namespace SharpGears.Runtime.Hosting;

/// <summary>
/// SharpGears' settings, bound from the "SharpGears" section of appsettings.json, environment
/// variables (SharpGears__Port=7000) and the command line (--port 7000).
/// </summary>
internal sealed class SharpGearsOptions
{
    public const string Section = "SharpGears";

    /// <summary>The gateway's TCP port (--port).</summary>
    public int Port { get; set; } = 6379;

    /// <summary>The address the gateway listens on (--bind); loopback unless told otherwise.</summary>
    public string Bind { get; set; } = "127.0.0.1";

    /// <summary>redis://[user:password@]host:port[/db] of an existing Redis (--backend); null for the embedded one.</summary>
    public string? Backend { get; set; }

    /// <summary>Where SharpGears keeps its state, the embedded Redis' data included (--data-dir).</summary>
    public string DataDir { get; set; } = "./data";

    /// <summary>A folder whose *.csx files are sessions, loaded again when they change (--scripts); none by default.</summary>
    public string? Scripts { get; set; }

    /// <summary>A folder of plugin assemblies, loaded again when they change (--plugins); none by default.</summary>
    public string? Plugins { get; set; }

    /// <summary>Milliseconds a changed file of those folders must stay unchanged before it is loaded (editors save in bursts).</summary>
    public int ReloadDelay { get; set; } = 300;

    /// <summary>The embedded backend's executable; found on PATH by default.</summary>
    public string RedisServer { get; set; } = "redis-server";

    /// <summary>Redis' maxclients: more clients are refused with Redis' own error.</summary>
    public int MaxClients { get; set; } = 10_000;

    /// <summary>Redis' proto-max-bulk-len: the longest bulk argument accepted.</summary>
    public long MaxBulkLength { get; set; } = 512L * 1024 * 1024;

    /// <summary>An unfinished request larger than this is forwarded as it arrives instead of buffered.</summary>
    public long StreamThreshold { get; set; } = 256 * 1024;

    /// <summary>Threads that poll sockets and run the gateway's I/O; 0 means one per 4 cores (at least 1).</summary>
    public int IoThreads { get; set; }

    /// <summary>How many backend connections the plain commands of all clients share.</summary>
    public int SharedConnections { get; set; } = 2;

    /// <summary>Threads that run async and async_local executions (RedisGears' ExecutionThreads).</summary>
    public int ExecutionThreads { get; set; } = 3;

    /// <summary>Milliseconds an execution (or a script's body) may run before it is aborted; RG.CONFIGSET ExecutionTimeout changes it.</summary>
    public int ExecutionTimeout { get; set; } = 60_000;
}
