namespace SharpGears.Api.Pipeline;

/// <summary>
/// One stage of a pipeline, untyped: the typed operations of <see cref="GearsBuilder{T}"/> wrap the
/// user's lambdas into these, and the engine runs them over records. Synchronous lambdas complete
/// their ValueTasks at once, so they cost no allocation; they are also kept as they are
/// (<c>Sync</c>, <see cref="AccumulateByStep.Folder"/>), and the engine calls those directly, which
/// makes a pipeline of plain lambdas cost a delegate call per record and step. The operations that RedisGears builds from
/// others (<c>CountBy</c>, <c>Sort</c>, ...) are built the same way here from these few steps;
/// <see cref="Operation"/> names the operation a step belongs to.
/// </summary>
internal abstract record Step(string Name)
{
    /// <summary>The operation the user called, when it is not the step itself (CountBy for an AccumulateBy step).</summary>
    public string Operation { get; init; } = Name;
}

/// <summary>Replaces each record with the lambda's result.</summary>
internal sealed record MapStep(Func<object?, ValueTask<object?>> Apply) : Step("Map")
{
    /// <summary>The lambda, when it is synchronous.</summary>
    public Func<object?, object?>? Sync { get; init; }

    public static MapStep Of(Func<object?, object?> sync) => new(record => ValueTask.FromResult(sync(record))) { Sync = sync };
}

/// <summary>Replaces each record with the records the lambda returns.</summary>
internal sealed record FlatMapStep(Func<object?, ValueTask<IEnumerable<object?>>> Apply) : Step("FlatMap")
{
    /// <summary>The lambda, when it is synchronous.</summary>
    public Func<object?, IEnumerable<object?>>? Sync { get; init; }

    public static FlatMapStep Of(Func<object?, IEnumerable<object?>> sync) => new(record => ValueTask.FromResult(sync(record))) { Sync = sync };
}

/// <summary>Keeps the records for which the lambda is true.</summary>
internal sealed record FilterStep(Func<object?, ValueTask<bool>> Keep) : Step("Filter")
{
    /// <summary>The lambda, when it is synchronous.</summary>
    public Func<object?, bool>? Sync { get; init; }

    public static FilterStep Of(Func<object?, bool> sync) => new(record => ValueTask.FromResult(sync(record))) { Sync = sync };
}

/// <summary>Runs the lambda for each record and passes the record on.</summary>
internal sealed record ForEachStep(Func<object?, ValueTask> Apply) : Step("ForEach")
{
    /// <summary>The lambda, when it is synchronous.</summary>
    public Action<object?>? Sync { get; init; }

    public static ForEachStep Of(Action<object?> sync) => new(record =>
    {
        sync(record);
        return ValueTask.CompletedTask;
    }) { Sync = sync };
}

/// <summary>Passes on <paramref name="Length"/> records after skipping <paramref name="Start"/>.</summary>
internal sealed record LimitStep(long Length, long Start) : Step("Limit");

/// <summary>
/// Folds all records into one value, passed on at the end (nothing when there were no records). The
/// accumulator starts as <paramref name="Zero"/>'s result, or null.
/// </summary>
internal sealed record AccumulateStep(Func<object?, object?, ValueTask<object?>> Fold, Func<object?>? Zero = null) : Step("Accumulate");

/// <summary>
/// Folds the records of each group (the key <paramref name="Extract"/> gives) into one value per
/// group; at the end passes on one record per group, made by <paramref name="Pair"/>(key, value).
/// <paramref name="Fold"/> gets the key, the value so far (Zero's result, or null) and the record.
/// </summary>
internal sealed record AccumulateByStep(
    Func<object?, ValueTask<object?>> Extract,
    Func<object?, object?, object?, ValueTask<object?>> Fold,
    Func<object?, object?, object?> Pair,
    Func<object?>? Zero = null) : Step("AccumulateBy")
{
    /// <summary>
    /// When the lambdas are synchronous: makes the step's state, typed, which folds each record
    /// without boxing keys or values; the engine then uses it instead of the other members.
    /// </summary>
    public Func<IGroupFolder>? Folder { get; init; }
}

/// <summary>The state of a synchronous <see cref="AccumulateByStep"/>: its groups so far.</summary>
internal interface IGroupFolder
{
    /// <summary>Folds one record into its group (the group is made on its first record); throws what the lambdas throw.</summary>
    void Fold(object? record);

    /// <summary>One record per group whose value some fold made, in the order the groups first appeared.</summary>
    List<object?> Results();
}

/// <summary>
/// Gathers the records of each group, then passes on one record per group: <paramref name="Pair"/>
/// of the key and what <paramref name="Reduce"/> makes of the group's records.
/// </summary>
internal sealed record BatchGroupByStep(
    Func<object?, ValueTask<object?>> Extract,
    Func<object?, List<object?>, ValueTask<object?>> Reduce,
    Func<object?, object?, object?> Pair) : Step("BatchGroupBy");

/// <summary>
/// Brings records together on one shard (<c>Collect</c>) or spreads them by key over the shards
/// (<c>Repartition</c>): on one node every record is already where it belongs, so records pass as they are.
/// </summary>
internal sealed record MoveStep(string Kind) : Step(Kind);
