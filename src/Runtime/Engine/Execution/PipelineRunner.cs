using System.Diagnostics;
using SharpGears.Api.Pipeline;

namespace SharpGears.Runtime.Engine.Execution;

/// <summary>
/// Runs a pipeline's steps over records that arrive in batches: each batch goes through the steps
/// that pass records on (Map, Filter, Limit, ...) at once; the steps that gather (Accumulate,
/// AccumulateBy, BatchGroupBy) keep only their state, and pass it on when the input ends. So a Run
/// over the whole keyspace holds one batch at a time, plus what the gathering steps keep.
/// </summary>
/// <remarks>
/// A registration's execution is one batch. A lambda's error fails the execution, unless
/// <c>onRecordError</c> is given (a Run): then the record is dropped, its error noted, and the run goes on,
/// as in RedisGears. After every call of a lambda, the command it may have ended with is waited for
/// (<see cref="RunningExecution.StepEndedAsync"/>). An abort stops the run at the next record, and also
/// stops waiting for a lambda that awaits.
/// </remarks>
internal sealed class PipelineRunner
{
    private readonly Step[] _steps;
    private readonly object?[] _state;
    private readonly long[] _ticks;
    private readonly RunningExecution _execution;
    private readonly Action<string>? _onRecordError;
    private readonly bool _profile;
    // The first Limit that only streaming steps come before: once it is full, nothing more is needed.
    private readonly int _limitThatEndsInput = -1;

    public PipelineRunner(IReadOnlyList<Step> steps, RunningExecution execution, Action<string>? onRecordError = null, bool profile = false)
    {
        _steps = [.. steps];
        _state = new object?[_steps.Length];
        _ticks = new long[_steps.Length];
        _execution = execution;
        _onRecordError = onRecordError;
        _profile = profile;
        for (var i = 0; i < _steps.Length && _steps[i] is not (AccumulateStep or AccumulateByStep or BatchGroupByStep); i++)
        {
            if (_steps[i] is LimitStep)
            {
                _limitThatEndsInput = i;
                break;
            }
        }
    }

    /// <summary>Runs a registration's steps over the records of one event.</summary>
    public static async ValueTask<List<object?>> RunAsync(IReadOnlyList<Step> steps, List<object?> records, RunningExecution execution)
    {
        var runner = new PipelineRunner(steps, execution);
        var output = await runner.PushAsync(records);
        output.AddRange(await runner.FinishAsync());
        return output;
    }

    /// <summary>True once no more input can change the output (a Limit has passed on all it will): the reader may stop.</summary>
    public bool InputEnded => _limitThatEndsInput >= 0 && _state[_limitThatEndsInput] is LimitState { Full: true };

    /// <summary>Time spent in each step so far (Stopwatch ticks), when profiling.</summary>
    public IReadOnlyList<long> StepTicks => _ticks;

    /// <summary>Passes a batch through the steps; returns what comes out of the last one.</summary>
    public ValueTask<List<object?>> PushAsync(List<object?> records) => RunFromAsync(0, records);

    /// <summary>The input has ended: each gathering step passes on what it holds, in step order.</summary>
    public async ValueTask<List<object?>> FinishAsync()
    {
        var output = new List<object?>();
        for (var i = 0; i < _steps.Length; i++)
        {
            if (await GatheredAsync(i) is { } gathered)
            {
                output.AddRange(await RunFromAsync(i + 1, gathered));
            }
        }
        return output;
    }

    private async ValueTask<List<object?>> RunFromAsync(int first, List<object?> records)
    {
        for (var i = first; i < _steps.Length && records.Count > 0; i++)
        {
            var started = _profile ? Stopwatch.GetTimestamp() : 0;
            records = await RunStepAsync(i, records);
            if (_profile)
            {
                _ticks[i] += Stopwatch.GetTimestamp() - started;
            }
        }
        return records;
    }

    private async ValueTask<List<object?>> RunStepAsync(int index, List<object?> records)
    {
        var aborted = _execution.Aborted;
        switch (_steps[index])
        {
            case MapStep map:
                var mapped = new List<object?>(records.Count);
                foreach (var record in records)
                {
                    aborted.ThrowIfCancellationRequested();
                    if (await (map.Sync is { } sync ? Call(sync, record) : CallAsync(map.Apply, record)) is (true, var value))
                    {
                        mapped.Add(value);
                    }
                }
                return mapped;

            case FlatMapStep flatMap:
                var expanded = new List<object?>(records.Count);
                foreach (var record in records)
                {
                    aborted.ThrowIfCancellationRequested();
                    var called = flatMap.Sync is { } sync
                        ? Call(static (lambda, record) => Whole(lambda(record)), sync, record)
                        : CallAsync(static (step, record) => ListAsync(step.Apply(record)), flatMap, record);
                    if (await called is (true, var items))
                    {
                        expanded.AddRange(items);
                    }
                }
                return expanded;

            case FilterStep filter:
                var kept = new List<object?>(records.Count);
                foreach (var record in records)
                {
                    aborted.ThrowIfCancellationRequested();
                    if (await (filter.Sync is { } sync ? Call(sync, record) : CallAsync(filter.Keep, record)) is (true, true))
                    {
                        kept.Add(record);
                    }
                }
                return kept;

            case ForEachStep forEach:
                var passed = new List<object?>(records.Count);
                foreach (var record in records)
                {
                    aborted.ThrowIfCancellationRequested();
                    var called = forEach.Sync is { } sync
                        ? Call(static (lambda, record) => { lambda(record); return true; }, sync, record)
                        : CallAsync(static (step, record) => AsResult(step.Apply(record)), forEach, record);
                    if (await called is (true, _))
                    {
                        passed.Add(record);
                    }
                }
                return passed;

            case AccumulateByStep { Folder: { } newFolder }:
                var folder = (IGroupFolder)(_state[index] ??= newFolder());
                foreach (var record in records)
                {
                    aborted.ThrowIfCancellationRequested();
                    await Call(static (folder, record) => { folder.Fold(record); return true; }, folder, record);
                }
                return [];

            case LimitStep limit:
                var window = (LimitState)(_state[index] ??= new LimitState(limit.Start, limit.Length));
                return window.Take(records);

            case AccumulateStep accumulate:
                var total = (Accumulator)(_state[index] ??= new Accumulator(accumulate.Zero?.Invoke()));
                foreach (var record in records)
                {
                    aborted.ThrowIfCancellationRequested();
                    if (await CallAsync(accumulate.Fold, total.Value, record) is (true, var value))
                    {
                        total.Value = value;
                        total.Any = true;
                    }
                }
                return [];

            case AccumulateByStep accumulateBy:
                var groups = (Groups<object?>)(_state[index] ??= new Groups<object?>());
                foreach (var record in records)
                {
                    aborted.ThrowIfCancellationRequested();
                    if (await CallAsync(accumulateBy.Extract, record) is not (true, var key))
                    {
                        continue;
                    }
                    // One look-up per record: the group's slot, made (with the zero) on its first record.
                    var slot = groups.SlotOf(key, accumulateBy.Zero);
                    if (await CallAsync(accumulateBy.Fold, key, groups.ValueAt(slot), record) is (true, var folded))
                    {
                        groups.SetAt(slot, folded);
                    }
                }
                return [];

            case BatchGroupByStep batchGroupBy:
                var batches = (Groups<List<object?>>)(_state[index] ??= new Groups<List<object?>>());
                foreach (var record in records)
                {
                    aborted.ThrowIfCancellationRequested();
                    if (await CallAsync(batchGroupBy.Extract, record) is (true, var key))
                    {
                        var slot = batches.SlotOf(key, null);
                        var members = batches.ValueAt(slot) ?? [];
                        members.Add(record);
                        batches.SetAt(slot, members);
                    }
                }
                return [];

            case MoveStep:
                return records; // one node: every record is already where it belongs

            default:
                throw new NotSupportedException($"SharpGears cannot run a {_steps[index].Name} step in this version");
        }
    }

    // What a gathering step passes on at the end of the input; null for a step that passes records on as they come.
    private ValueTask<List<object?>?> GatheredAsync(int index) => (_steps[index], _state[index]) switch
    {
        (AccumulateStep, Accumulator { Any: true } total) => ValueTask.FromResult<List<object?>?>([total.Value]),
        (AccumulateByStep, IGroupFolder folder) => ValueTask.FromResult<List<object?>?>(folder.Results()),
        (AccumulateByStep step, Groups<object?> groups) => ValueTask.FromResult<List<object?>?>(groups.Select(step.Pair)),
        (BatchGroupByStep step, Groups<List<object?>> batches) => ReduceAsync(step, batches),
        _ => ValueTask.FromResult<List<object?>?>(null),
    };

    private async ValueTask<List<object?>?> ReduceAsync(BatchGroupByStep step, Groups<List<object?>> batches)
    {
        var output = new List<object?>(batches.Count);
        foreach (var (key, members) in batches.Entries)
        {
            _execution.Aborted.ThrowIfCancellationRequested();
            if (await CallAsync(step.Reduce, key, members) is (true, var value))
            {
                output.Add(step.Pair(key, value));
            }
        }
        return output;
    }

    // A FlatMap lambda may return a lazy sequence, which runs (and may throw) as it is enumerated:
    // that is part of the lambda's call, so it is enumerated within it. A collection (an array from
    // Split) is already whole: it is not copied twice.
    private static async ValueTask<IEnumerable<object?>> ListAsync(ValueTask<IEnumerable<object?>> pending) => Whole(await pending);

    private static IEnumerable<object?> Whole(IEnumerable<object?> items) => items is ICollection<object?> ? items : [.. items];

    private static async ValueTask<bool> AsResult(ValueTask done)
    {
        await done;
        return true;
    }

    // Calls a synchronous lambda, with the same result as CallAsync: at once, unless the lambda ended
    // with a command (ExecuteAtStepEnd) to wait for.
    private ValueTask<(bool Ok, T Value)> Call<T1, T>(Func<T1, T> lambda, T1 argument)
    {
        T value;
        try
        {
            value = lambda(argument);
        }
        catch (Exception e) when (Tolerated(e))
        {
            return ValueTask.FromResult((false, default(T)!));
        }
        return _execution.CanDeferToStepEnd ? ValueTask.FromResult((true, value)) : AfterStepEndAsync(value);
    }

    private ValueTask<(bool Ok, T Value)> Call<T1, T2, T>(Func<T1, T2, T> lambda, T1 first, T2 second)
    {
        T value;
        try
        {
            value = lambda(first, second);
        }
        catch (Exception e) when (Tolerated(e))
        {
            return ValueTask.FromResult((false, default(T)!));
        }
        return _execution.CanDeferToStepEnd ? ValueTask.FromResult((true, value)) : AfterStepEndAsync(value);
    }

    private async ValueTask<(bool Ok, T Value)> AfterStepEndAsync<T>(T value)
    {
        try
        {
            await _execution.StepEndedAsync();
            return (true, value);
        }
        catch (Exception e) when (Tolerated(e))
        {
            return (false, default!);
        }
    }

    // Calls a lambda and waits for its result (and the command it ended with). False when it failed
    // (also when it threw before returning a task) and the run goes on without its record.
    private ValueTask<(bool Ok, T Value)> CallAsync<T1, T>(Func<T1, ValueTask<T>> lambda, T1 argument)
    {
        try
        {
            return AwaitAsync(lambda(argument));
        }
        catch (Exception e) when (Tolerated(e))
        {
            return ValueTask.FromResult((false, default(T)!));
        }
    }

    private ValueTask<(bool Ok, T Value)> CallAsync<T1, T2, T>(Func<T1, T2, ValueTask<T>> lambda, T1 first, T2 second)
    {
        try
        {
            return AwaitAsync(lambda(first, second));
        }
        catch (Exception e) when (Tolerated(e))
        {
            return ValueTask.FromResult((false, default(T)!));
        }
    }

    private ValueTask<(bool Ok, T Value)> CallAsync<T1, T2, T3, T>(Func<T1, T2, T3, ValueTask<T>> lambda, T1 first, T2 second, T3 third)
    {
        try
        {
            return AwaitAsync(lambda(first, second, third));
        }
        catch (Exception e) when (Tolerated(e))
        {
            return ValueTask.FromResult((false, default(T)!));
        }
    }

    private async ValueTask<(bool Ok, T Value)> AwaitAsync<T>(ValueTask<T> pending)
    {
        try
        {
            var value = pending.IsCompleted ? pending.Result : await pending.AsTask().WaitAsync(_execution.Aborted);
            await _execution.StepEndedAsync();
            return (true, value);
        }
        catch (Exception e) when (Tolerated(e))
        {
            return (false, default!);
        }
    }

    // A Run notes a record's error and goes on; a registration's execution fails with it. An abort ends either.
    private bool Tolerated(Exception e)
    {
        if (_onRecordError is null || _execution.Aborted.IsCancellationRequested)
        {
            return false;
        }
        _onRecordError(ScriptFailure.Describe(e));
        return true;
    }

    private sealed class LimitState(long start, long length)
    {
        private long _seen;

        public bool Full => _seen >= start + length;

        public List<object?> Take(List<object?> records)
        {
            var from = Math.Max(0, start - _seen);
            var to = Math.Min(records.Count, start + length - _seen);
            _seen += records.Count;
            return from == 0 && to == records.Count ? records : from >= to ? [] : records.GetRange((int)from, (int)(to - from));
        }
    }

    private sealed class Accumulator(object? zero)
    {
        public object? Value = zero;
        public bool Any;
    }

    /// <summary>
    /// Values by group key, in the order groups first appeared; a null key is a group too. A group
    /// whose every fold failed (a Run goes on past failing records) is not passed on.
    /// </summary>
    private sealed class Groups<T>
    {
        private readonly Dictionary<object, int> _index = [];
        private readonly List<(object? Key, T Value, bool Folded)> _entries = [];
        private static readonly object s_nullKey = new();

        public int Count => _entries.Count;

        public IEnumerable<(object? Key, T Value)> Entries => _entries.Where(e => e.Folded).Select(e => (e.Key, e.Value));

        /// <summary>Where the value of <paramref name="key"/>'s group is; a new group starts as <paramref name="zero"/>'s result, or default.</summary>
        public int SlotOf(object? key, Func<object?>? zero)
        {
            ref var at = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_index, key ?? s_nullKey, out var exists);
            if (!exists)
            {
                at = _entries.Count;
                _entries.Add((key, zero is null ? default! : (T)zero()!, false));
            }
            return at;
        }

        public T ValueAt(int slot) => _entries[slot].Value;

        public void SetAt(int slot, T value) => _entries[slot] = (_entries[slot].Key, value, true);

        public List<object?> Select(Func<object?, object?, object?> pair) => [.. Entries.Select(entry => pair(entry.Key, entry.Value))];
    }
}
