using SharpGears.Api.Pipeline;

namespace SharpGears.Api;

/// <summary>The <c>GroupBy</c> operation.</summary>
public static class GroupByOperation
{
    /// <summary>
    /// Groups all records by the key <paramref name="extractor"/> gives, over every shard
    /// (<c>Repartition</c>, then <c>LocalGroupBy</c>), folding each group with
    /// <paramref name="reducer"/>(key, value so far (default at first), record); passes on one
    /// <see cref="KeyValue{TKey, TValue}"/> per group.
    /// </summary>
    public static GearsBuilder<KeyValue<TKey, TValue>> GroupBy<T, TKey, TValue>(
        this GearsBuilder<T> builder, Func<T, TKey> extractor, Func<TKey, TValue?, T, TValue> reducer) =>
        builder.With<T>(new MoveStep("Repartition") { Operation = "GroupBy" })
            .With<KeyValue<TKey, TValue>>(GroupSteps.Fold(extractor, reducer, zero: null) with { Operation = "GroupBy" });

    /// <summary>As the synchronous overload, with <paramref name="reducer"/> awaited.</summary>
    public static GearsBuilder<KeyValue<TKey, TValue>> GroupBy<T, TKey, TValue>(
        this GearsBuilder<T> builder, Func<T, TKey> extractor, Func<TKey, TValue?, T, Task<TValue>> reducer) =>
        builder.With<T>(new MoveStep("Repartition") { Operation = "GroupBy" })
            .With<KeyValue<TKey, TValue>>(GroupSteps.Fold(extractor, reducer, zero: null) with { Operation = "GroupBy" });
}
