using SharpGears.Api.Pipeline;

namespace SharpGears.Api;

/// <summary>The <c>Filter</c> operation.</summary>
public static class FilterOperation
{
    /// <summary>Keeps the records for which <paramref name="predicate"/> is true.</summary>
    public static GearsBuilder<T> Filter<T>(this GearsBuilder<T> builder, Func<T, bool> predicate) =>
        builder.With<T>(FilterStep.Of(record => predicate((T)record!)));

    /// <summary>Keeps the records for which <paramref name="predicate"/> is true, awaited.</summary>
    public static GearsBuilder<T> Filter<T>(this GearsBuilder<T> builder, Func<T, Task<bool>> predicate) =>
        builder.With<T>(new FilterStep(record => new ValueTask<bool>(predicate((T)record!))));
}
