using SharpGears.Api.Pipeline;

namespace SharpGears.Api;

/// <summary>The <c>LocalGroupBy</c> operation.</summary>
public static class LocalGroupByOperation
{
    /// <summary>
    /// Groups the records of this shard by the key <paramref name="extractor"/> gives and folds each
    /// group with <paramref name="reducer"/>(key, value so far (default at first), record); passes on
    /// one <see cref="KeyValue{TKey, TValue}"/> per group once all records are in.
    /// </summary>
    public static GearsBuilder<KeyValue<TKey, TValue>> LocalGroupBy<T, TKey, TValue>(
        this GearsBuilder<T> builder, Func<T, TKey> extractor, Func<TKey, TValue?, T, TValue> reducer) =>
        builder.With<KeyValue<TKey, TValue>>(GroupSteps.Fold(extractor, reducer, zero: null) with { Operation = "LocalGroupBy" });

    /// <summary>As the synchronous overload, with <paramref name="reducer"/> awaited.</summary>
    public static GearsBuilder<KeyValue<TKey, TValue>> LocalGroupBy<T, TKey, TValue>(
        this GearsBuilder<T> builder, Func<T, TKey> extractor, Func<TKey, TValue?, T, Task<TValue>> reducer) =>
        builder.With<KeyValue<TKey, TValue>>(GroupSteps.Fold(extractor, reducer, zero: null) with { Operation = "LocalGroupBy" });
}

/// <summary>The steps the grouping operations are built from.</summary>
internal static class GroupSteps
{
    public static AccumulateByStep Fold<T, TKey, TValue>(Func<T, TKey> extractor, Func<TKey, TValue?, T, TValue> reducer, Func<TValue>? zero)
    {
        ArgumentNullException.ThrowIfNull(extractor);
        ArgumentNullException.ThrowIfNull(reducer);
        return new AccumulateByStep(
            Key(extractor),
            (key, value, record) => ValueTask.FromResult<object?>(reducer((TKey)key!, value is null ? default : (TValue)value, (T)record!)),
            Pair<TKey, TValue>,
            zero is null ? null : () => zero())
        {
            Folder = () => new GroupFolder<T, TKey, TValue>(extractor, reducer, zero),
        };
    }

    public static AccumulateByStep Fold<T, TKey, TValue>(Func<T, TKey> extractor, Func<TKey, TValue?, T, Task<TValue>> reducer, Func<TValue>? zero)
    {
        ArgumentNullException.ThrowIfNull(extractor);
        ArgumentNullException.ThrowIfNull(reducer);
        return new AccumulateByStep(
            Key(extractor),
            async (key, value, record) => await reducer((TKey)key!, value is null ? default : (TValue)value, (T)record!).ConfigureAwait(false),
            Pair<TKey, TValue>,
            zero is null ? null : () => zero());
    }

    public static Func<object?, ValueTask<object?>> Key<T, TKey>(Func<T, TKey> extractor) =>
        record => ValueTask.FromResult<object?>(extractor((T)record!));

    public static object? Pair<TKey, TValue>(object? key, object? value) =>
        new KeyValue<TKey, TValue>((TKey)key!, value is null ? default! : (TValue)value);
}
