using SharpGears.Api.Pipeline;

namespace SharpGears.Api;

/// <summary>The <c>Repartition</c> operation.</summary>
public static class RepartitionOperation
{
    /// <summary>
    /// Moves each record to the shard that holds the key <paramref name="extractor"/> gives. On one
    /// node every key is here: records pass as they are, and the extractor is not called.
    /// </summary>
    public static GearsBuilder<T> Repartition<T>(this GearsBuilder<T> builder, Func<T, string> extractor)
    {
        ArgumentNullException.ThrowIfNull(extractor);
        return builder.With<T>(new MoveStep("Repartition"));
    }
}
