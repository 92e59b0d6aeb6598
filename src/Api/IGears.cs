using System.ComponentModel;

namespace SharpGears.Api;

/// <summary>
/// The functions of the engine. A script sees them as globals (<c>GB()</c>, <c>Execute(...)</c>); a
/// plugin gets them in <see cref="IGearsPlugin.Register"/>, by the same names.
/// </summary>
public interface IGears
{
    /// <summary>Starts a pipeline over the KeysReader.</summary>
    GearsBuilder<KeyRecord> GB() => GB(Readers.Keys);

    /// <summary>Starts a pipeline over <paramref name="reader"/>.</summary>
    /// <typeparam name="TRecord">The records the reader produces.</typeparam>
    GearsBuilder<TRecord> GB<TRecord>(Reader<TRecord> reader);

    /// <summary>
    /// Runs a Redis command on the backend and returns its reply: a <see cref="string"/> for bulk and
    /// status replies, a <see cref="long"/> for integers, an <c>object?[]</c> for arrays, null for nil.
    /// An error reply is thrown as a <see cref="GearsException"/>. Each call is its own command, not
    /// atomic with the next.
    /// </summary>
    object? Execute(string command, params object?[] arguments);

    /// <summary>
    /// Compiler support, not for direct use: SharpGears' script compiler turns an <see cref="Execute"/>
    /// whose reply is unused, at the very end of a step's lambda, into this call. The engine sends the
    /// command and waits for its reply when the step returns, before anything else of the execution
    /// runs, so the script sees the same order and the same error (at <paramref name="line"/>), while
    /// the thread serves other executions meanwhile.
    /// </summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    void ExecuteAtStepEnd(int line, string command, params object?[] arguments) => Execute(command, arguments);

    /// <summary>As <see cref="Execute"/>, without blocking the caller while Redis answers.</summary>
    Task<object?> ExecuteAsync(string command, params object?[] arguments);

    /// <summary>
    /// A client of another Redis at <paramref name="address"/>: <c>host:port</c>, or
    /// <c>redis://[user:password@]host:port[/db]</c>. It connects when first used (a source that is down
    /// when the script loads fails the calls, not the load), reconnects after a failure, and is closed
    /// when the script is replaced or unregistered. A script's synchronous calls take the same short
    /// path as <see cref="Execute"/>, which makes it the fast way to read through from a Redis.
    /// </summary>
    IRedisConnection ConnectRedis(string address);

    /// <summary>Writes to SharpGears' log, naming the script.</summary>
    void Log(string message, LogLevel level = LogLevel.Notice);

    /// <summary>A Redis configuration value (CONFIG GET), or null.</summary>
    string? ConfigGet(string key);

    /// <summary>A value set with RG.CONFIGSET (or a built-in setting), or <paramref name="defaultValue"/>.</summary>
    string? GearsConfigGet(string key, string? defaultValue = null);

    /// <summary>A hashtag that maps to this shard, for naming keys that must live here.</summary>
    string Hashtag();

    /// <summary>
    /// Replaces the reply of the client command that triggered this execution (registrations with
    /// <c>commands</c>): a string becomes a bulk string, one starting with '+' a status and with '-' an
    /// error; integers, null and arrays map to their RESP types. Throws when no client waits on this
    /// execution, or when the reply was already overridden.
    /// </summary>
    void OverrideReply(object? value);

    /// <summary>
    /// Inside a command hook: runs the next hook down the chain with <paramref name="arguments"/> (the
    /// command's arguments, without its name), and finally the command itself, on the client's own
    /// connection; returns its reply as <see cref="Execute"/> does. Returning that value from the hook
    /// gives the client the command's reply exactly as Redis sent it.
    /// </summary>
    object? CallNext(params object?[] arguments);

    /// <summary>As <see cref="CallNext"/>, without blocking the caller while the chain answers.</summary>
    Task<object?> CallNextAsync(params object?[] arguments);
}
