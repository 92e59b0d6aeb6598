using SharpGears.Api.Pipeline;

namespace SharpGears.Api;

/// <summary>The <c>Limit</c> operation.</summary>
public static class LimitOperation
{
    /// <summary>
    /// Passes on at most <paramref name="length"/> records, after skipping the first
    /// <paramref name="start"/>. Once it has passed them, a <c>Run</c> stops reading (when no step
    /// before it gathers records).
    /// </summary>
    public static GearsBuilder<T> Limit<T>(this GearsBuilder<T> builder, long length, long start = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        return builder.With<T>(new LimitStep(length, start));
    }
}
