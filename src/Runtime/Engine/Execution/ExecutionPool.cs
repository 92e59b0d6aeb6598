using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace SharpGears.Runtime.Engine.Execution;

/// <summary>
/// A fixed number of threads that run executions (RedisGears' ExecutionThreads), as a TaskScheduler:
/// an execution that awaits gives its thread back, and its continuation queues here again, so an
/// <c>async</c> step never holds a worker while it waits. A worker stuck in one piece of work for
/// longer than the execution time-out (a script that loops or blocks forever; .NET cannot stop a
/// thread) is given up and replaced, so the pool keeps its size and everyone else keeps running.
/// </summary>
internal sealed partial class ExecutionPool : TaskScheduler, IDisposable
{
    // Tasks (executions and their continuations) and plain work items (Post), in arrival order.
    private readonly BlockingCollection<object> _queue = new(new ConcurrentQueue<object>());
    private readonly List<Worker> _workers = [];
    private readonly string _name;
    private readonly Func<TimeSpan> _timeout;
    private readonly ILogger _logger;
    private readonly Timer _watchdog;
    private readonly Action? _onWorkerStart;
    private int _nextWorker;

    [ThreadStatic]
    private static Worker? t_worker;

    public ExecutionPool(string name, int threads, Func<TimeSpan> timeout, ILogger logger, Action? onWorkerStart = null)
    {
        _onWorkerStart = onWorkerStart;
        _name = name;
        _timeout = timeout;
        _logger = logger;
        lock (_workers)
        {
            for (var i = 0; i < threads; i++)
            {
                StartWorker();
            }
        }
        _watchdog = new Timer(_ => Watch(), null, TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(100));
    }

    public override int MaximumConcurrencyLevel => _workers.Count;

    /// <summary>Threads given up because a script never gave them back.</summary>
    public int AbandonedThreads { get; private set; }

    /// <summary>Runs <paramref name="work"/> on the pool; what it awaits resumes on the pool too.</summary>
    public Task Run(Func<Task> work) =>
        Task.Factory.StartNew(work, CancellationToken.None, TaskCreationOptions.DenyChildAttach, this).Unwrap();

    /// <summary>
    /// As <see cref="Run(Func{Task})"/>. With <paramref name="resumeOnWorker"/>, a caller that awaits
    /// the result resumes on the worker that finished it: only for callers whose code after the await
    /// is short (a reply, an acknowledgement), since it holds the worker.
    /// </summary>
    public Task<T> Run<T>(Func<Task<T>> work, bool resumeOnWorker = false)
    {
        var task = Task.Factory.StartNew(work, CancellationToken.None, TaskCreationOptions.DenyChildAttach, this).Unwrap();
        // .NET runs no await continuation inline on a thread busy with a custom scheduler's task: it
        // queues it to the thread pool, one more hand-off between threads. A continuation that runs
        // synchronously on the default scheduler is exempt, and what awaits it then resumes right here.
        return resumeOnWorker
            ? task.ContinueWith(static t => t.GetAwaiter().GetResult(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default)
            : task;
    }

    /// <summary>
    /// Runs <paramref name="work"/> on the pool, in the order queued (on a pool of one: one after
    /// another). Unlike <see cref="Run"/>, what it awaits does not come back here: on a pool of one
    /// whose thread waits for it, that would never run.
    /// </summary>
    public void Post(Action work) => QueueWork(work);

    protected override void QueueTask(Task task) => QueueWork(task);

    private void QueueWork(object work)
    {
        try
        {
            _queue.Add(work);
        }
        catch (InvalidOperationException)
        {
            // Stopping: the work is dropped, as executions do not outlive the gateway.
        }
    }

    // Only a worker of this pool may run a task inline: a blocking wait elsewhere must not pull pool work
    // onto a socket thread.
    protected override bool TryExecuteTaskInline(Task task, bool taskWasPreviouslyQueued) =>
        t_worker is { } worker && worker.Pool == this && !taskWasPreviouslyQueued && TryExecuteTask(task);

    protected override IEnumerable<Task> GetScheduledTasks() => _queue.ToArray().OfType<Task>();

    private void StartWorker()
    {
        var worker = new Worker(this);
        _workers.Add(worker);
        var thread = new Thread(() => RunWorker(worker))
        {
            IsBackground = true,
            Name = $"{_name} {Interlocked.Increment(ref _nextWorker)}",
        };
        thread.Start();
    }

    private void RunWorker(Worker worker)
    {
        t_worker = worker;
        _onWorkerStart?.Invoke();
        try
        {
            foreach (var work in _queue.GetConsumingEnumerable())
            {
                Volatile.Write(ref worker.BusySince, Stopwatch.GetTimestamp());
                if (work is Task task)
                {
                    TryExecuteTask(task);
                }
                else
                {
                    RunItem((Action)work);
                }
                Volatile.Write(ref worker.BusySince, 0);
                if (worker.Abandoned)
                {
                    return; // replaced while it was stuck; the replacement serves the queue now
                }
            }
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private void RunItem(Action work)
    {
        try
        {
            work();
        }
        catch (Exception e)
        {
            LogWorkFailed(_logger, e, _name); // work items handle their own failures; this is a bug
        }
    }

    private void Watch()
    {
        var limit = _timeout() + TimeSpan.FromSeconds(1);
        lock (_workers)
        {
            foreach (var worker in _workers.ToArray())
            {
                var since = Volatile.Read(ref worker.BusySince);
                if (since != 0 && Stopwatch.GetElapsedTime(since) > limit)
                {
                    worker.Abandoned = true;
                    _workers.Remove(worker);
                    AbandonedThreads++;
                    LogWorkerAbandoned(_logger, _name, (long)limit.TotalMilliseconds);
                    StartWorker();
                }
            }
        }
    }

    public void Dispose()
    {
        _watchdog.Dispose();
        _queue.CompleteAdding();
    }

    private sealed class Worker(ExecutionPool pool)
    {
        public ExecutionPool Pool { get; } = pool;
        public long BusySince;
        public volatile bool Abandoned;
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Work on the {Pool} pool failed")]
    private static partial void LogWorkFailed(ILogger logger, Exception exception, string pool);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A thread of the {Pool} pool has run one script step for more than {Milliseconds} ms (an endless loop or a blocking call): it is given up and replaced; the step keeps its thread until it returns, because .NET cannot stop it")]
    private static partial void LogWorkerAbandoned(ILogger logger, string pool, long milliseconds);
}
