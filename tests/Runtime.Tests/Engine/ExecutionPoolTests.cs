using Microsoft.Extensions.Logging.Abstractions;
using SharpGears.Runtime.Engine.Execution;

namespace SharpGears.Runtime.Tests.Engine;

/// <summary>The execution pool as a scheduler: where work runs, and where those who wait for it resume.</summary>
public sealed class ExecutionPoolTests : IDisposable
{
    private readonly ExecutionPool _pool = new("pool-test", 2, () => TimeSpan.FromSeconds(30), NullLogger.Instance);

    public void Dispose() => _pool.Dispose();

    [Fact]
    public async Task WorkAndWhatItAwaitsRunOnThePool()
    {
        var threads = await _pool.Run(async () =>
        {
            var before = Thread.CurrentThread.Name;
            await Task.Yield();
            return (before, after: Thread.CurrentThread.Name);
        });
        Assert.StartsWith("pool-test", threads.before);
        Assert.StartsWith("pool-test", threads.after);
    }

    [Fact]
    public async Task WhoAwaitsThePoolResumesOnTheWorkerThatFinished()
    {
        // Without care, .NET queues such a continuation to its thread pool (it inlines none on a thread
        // that runs a custom scheduler's task): one more hand-off for every client waiting for an execution.
        var (finishedOn, resumedOn) = await AwaitOffContextAsync(_pool);
        Assert.StartsWith("pool-test", finishedOn);
        Assert.Equal(finishedOn, resumedOn);
    }

    // Awaited as the engine awaits (no synchronization context to come back to, unlike a test method).
    private static async Task<(string? FinishedOn, string? ResumedOn)> AwaitOffContextAsync(ExecutionPool pool)
    {
        var finishedOn = await pool.Run(async () =>
        {
            await Task.Yield();
            return Thread.CurrentThread.Name;
        }).ConfigureAwait(false);
        return (finishedOn, Thread.CurrentThread.Name);
    }

    [Fact]
    public async Task AFailureReachesWhoAwaitsAsItself()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => _pool.Run(async () =>
        {
            await Task.Yield();
            throw new InvalidOperationException("the script's own");
        }));
        Assert.Equal("the script's own", error.Message);
        await Assert.ThrowsAsync<InvalidOperationException>(() => _pool.Run<int>(() => throw new InvalidOperationException("at once")));
    }
}
