using System.Text;
using SharpGears.Api;
using SharpGears.Api.Pipeline;
using SharpGears.Runtime.Engine.Execution;
using SharpGears.Runtime.Engine.KeyEvents;
using SharpGears.Runtime.Engine.Linking;
using SharpGears.Runtime.Engine.Registrations;
using SharpGears.Runtime.Gateway;
using SharpGears.Runtime.Protocol;

namespace SharpGears.Runtime.Engine;

/// <summary>
/// The engine's side of client commands: registrations with <c>commands</c>, linked to the client
/// whose command fired them; command hooks and their <c>CallNext</c> chains; and triggers.
/// </summary>
internal sealed partial class GearsEngine
{
    private readonly Dictionary<string, CommandSpec?> _commandSpecs = new(StringComparer.OrdinalIgnoreCase);
    private volatile CommandInterceptions? _interceptions;

    /// <summary>The client commands to intercept; null when no registration needs any (the gateway then only forwards).</summary>
    public CommandInterceptions? Interceptions => _interceptions;

    /// <summary>Redis' description of <paramref name="name"/> (COMMAND INFO), asked once and kept.</summary>
    private async Task<CommandSpec> CommandSpecAsync(string name, string use)
    {
        CommandSpec? spec;
        bool known;
        lock (_commandSpecs)
        {
            known = _commandSpecs.TryGetValue(name, out spec);
        }
        if (!known)
        {
            spec = await _client.ExecuteAsync("COMMAND", "INFO", name).ConfigureAwait(false) is object?[] { Length: 1 } entry ? CommandSpec.Parse(entry[0]) : null;
            lock (_commandSpecs)
            {
                _commandSpecs[name] = spec;
            }
        }
        return spec ?? throw new GearsException($"{use} names '{name}', which the backend Redis does not know as a command");
    }

    private CommandSpec? CachedCommandSpec(string name)
    {
        lock (_commandSpecs)
        {
            return _commandSpecs.GetValueOrDefault(name);
        }
    }

    /// <summary>Refuses what a client command cannot be linked to or hooked by, as RedisGears does, and what a gateway cannot see.</summary>
    private async Task CheckCommandsAsync(RegistrationRequest request)
    {
        var isCommandReader = request.Reader == Readers.Command.Name;
        if (!isCommandReader && (request.Trigger ?? request.Hook) is not null)
        {
            throw new GearsException("Register(trigger: ...) and Register(hook: ...) need a pipeline over the CommandReader: GB(Readers.Command)");
        }
        if (isCommandReader && (request.Trigger ?? request.Hook) is null)
        {
            throw new GearsException("a CommandReader registration needs trigger: \"name\" (for RG.TRIGGER) or hook: \"command\"");
        }
        if (request.Trigger is { Length: 0 } || request.Hook is { Length: 0 })
        {
            throw new GearsException("the trigger's or hooked command's name is empty");
        }
        if (request.Hook is { } hook)
        {
            await CheckCommandAsync(hook, "hook", keyFilter: request.KeyPrefix is not null).ConfigureAwait(false);
        }
        foreach (var command in request.Commands ?? [])
        {
            await CheckCommandAsync(command, "commands", keyFilter: request.Prefix != "*").ConfigureAwait(false);
        }
    }

    private async Task CheckCommandAsync(string name, string use, bool keyFilter)
    {
        if (CommandTable.IsGatewayHandled(name))
        {
            throw new GearsException($"{use} can not name '{name}': the gateway handles it itself (connection state, transactions, blocking, pub/sub or RG.* commands)");
        }
        var spec = await CommandSpecAsync(name, use).ConfigureAwait(false);
        if (spec.NoScript)
        {
            throw new GearsException($"{use} can not name '{name}': Redis flags it noscript");
        }
        if (spec.HasSubcommands)
        {
            throw new GearsException($"{use} can not name '{name}': it is a container of subcommands, which SharpGears does not tell apart");
        }
        if (spec.MovableKeys && keyFilter)
        {
            throw new GearsException($"{use} can not name '{name}' together with a key prefix: its keys move with its arguments (movablekeys)");
        }
    }

    /// <summary>Rebuilds the table of intercepted commands from the live registrations.</summary>
    private void UpdateInterceptions(IReadOnlyList<Registration> registrations)
    {
        var names = registrations
            .SelectMany(r => r.Request.Hook is { } hook ? [hook] : r.Request.Commands ?? [])
            .Select(n => n.ToLowerInvariant())
            .Distinct();
        var commands = new List<InterceptedCommand>();
        foreach (var name in names)
        {
            if (CachedCommandSpec(name) is not { } spec)
            {
                continue; // checked at registration: cannot happen
            }
            var hooks = registrations.Where(r => string.Equals(r.Request.Hook, name, StringComparison.OrdinalIgnoreCase)).Reverse().ToArray();
            var linked = registrations.Where(r => r.Request.Commands?.Contains(name, StringComparer.OrdinalIgnoreCase) == true).ToArray();
            commands.Add(new InterceptedCommand(spec, hooks, linked));
        }
        var triggers = registrations.Where(r => r.Request.Trigger is not null).DistinctBy(r => r.Request.Trigger).ToDictionary(r => r.Request.Trigger!);
        _interceptions = commands.Count == 0 && triggers.Count == 0 ? null : new CommandInterceptions(commands, triggers);
    }

    /// <summary>Refuses a trigger name that a live registration outside <paramref name="replacing"/> already has.</summary>
    private void CheckTriggersFree(IEnumerable<Registration> registrations, params Sessions.Session?[] replacing)
    {
        var taken = Registrations.Where(r => r.Request.Trigger is not null && !replacing.Contains(r.Session)).Select(r => r.Request.Trigger!).ToHashSet();
        foreach (var registration in registrations)
        {
            if (registration.Request.Trigger is { } trigger && !taken.Add(trigger))
            {
                throw new GearsException($"trigger already registered: {trigger}");
            }
        }
    }

    /// <summary>
    /// Fires the linked registrations of one call of <paramref name="command"/>, after its reply, and
    /// waits for their executions: misses of the keys it read (checked without causing a miss of our
    /// own, unless <paramref name="knownMissing"/> says the reply told already), and the write event of
    /// the keys it wrote. With <paramref name="linkClient"/> the executions
    /// may override the reply: the result is the overriding reply, or null for the command's own.
    /// </summary>
    public async Task<byte[]?> RunLinkedAsync(InterceptedCommand command, List<CommandKey> keys, bool linkClient, bool resp3 = false, bool knownMissing = false)
    {
        var link = linkClient ? new ClientLink(command.Spec.Name) : null;
        var executions = new List<Task<ExecutionOutcome>>();
        try
        {
            foreach (var key in keys.Where(k => k.Read).DistinctBy(k => Convert.ToBase64String(k.Name)))
            {
                var name = ScriptText.Decode(key.Name);
                var missed = command.Linked.Where(r => r.Matches(name, "keymiss")).ToList();
                // OBJECT ENCODING looks the key up without a keymiss notification or an LRU touch.
                if (missed.Count > 0 && (knownMissing || await _client.ExecuteAsync("OBJECT", "ENCODING", key.Name).ConfigureAwait(false) is null))
                {
                    executions.AddRange(missed.Select(r => _dispatcher.RunAsync(r, "keymiss", name, link)));
                }
            }
            if (command.Spec.Writes)
            {
                var eventName = KeyEventNames.ForCommand(command.Spec.Name);
                foreach (var key in keys.Where(k => k.Written))
                {
                    var name = ScriptText.Decode(key.Name);
                    executions.AddRange(command.Linked.Where(r => r.Matches(name, eventName)).Select(r => _dispatcher.RunAsync(r, eventName, name, link)));
                }
            }
        }
        catch (GearsException)
        {
            // The backend went away while the key was looked up: no execution, the client gets its reply.
        }
        await WaitForAsync(executions).ConfigureAwait(false);
        return link?.Reply(resp3);
    }

    // A client waits at most the execution time-out (and a little): an execution that never returns
    // was counted as aborted by then, and the client gets an answer anyway.
    private async Task WaitForAsync(List<Task<ExecutionOutcome>> executions)
    {
        if (executions.Count > 0)
        {
            await ((Task)Task.WhenAll(executions)).WaitAsync(Settings.Timeout + TimeSpan.FromSeconds(1)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    /// <summary>
    /// Runs hook <paramref name="index"/> of <paramref name="chain"/> on a call of
    /// <paramref name="command"/>, or past the last hook the command itself; returns the reply frame.
    /// </summary>
    public async Task<byte[]> RunHookChainAsync(Registration[] chain, int index, string command, object?[] arguments, IHookedClient client)
    {
        if (index >= chain.Length)
        {
            return await client.ForwardAsync(command, arguments).ConfigureAwait(false);
        }
        var registration = chain[index];
        var call = new HookCall(this, chain, index, command, client);
        string[] record = [command, .. arguments.Select(ArgumentText)];
        // The outermost hook starts as its mode says; the ones it reaches with CallNext run inline, in its execution.
        var execution = index == 0
            ? _dispatcher.Start(registration, () => _executor.RunAsync(registration, OneRecord, record, hook: call))
            : _executor.RunAsync(registration, OneRecord, record, hook: call);
        await ((Task)execution).WaitAsync(Settings.Timeout + TimeSpan.FromSeconds(1)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (!execution.IsCompletedSuccessfully)
        {
            return ScriptReply.Error($"the hook of registration {registration.Id} never returned: it ran past the execution time-out");
        }
        var outcome = execution.Result;
        return outcome.Error is { } error ? ScriptReply.Error(error) : call.Reply(outcome.Records ?? []);
    }

    /// <summary>
    /// RG.TRIGGER / RG.TRIGGERONKEY: runs the trigger's registration over one record, the call's
    /// arguments (the trigger's name first). Null when no registration has that trigger.
    /// </summary>
    public async Task<ExecutionOutcome?> TriggerAsync(string trigger, string[] arguments)
    {
        if (_interceptions?.Triggers.GetValueOrDefault(trigger) is not { } registration)
        {
            return null;
        }
        string[] record = [trigger, .. arguments];
        var execution = _dispatcher.Start(registration, () => _executor.RunAsync(registration, OneRecord, record));
        await ((Task)execution).WaitAsync(Settings.Timeout + TimeSpan.FromSeconds(1)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        return execution.IsCompletedSuccessfully
            ? execution.Result
            : ExecutionOutcome.Failed("the trigger's execution never returned: it ran past the execution time-out");
    }

    private static ValueTask<List<object?>?> OneRecord(string[] record) => ValueTask.FromResult<List<object?>?>([record]);

    private static string ArgumentText(object? argument) => argument switch
    {
        null => "",
        byte[] bytes => ScriptText.Decode(bytes),
        IFormattable formattable => formattable.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
        _ => argument.ToString() ?? "",
    };
}
