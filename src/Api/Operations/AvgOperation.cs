using System.Globalization;
using SharpGears.Api.Pipeline;

namespace SharpGears.Api;

/// <summary>The <c>Avg</c> operation.</summary>
public static class AvgOperation
{
    /// <summary>Passes on one record: the average of <paramref name="extractor"/> over the records (nothing when there were none).</summary>
    public static GearsBuilder<double> Avg<T>(this GearsBuilder<T> builder, Func<T, double> extractor)
    {
        ArgumentNullException.ThrowIfNull(extractor);
        return AggregateOperation.Build<T, (double Sum, long Count)>(
                builder,
                () => (0, 0),
                (total, record) => (total.Sum + extractor(record), total.Count + 1),
                (total, shard) => (total.Sum + shard.Sum, total.Count + shard.Count),
                "Avg")
            .With<double>(MapStep.Of(total =>
            {
                var (sum, count) = ((double, long))total!;
                return sum / count;
            }) with { Operation = "Avg" });
    }

    /// <summary>Passes on one record: the average of the records, each read as a number (a string "2.5" too).</summary>
    public static GearsBuilder<double> Avg<T>(this GearsBuilder<T> builder) =>
        builder.Avg(record => Convert.ToDouble(record, CultureInfo.InvariantCulture));
}
