namespace SharpGears.Api;

/// <summary>The readers a pipeline can start from, for <see cref="IGears.GB{TRecord}(Reader{TRecord})"/>.</summary>
public static class Readers
{
    /// <summary>Keys: keyspace events for <c>Register</c>, a scan of the keyspace for <c>Run</c>. The default of <c>GB()</c>.</summary>
    public static Reader<KeyRecord> Keys { get; } = new("KeysReader");

    /// <summary>Key names only, from a scan of the keyspace (<c>Run</c> only): each record is a key's name.</summary>
    public static Reader<string> KeysOnly { get; } = new("KeysOnlyReader");

    /// <summary>One record per shard, its id (<c>Run</c> only): on one node, one record.</summary>
    public static Reader<string> ShardsId { get; } = new("ShardsIDReader");

    /// <summary>
    /// Stream entries: for <c>Register</c> the entries added to streams whose key matches the prefix,
    /// read through a consumer group of the registration's own and acknowledged once their batch
    /// succeeded (at least once, across restarts); for <c>Run</c> the entries of one stream from an id on.
    /// </summary>
    public static Reader<StreamRecord> Stream { get; } = new("StreamReader");

    /// <summary>
    /// Commands: a trigger called with <c>RG.TRIGGER</c>, or a hook on a Redis command. Each record is
    /// the call's arguments as strings, the trigger's or the command's name first.
    /// </summary>
    public static Reader<string[]> Command { get; } = new("CommandReader");

    /// <summary>The records <paramref name="records"/> yields, read as the pipeline takes them (<c>Run</c> only).</summary>
    public static Reader<T> Generator<T>(IEnumerable<T> records) =>
        new("GeneratorReader", records ?? throw new ArgumentNullException(nameof(records)));

    /// <summary>The records <paramref name="records"/> yields, awaited as the pipeline takes them (<c>Run</c> only).</summary>
    public static Reader<T> Generator<T>(IAsyncEnumerable<T> records) =>
        new("GeneratorReader", Untyped(records ?? throw new ArgumentNullException(nameof(records))));

    // The engine reads every generator's records as objects.
    private static async IAsyncEnumerable<object?> Untyped<T>(IAsyncEnumerable<T> records, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken stop = default)
    {
        await foreach (var record in records.WithCancellation(stop).ConfigureAwait(false))
        {
            yield return record;
        }
    }
}
