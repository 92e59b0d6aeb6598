namespace SharpGears.Api;

/// <summary>The readers a pipeline can start from, for <see cref="IGears.GB{TRecord}(Reader{TRecord})"/>.</summary>
public static class Readers
{
    /// <summary>Keys: keyspace events for <c>Register</c>, a scan of the keyspace for <c>Run</c>. The default of <c>GB()</c>.</summary>
    public static Reader<KeyRecord> Keys { get; } = new("KeysReader");

    /// <summary>
    /// Commands: a trigger called with <c>RG.TRIGGER</c>, or a hook on a Redis command. Each record is
    /// the call's arguments as strings, the trigger's or the command's name first.
    /// </summary>
    public static Reader<string[]> Command { get; } = new("CommandReader");
}
