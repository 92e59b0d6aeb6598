using SharpGears.Api.Pipeline;

namespace SharpGears.Api;

/// <summary>The <c>ForEach</c> operation.</summary>
public static class ForEachOperation
{
    /// <summary>Runs <paramref name="action"/> for each record and passes the record on.</summary>
    public static GearsBuilder<T> ForEach<T>(this GearsBuilder<T> builder, Action<T> action) =>
        builder.With<T>(ForEachStep.Of(record => action((T)record!)));

    /// <summary>Runs <paramref name="action"/> for each record, awaited, and passes the record on.</summary>
    public static GearsBuilder<T> ForEach<T>(this GearsBuilder<T> builder, Func<T, Task> action) =>
        builder.With<T>(new ForEachStep(record => new ValueTask(action((T)record!))));
}
