using SharpGears.Api.Pipeline;

namespace SharpGears.Api;

/// <summary>The <c>Map</c> operation.</summary>
public static class MapOperation
{
    /// <summary>Replaces each record with <paramref name="selector"/>'s result.</summary>
    public static GearsBuilder<TOut> Map<T, TOut>(this GearsBuilder<T> builder, Func<T, TOut> selector) =>
        builder.With<TOut>(MapStep.Of(record => selector((T)record!)));

    /// <summary>Replaces each record with <paramref name="selector"/>'s result, awaited.</summary>
    public static GearsBuilder<TOut> Map<T, TOut>(this GearsBuilder<T> builder, Func<T, Task<TOut>> selector) =>
        builder.With<TOut>(new MapStep(async record => await selector((T)record!).ConfigureAwait(false)));
}
