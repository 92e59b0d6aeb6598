using SharpGears.Api.Pipeline;

namespace SharpGears.Runtime.Engine.Execution;

/// <summary>Runs a pipeline's steps over records, one step after another.</summary>
internal static class PipelineRunner
{
    /// <summary>
    /// Passes <paramref name="records"/> through <paramref name="steps"/> and returns what comes out.
    /// Checks <paramref name="aborted"/> between steps, so an aborted execution stops at the next one.
    /// </summary>
    public static async ValueTask<List<object?>> RunAsync(IReadOnlyList<Step> steps, List<object?> records, CancellationToken aborted)
    {
        foreach (var step in steps)
        {
            aborted.ThrowIfCancellationRequested();
            switch (step)
            {
                case MapStep map:
                    for (var i = 0; i < records.Count; i++)
                    {
                        records[i] = await map.Apply(records[i]);
                    }
                    break;

                case FlatMapStep flatMap:
                    var expanded = new List<object?>(records.Count);
                    foreach (var record in records)
                    {
                        expanded.AddRange(await flatMap.Apply(record));
                    }
                    records = expanded;
                    break;

                case FilterStep filter:
                    var kept = new List<object?>(records.Count);
                    foreach (var record in records)
                    {
                        if (await filter.Keep(record))
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
                    }
                    break;

                case AccumulateStep accumulate:
                    if (records.Count > 0)
                    {
                        object? accumulator = null;
                        foreach (var record in records)
                        {
                            accumulator = await accumulate.Fold(accumulator, record);
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
