using SharpGears.Api.Pipeline;

namespace SharpGears.Api;

/// <summary>The <c>Aggregate</c> operation.</summary>
public static class AggregateOperation
{
    /// <summary>
    /// Folds all records into one value: on each shard <paramref name="seqOp"/>(value so far, record)
    /// from <paramref name="zero"/>, then the shards' values together with
    /// <paramref name="combOp"/>(value so far, a shard's value), from <paramref name="zero"/> again.
    /// Passes on the one value (nothing when there were no records). <paramref name="zero"/> itself
    /// starts every fold (RedisGears copies it; .NET cannot copy any object): it must be immutable (a
    /// number, a string, a record). For a list, a set or a dictionary give a factory instead.
    /// </summary>
    public static GearsBuilder<TAccumulator> Aggregate<T, TAccumulator>(
        this GearsBuilder<T> builder, TAccumulator zero, Func<TAccumulator, T, TAccumulator> seqOp, Func<TAccumulator, TAccumulator, TAccumulator> combOp) =>
        builder.Aggregate(() => zero, seqOp, combOp);

    /// <summary>As the other overload, each execution starting from a new <paramref name="zero"/>().</summary>
    public static GearsBuilder<TAccumulator> Aggregate<T, TAccumulator>(
        this GearsBuilder<T> builder, Func<TAccumulator> zero, Func<TAccumulator, T, TAccumulator> seqOp, Func<TAccumulator, TAccumulator, TAccumulator> combOp) =>
        Build(builder, zero, seqOp, combOp, "Aggregate");

    internal static GearsBuilder<TAccumulator> Build<T, TAccumulator>(
        GearsBuilder<T> builder, Func<TAccumulator> zero, Func<TAccumulator, T, TAccumulator> seqOp, Func<TAccumulator, TAccumulator, TAccumulator> combOp, string operation)
    {
        ArgumentNullException.ThrowIfNull(zero);
        ArgumentNullException.ThrowIfNull(seqOp);
        ArgumentNullException.ThrowIfNull(combOp);
        object? Zero() => zero();
        return builder
            .With<TAccumulator>(new AccumulateStep((a, r) => ValueTask.FromResult<object?>(seqOp((TAccumulator)a!, (T)r!)), Zero) { Operation = operation })
            .With<TAccumulator>(new MoveStep("Collect") { Operation = operation })
            .With<TAccumulator>(new AccumulateStep((a, r) => ValueTask.FromResult<object?>(combOp((TAccumulator)a!, (TAccumulator)r!)), Zero) { Operation = operation });
    }
}
