using SharpGears.Api.Pipeline;

namespace SharpGears.Api;

/// <summary>The <c>Accumulate</c> operation.</summary>
public static class AccumulateOperation
{
    /// <summary>
    /// Folds the records into one value: <paramref name="fold"/> gets the value so far (default at
    /// first) and the next record. The result is passed on once all records are folded.
    /// </summary>
    public static GearsBuilder<TAccumulator> Accumulate<T, TAccumulator>(this GearsBuilder<T> builder, Func<TAccumulator?, T, TAccumulator> fold) =>
        builder.With<TAccumulator>(new AccumulateStep((accumulator, record) =>
            ValueTask.FromResult<object?>(fold(Start<TAccumulator>(accumulator), (T)record!))));

    /// <summary>As the synchronous overload, with <paramref name="fold"/> awaited.</summary>
    public static GearsBuilder<TAccumulator> Accumulate<T, TAccumulator>(this GearsBuilder<T> builder, Func<TAccumulator?, T, Task<TAccumulator>> fold) =>
        builder.With<TAccumulator>(new AccumulateStep(async (accumulator, record) =>
            await fold(Start<TAccumulator>(accumulator), (T)record!).ConfigureAwait(false)));

    // Accumulate has no zero: the engine starts its accumulator as null, default(TAccumulator) here.
    private static TAccumulator? Start<TAccumulator>(object? accumulator) =>
        accumulator is null ? default : (TAccumulator)accumulator;
}
