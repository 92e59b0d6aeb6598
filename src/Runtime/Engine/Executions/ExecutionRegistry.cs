using SharpGears.Runtime.Engine.Configuration;

namespace SharpGears.Runtime.Engine.Executions;

/// <summary>
/// The executions of <c>Run()</c> that RG.DUMPEXECUTIONS lists, oldest first. When there are more
/// than MaxExecutions, the oldest finished ones are dropped; running ones are always kept.
/// </summary>
internal sealed class ExecutionRegistry(GearsSettings settings)
{
    private readonly Dictionary<string, BatchExecution> _byId = [];
    private readonly LinkedList<BatchExecution> _inOrder = [];

    public void Add(BatchExecution execution)
    {
        lock (_byId)
        {
            _byId[execution.Id] = execution;
            _inOrder.AddLast(execution);
            Trim();
        }
    }

    /// <summary>Drops the oldest finished executions beyond MaxExecutions; called as executions come and end.</summary>
    public void Trim()
    {
        lock (_byId)
        {
            var node = _inOrder.First;
            while (_byId.Count > Math.Max(0, settings.MaxExecutionCount) && node is not null)
            {
                var next = node.Next;
                if (node.Value.IsFinished)
                {
                    _byId.Remove(node.Value.Id);
                    _inOrder.Remove(node);
                }
                node = next;
            }
        }
    }

    public BatchExecution? Get(string id)
    {
        lock (_byId)
        {
            return _byId.GetValueOrDefault(id);
        }
    }

    /// <summary>Removes a finished execution; false when it is unknown or still running.</summary>
    public bool TryDrop(BatchExecution execution)
    {
        lock (_byId)
        {
            if (!execution.IsFinished || !_byId.Remove(execution.Id))
            {
                return false;
            }
            _inOrder.Remove(execution);
            return true;
        }
    }

    public List<BatchExecution> All
    {
        get
        {
            lock (_byId)
            {
                return [.. _inOrder];
            }
        }
    }
}
