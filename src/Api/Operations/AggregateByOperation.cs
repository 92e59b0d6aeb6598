using SharpGears.Api.Pipeline;

namespace SharpGears.Api;

/// <summary>The <c>AggregateBy</c> operation.</summary>
public static class AggregateByOperation
{
    /// <summary>
    /// Groups the records by the key <paramref name="extractor"/> gives and folds each group: on each
    /// shard <paramref name="seqOp"/>(key, value so far, record) from <paramref name="zero"/>, then the
    /// shards' values of a key with <paramref name="combOp"/>(key, value so far, a shard's value).
    /// Passes on one <see cref="KeyValue{TKey, TValue}"/> per group. <paramref name="zero"/> itself
    /// starts every fold: it must be immutable; for a mutable accumulator give a factory instead.
    /// </summary>
    public static GearsBuilder<KeyValue<TKey, TAccumulator>> AggregateBy<T, TKey, TAccumulator>(
        this GearsBuilder<T> builder,
        Func<T, TKey> extractor,
        TAccumulator zero,
        Func<TKey, TAccumulator, T, TAccumulator> seqOp,
        Func<TKey, TAccumulator, TAccumulator, TAccumulator> combOp) =>
        builder.AggregateBy(extractor, () => zero, seqOp, combOp);

    /// <summary>As the other overload, each group starting from a new <paramref name="zero"/>().</summary>
    public static GearsBuilder<KeyValue<TKey, TAccumulator>> AggregateBy<T, TKey, TAccumulator>(
        this GearsBuilder<T> builder,
        Func<T, TKey> extractor,
        Func<TAccumulator> zero,
        Func<TKey, TAccumulator, T, TAccumulator> seqOp,
        Func<TKey, TAccumulator, TAccumulator, TAccumulator> combOp) =>
        Build(builder, extractor, zero, seqOp, combOp, "AggregateBy");

    internal static GearsBuilder<KeyValue<TKey, TAccumulator>> Build<T, TKey, TAccumulator>(
        GearsBuilder<T> builder,
        Func<T, TKey> extractor,
        Func<TAccumulator> zero,
        Func<TKey, TAccumulator, T, TAccumulator> seqOp,
        Func<TKey, TAccumulator, TAccumulator, TAccumulator> combOp,
        string operation)
    {
        ArgumentNullException.ThrowIfNull(zero);
        ArgumentNullException.ThrowIfNull(combOp);
        return builder
            .With<KeyValue<TKey, TAccumulator>>(GroupSteps.Fold<T, TKey, TAccumulator>(extractor, (k, a, r) => seqOp(k, a!, r), zero) with { Operation = operation })
            .With<KeyValue<TKey, TAccumulator>>(new MoveStep("Repartition") { Operation = operation })
            .With<KeyValue<TKey, TAccumulator>>(GroupSteps.Fold<KeyValue<TKey, TAccumulator>, TKey, TAccumulator>(
                pair => pair.Key, (k, a, pair) => combOp(k, a!, pair.Value), zero) with { Operation = operation });
    }
}
