using SharpGears.Api.Pipeline;

namespace SharpGears.Api;

/// <summary>The <c>Sort</c> operation.</summary>
public static class SortOperation
{
    /// <summary>
    /// Passes on all records sorted, once all are in: largest first unless <paramref name="reverse"/>
    /// is false (RedisGears' default). Strings compare by their characters' codes, not by culture.
    /// </summary>
    public static GearsBuilder<T> Sort<T>(this GearsBuilder<T> builder, bool reverse = true) => builder.Sort(record => record, reverse);

    /// <summary>As the other overload, comparing the keys <paramref name="key"/> gives.</summary>
    public static GearsBuilder<T> Sort<T, TKey>(this GearsBuilder<T> builder, Func<T, TKey> key, bool reverse = true)
    {
        ArgumentNullException.ThrowIfNull(key);
        var comparer = typeof(TKey) == typeof(string) ? (IComparer<TKey>)StringComparer.Ordinal : Comparer<TKey>.Default;
        return AggregateOperation.Build<T, List<T>>(
                builder,
                () => [],
                (list, record) =>
                {
                    list.Add(record);
                    return list;
                },
                (list, shard) =>
                {
                    list.AddRange(shard);
                    return list;
                },
                "Sort")
            .With<T>(FlatMapStep.Of(list =>
            {
                var records = (List<T>)list!;
                IEnumerable<T> sorted = reverse ? records.OrderByDescending(key, comparer) : records.OrderBy(key, comparer);
                return sorted.Cast<object?>();
            }) with { Operation = "Sort" });
    }
}
