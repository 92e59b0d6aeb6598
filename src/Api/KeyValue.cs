namespace SharpGears.Api;

/// <summary>
/// A group and what was computed for it: the records of the grouping operations (<c>CountBy</c>,
/// <c>GroupBy</c>, <c>AggregateBy</c>, ...), as RedisGears' <c>{'key': ..., 'value': ...}</c>.
/// </summary>
/// <typeparam name="TKey">The group's key, as the extractor gave it.</typeparam>
/// <typeparam name="TValue">The group's value.</typeparam>
public sealed record KeyValue<TKey, TValue>(TKey Key, TValue Value);
