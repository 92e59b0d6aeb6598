namespace SharpGears.Api.Pipeline;

/// <summary>
/// One stage of a pipeline, untyped: the typed operations of <see cref="GearsBuilder{T}"/> wrap the
/// user's lambdas into these, and the engine runs them over records one at a time. Synchronous lambdas
/// complete their ValueTasks at once, so they cost no allocation.
/// </summary>
internal abstract record Step(string Name);

/// <summary>Replaces each record with the lambda's result.</summary>
internal sealed record MapStep(Func<object?, ValueTask<object?>> Apply) : Step("Map");

/// <summary>Replaces each record with the records the lambda returns.</summary>
internal sealed record FlatMapStep(Func<object?, ValueTask<IEnumerable<object?>>> Apply) : Step("FlatMap");

/// <summary>Keeps the records for which the lambda is true.</summary>
internal sealed record FilterStep(Func<object?, ValueTask<bool>> Keep) : Step("Filter");

/// <summary>Runs the lambda for each record and passes the record on.</summary>
internal sealed record ForEachStep(Func<object?, ValueTask> Apply) : Step("ForEach");

/// <summary>Folds all records into one value (the accumulator starts as null), passed on at the end.</summary>
internal sealed record AccumulateStep(Func<object?, object?, ValueTask<object?>> Fold) : Step("Accumulate");
