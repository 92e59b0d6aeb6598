namespace SharpGears.Api.Pipeline;

/// <summary>The StreamReader's arguments of a <c>Register</c> call.</summary>
/// <param name="Batch">Entries per execution, at most.</param>
/// <param name="DurationMs">How long a batch that is not full may wait for more entries; 0: it runs with what there is.</param>
/// <param name="OnFailedPolicy">What a failing batch leads to.</param>
/// <param name="RetryIntervalSeconds">With <see cref="Api.OnFailedPolicy.Retry"/>, the wait between tries.</param>
/// <param name="TrimStream">Whether entries every consumer group has acknowledged are removed from the stream.</param>
internal sealed record StreamOptions(int Batch, int DurationMs, OnFailedPolicy OnFailedPolicy, int RetryIntervalSeconds, bool TrimStream)
{
    public static StreamOptions Default { get; } = new(1, 0, OnFailedPolicy.Continue, 1, true);
}
