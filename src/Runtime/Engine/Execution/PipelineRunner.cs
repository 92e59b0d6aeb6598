using SharpGears.Api.Pipeline;

namespace SharpGears.Runtime.Engine.Execution;

/// <summary>Runs a pipeline's steps over records, one step after another.</summary>
internal static class PipelineRunner
{
    /// <summary>
    /// Passes <paramref name="records"/> through <paramref name="steps"/> and returns what comes out.
    /// After every call of a step's lambda, waits for the command it may have ended with (see
    /// <see cref="RunningExecution.StepEndedAsync"/>). Checks for an abort between steps, so an aborted
    /// execution stops at the next one.
    /// </summary>
    public static async ValueTask<List<object?>> RunAsync(IReadOnlyList<Step> steps, List<object?> records, RunningExecution execution)
    {
        var aborted = execution.Aborted;
        foreach (var step in steps)
        {
            aborted.ThrowIfCancellationRequested();
            switch (step)
            {
                case MapStep map:
                    for (var i = 0; i < records.Count; i++)
                    {
                        records[i] = await map.Apply(records[i]);
                        await execution.StepEndedAsync();
                    }
                    break;

                case FlatMapStep flatMap:
                    var expanded = new List<object?>(records.Count);
                    foreach (var record in records)
                    {
                        expanded.AddRange(await flatMap.Apply(record));
                        await execution.StepEndedAsync();
                    }
                    records = expanded;
                    break;

                case FilterStep filter:
                    var kept = new List<object?>(records.Count);
                    foreach (var record in records)
                    {
                        var keep = await filter.Keep(record);
                        await execution.StepEndedAsync();
                        if (keep)
                        {
                            kept.Add(record);
                        }
                    }
                    records = kept;
                    break;

                case ForEachStep forEach:
                    foreach (var record in records)
                    {
                        await forEach.Apply(record);
                        await execution.StepEndedAsync();
                    }
                    break;

                case AccumulateStep accumulate:
                    if (records.Count > 0)
                    {
                        object? accumulator = null;
                        foreach (var record in records)
                        {
                            accumulator = await accumulate.Fold(accumulator, record);
                            await execution.StepEndedAsync();
                        }
                        records = [accumulator];
                    }
                    break;

                default:
                    throw new NotSupportedException($"SharpGears cannot run a {step.Name} step in this version");
            }
        }
        return records;
    }
}
