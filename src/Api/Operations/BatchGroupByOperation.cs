using SharpGears.Api.Pipeline;

namespace SharpGears.Api;

/// <summary>The <c>BatchGroupBy</c> operation.</summary>
public static class BatchGroupByOperation
{
    /// <summary>
    /// Groups all records by the key <paramref name="extractor"/> gives, then passes on one
    /// <see cref="KeyValue{TKey, TValue}"/> per group: the key and what <paramref name="reducer"/>
    /// makes of all the group's records at once. It holds every record until the end: prefer
    /// <c>GroupBy</c> or <c>AggregateBy</c> when a fold will do.
    /// </summary>
    public static GearsBuilder<KeyValue<TKey, TValue>> BatchGroupBy<T, TKey, TValue>(
        this GearsBuilder<T> builder, Func<T, TKey> extractor, Func<TKey, IReadOnlyList<T>, TValue> reducer)
    {
        ArgumentNullException.ThrowIfNull(extractor);
        ArgumentNullException.ThrowIfNull(reducer);
        return builder.With<T>(new MoveStep("Repartition") { Operation = "BatchGroupBy" })
            .With<KeyValue<TKey, TValue>>(new BatchGroupByStep(
                GroupSteps.Key(extractor),
                (key, records) => ValueTask.FromResult<object?>(reducer((TKey)key!, records.ConvertAll(r => (T)r!))),
                GroupSteps.Pair<TKey, TValue>));
    }

    /// <summary>As the synchronous overload, with <paramref name="reducer"/> awaited.</summary>
    public static GearsBuilder<KeyValue<TKey, TValue>> BatchGroupBy<T, TKey, TValue>(
        this GearsBuilder<T> builder, Func<T, TKey> extractor, Func<TKey, IReadOnlyList<T>, Task<TValue>> reducer)
    {
        ArgumentNullException.ThrowIfNull(extractor);
        ArgumentNullException.ThrowIfNull(reducer);
        return builder.With<T>(new MoveStep("Repartition") { Operation = "BatchGroupBy" })
            .With<KeyValue<TKey, TValue>>(new BatchGroupByStep(
                GroupSteps.Key(extractor),
                async (key, records) => await reducer((TKey)key!, records.ConvertAll(r => (T)r!)).ConfigureAwait(false),
                GroupSteps.Pair<TKey, TValue>));
    }
}
