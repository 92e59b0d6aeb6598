using SharpGears.Api.Pipeline;

namespace SharpGears.Api;

/// <summary>The <c>Collect</c> operation.</summary>
public static class CollectOperation
{
    /// <summary>Brings all records to the shard that started the execution. On one node they are all there: records pass as they are.</summary>
    public static GearsBuilder<T> Collect<T>(this GearsBuilder<T> builder) => builder.With<T>(new MoveStep("Collect"));
}
