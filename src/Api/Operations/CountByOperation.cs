namespace SharpGears.Api;

/// <summary>The <c>CountBy</c> operation.</summary>
public static class CountByOperation
{
    /// <summary>Counts the records of each group (the key <paramref name="extractor"/> gives): one <see cref="KeyValue{TKey, TValue}"/> per group, its count as the value.</summary>
    public static GearsBuilder<KeyValue<TKey, long>> CountBy<T, TKey>(this GearsBuilder<T> builder, Func<T, TKey> extractor) =>
        AggregateByOperation.Build<T, TKey, long>(builder, extractor, () => 0L, (_, count, _) => count + 1, (_, count, shard) => count + shard, "CountBy");

    /// <summary>Counts equal records: one <see cref="KeyValue{TKey, TValue}"/> per distinct record, its count as the value.</summary>
    public static GearsBuilder<KeyValue<T, long>> CountBy<T>(this GearsBuilder<T> builder) => builder.CountBy(record => record);
}
