using SharpGears.Api.Pipeline;

namespace SharpGears.Api;

/// <summary>The <c>Distinct</c> operation.</summary>
public static class DistinctOperation
{
    /// <summary>Passes on each distinct record once (records compare with their Equals), once all records are in.</summary>
    public static GearsBuilder<T> Distinct<T>(this GearsBuilder<T> builder) =>
        AggregateOperation.Build<T, HashSet<T>>(
                builder,
                () => [],
                (set, record) =>
                {
                    set.Add(record);
                    return set;
                },
                (set, shard) =>
                {
                    set.UnionWith(shard);
                    return set;
                },
                "Distinct")
            .With<T>(FlatMapStep.Of(set => ((HashSet<T>)set!).Cast<object?>()) with { Operation = "Distinct" });
}
