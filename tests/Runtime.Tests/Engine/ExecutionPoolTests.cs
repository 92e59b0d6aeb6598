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
    public async Task WhoAsksToResumesOnTheWorkerThatFinished()
    {
        // Without care, .NET queues such a continuation to its thread pool (it inlines none on a thread
        // that runs a custom scheduler's task): one more hand-off for every client waiting for its
        // linked execution, and every stream batch. The work waits for the gate until the caller
        // awaits it (work done before that would simply be taken where the caller is).
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var running = _pool.Run(async () =>
        {
            await gate.Task;
            return Thread.CurrentThread.Name;
        }, resumeOnWorker: true);
        var resumed = ResumedOnAsync(running);
        gate.SetResult();
        var (finishedOn, resumedOn) = await resumed;
        Assert.StartsWith("pool-test", finishedOn);
        Assert.Equal(finishedOn, resumedOn);
    }

    // Awaited as the engine awaits (no synchronization context to come back to, unlike a test method).
    private static async Task<(string? FinishedOn, string? ResumedOn)> ResumedOnAsync(Task<string?> running)
    {
        var finishedOn = await running.ConfigureAwait(false);
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
        await Assert.ThrowsAsync<InvalidOperationException>(() => _pool.Run<int>(() => throw new InvalidOperationException("at once"), resumeOnWorker: true));
    }
}
