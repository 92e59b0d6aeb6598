namespace SharpGears.Api;

/// <summary>The readers a pipeline can start from, for <see cref="IGears.GB{TRecord}(Reader{TRecord})"/>.</summary>
public static class Readers
{
    /// <summary>Keys: keyspace events for <c>Register</c>, a scan of the keyspace for <c>Run</c>. The default of <c>GB()</c>.</summary>
    public static Reader<KeyRecord> Keys { get; } = new("KeysReader");
}
