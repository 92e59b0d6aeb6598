using SharpGears.Api.Pipeline;

namespace SharpGears.Api;

/// <summary>The <c>FlatMap</c> operation.</summary>
public static class FlatMapOperation
{
    /// <summary>Replaces each record with the records <paramref name="selector"/> returns.</summary>
    public static GearsBuilder<TOut> FlatMap<T, TOut>(this GearsBuilder<T> builder, Func<T, IEnumerable<TOut>> selector) =>
        builder.With<TOut>(FlatMapStep.Of(record => selector((T)record!).Cast<object?>()));

    /// <summary>Replaces each record with the records <paramref name="selector"/> returns, awaited.</summary>
    public static GearsBuilder<TOut> FlatMap<T, TOut>(this GearsBuilder<T> builder, Func<T, Task<IEnumerable<TOut>>> selector) =>
        builder.With<TOut>(new FlatMapStep(async record => (await selector((T)record!).ConfigureAwait(false)).Cast<object?>()));
}
