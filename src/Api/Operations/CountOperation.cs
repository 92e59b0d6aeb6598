namespace SharpGears.Api;

/// <summary>The <c>Count</c> operation.</summary>
public static class CountOperation
{
    /// <summary>Passes on one record: how many records there were (nothing when there were none, as in RedisGears).</summary>
    public static GearsBuilder<long> Count<T>(this GearsBuilder<T> builder) =>
        AggregateOperation.Build<T, long>(builder, () => 0L, (count, _) => count + 1, (count, shard) => count + shard, "Count");
}
