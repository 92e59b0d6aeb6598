using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using SharpGears.Api.Pipeline;

namespace SharpGears.Api;

/// <summary>
/// A pipeline under construction, started by <c>GB()</c>: operations (<c>Map</c>, <c>Filter</c>,
/// <c>ForEach</c>, ...) add steps, and an action (<c>Register</c>) hands it to the engine. Each
/// operation returns a new builder; a builder cannot be used again after its action.
/// </summary>
/// <typeparam name="T">The records at this point of the pipeline.</typeparam>
public sealed class GearsBuilder<T>
{
    private readonly IGearsRuntime _runtime;
    private readonly ImmutableList<Step> _steps;
    private bool _used;

    private readonly object? _source;

    internal GearsBuilder(IGearsRuntime runtime, string reader, object? source, ImmutableList<Step> steps)
    {
        _runtime = runtime;
        Reader = reader;
        _source = source;
        _steps = steps;
    }

    /// <summary>The reader the pipeline starts from.</summary>
    public string Reader { get; }

    internal IReadOnlyList<Step> Steps => _steps;

    /// <summary>This pipeline with one more step, as a builder of <typeparamref name="TNext"/>.</summary>
    internal GearsBuilder<TNext> With<TNext>(Step step)
    {
        Use();
        return new GearsBuilder<TNext>(_runtime, Reader, _source, _steps.Add(step));
    }

    /// <summary>
    /// Runs the pipeline on every matching event, from now on and after restarts.
    /// </summary>
    /// <param name="prefix">Keys to react to: a prefix ending in '*' matches keys that start with the rest; any other must equal the key.</param>
    /// <param name="eventTypes">Keyspace events to react to ("set", "del", "expired", "keymiss", ...); null for all.</param>
    /// <param name="keyTypes">Key types to react to ("string", "hash", ...); null for all.</param>
    /// <param name="readValue">Whether records carry the key's value.</param>
    /// <param name="commands">Client commands whose events fire the registration, linked to the client that sent them; null for events from anywhere.</param>
    /// <param name="mode">Where and when executions run.</param>
    /// <param name="onRegistered">Called once the registration is in place, and again after every restart.</param>
    // Preferred when a call names no argument of another reader's (GB(Readers.Stream).Register(prefix: "s:*") is a
    // StreamReader registration with its defaults: the engine reads the reader from the builder).
    [OverloadResolutionPriority(1)]
    public void Register(
        string prefix = "*",
        IReadOnlyList<string>? eventTypes = null,
        IReadOnlyList<string>? keyTypes = null,
        bool readValue = true,
        IReadOnlyList<string>? commands = null,
        ExecutionMode mode = ExecutionMode.Async,
        Action? onRegistered = null)
    {
        Use();
        _runtime.Register(new RegistrationRequest(Reader, _steps, mode, prefix, eventTypes, keyTypes, readValue, commands, onRegistered));
    }

    /// <summary>
    /// Processes the entries added to streams whose key matches <paramref name="prefix"/> (a
    /// StreamReader registration, <c>GB(Readers.Stream)</c>), in batches, at least once: each
    /// registration reads through a consumer group of its own and acknowledges a batch's entries only
    /// once the batch succeeded, so entries pending when the gateway stopped are processed after it
    /// starts again. Streams are found when the registration is made, and when they are created.
    /// </summary>
    /// <param name="prefix">Streams to read: a prefix ending in '*' matches keys that start with the rest; any other must equal the key.</param>
    /// <param name="batch">Entries per execution, at most.</param>
    /// <param name="duration">Milliseconds a batch that is not full may wait for more entries; 0 runs it with what there is.</param>
    /// <param name="onFailedPolicy">
    /// What a failing batch leads to: skipped (Continue), the registration stopped (Abort), or the batch
    /// run again (Retry). One record that throws fails its whole batch: handle bad entries in the
    /// pipeline (a Filter, or a catch) when one must neither drop its batch nor block the stream.
    /// </param>
    /// <param name="onFailedRetryInterval">With <see cref="OnFailedPolicy.Retry"/>, seconds between tries.</param>
    /// <param name="trimStream">Whether entries that every consumer group of the stream has acknowledged are removed from it.</param>
    /// <param name="mode">Where executions run: <c>Sync</c> on the dispatch thread, the others on the execution pool. Batches of one stream run one after another in any mode.</param>
    /// <param name="onRegistered">Called once the registration is in place, and again after every restart.</param>
    public void Register(
        string prefix = "*",
        int batch = 1,
        int duration = 0,
        OnFailedPolicy onFailedPolicy = OnFailedPolicy.Continue,
        int onFailedRetryInterval = 1,
        bool trimStream = true,
        ExecutionMode mode = ExecutionMode.Async,
        Action? onRegistered = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(duration);
        ArgumentOutOfRangeException.ThrowIfLessThan(onFailedRetryInterval, 1);
        Use();
        _runtime.Register(new RegistrationRequest(Reader, _steps, mode, prefix, null, null, true, null, onRegistered,
            Stream: new StreamOptions(batch, duration, onFailedPolicy, onFailedRetryInterval, trimStream)));
    }

    /// <summary>
    /// Makes <c>RG.TRIGGER <paramref name="trigger"/> args...</c> (and <c>RG.TRIGGERONKEY</c>) run the
    /// pipeline over one record, the call's arguments; the caller gets the records that come out, or
    /// the first error. A CommandReader registration.
    /// </summary>
    /// <param name="trigger">The trigger's name; one registration per name.</param>
    /// <param name="mode">Where executions run; the caller waits for them either way.</param>
    /// <param name="onRegistered">Called once the registration is in place, and again after every restart.</param>
    public void Register(string trigger, ExecutionMode mode = ExecutionMode.Async, Action? onRegistered = null)
    {
        Use();
        _runtime.Register(new RegistrationRequest(Reader, _steps, mode, "*", null, null, false, null, onRegistered, Trigger: trigger));
    }

    /// <summary>
    /// Hooks the Redis command <paramref name="hook"/>: a client's call goes to the pipeline instead,
    /// as one record of its arguments (the command's name first), and the one record that comes out is
    /// the client's reply. <c>CallNext(args)</c> runs the next hook down, and finally the command
    /// itself. Hooks of one command nest: the last registered runs first. A CommandReader registration.
    /// </summary>
    /// <param name="hook">The command to hook, e.g. "set".</param>
    /// <param name="keyPrefix">Only calls naming a key that starts with this go to the hook; null for every call.</param>
    /// <param name="mode">Where executions run; the client waits for them either way.</param>
    /// <param name="onRegistered">Called once the registration is in place, and again after every restart.</param>
    public void Register(string hook, string? keyPrefix = null, ExecutionMode mode = ExecutionMode.Async, Action? onRegistered = null)
    {
        Use();
        _runtime.Register(new RegistrationRequest(Reader, _steps, mode, "*", null, null, false, null, onRegistered, Hook: hook, KeyPrefix: keyPrefix));
    }

    /// <summary>
    /// Runs the pipeline once, now, over what its reader reads: for the KeysReader and KeysOnlyReader
    /// the keys that match <paramref name="pattern"/> (a SCAN, in batches), for a generator reader its
    /// records, for the ShardsIDReader one record per shard. <c>RG.CSEXECUTE</c> replies with the
    /// records that come out and the errors of records that failed (or, with <c>UNBLOCKING</c>, the
    /// execution's id); the execution is kept for <c>RG.GETRESULTS</c> and <c>RG.GETEXECUTION</c>.
    /// </summary>
    /// <param name="pattern">Keys to read, in SCAN's MATCH syntax ("user:*").</param>
    /// <param name="noScan">The pattern is one key's name: read that key only, without a scan.</param>
    /// <param name="readValue">Whether KeysReader records carry the key's value (and type).</param>
    /// <param name="count">Keys asked of each SCAN call, and records read per batch.</param>
    [OverloadResolutionPriority(1)] // Run("orders") of a StreamReader reads that stream from its start
    public void Run(string pattern = "*", bool noScan = false, bool readValue = true, int count = 1000)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        Use();
        _runtime.Run(new RunRequest(Reader, _source, _steps, pattern, noScan, readValue, count));
    }

    /// <summary>
    /// Runs the pipeline once, now, over the entries of the stream <paramref name="keyName"/> from
    /// <paramref name="fromId"/> on (a StreamReader, <c>GB(Readers.Stream)</c>), read in batches of
    /// <paramref name="count"/>; replies and keeps the execution as the other <c>Run</c>.
    /// </summary>
    /// <param name="keyName">The stream's key.</param>
    /// <param name="fromId">The first id to read ("0-0": from the start).</param>
    /// <param name="count">Entries read per batch.</param>
    public void Run(string keyName, string fromId = "0-0", int count = 1000)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        Use();
        _runtime.Run(new RunRequest(Reader, _source, _steps, keyName, NoScan: true, ReadValue: true, count, fromId));
    }

    private void Use()
    {
        if (_used)
        {
            throw new InvalidOperationException("This builder was used already: each operation returns a new one, and a pipeline has one action.");
        }
        _used = true;
    }
}
