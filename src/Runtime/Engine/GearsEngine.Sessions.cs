using Microsoft.Extensions.Logging;
using LogLevel = Microsoft.Extensions.Logging.LogLevel;
using SharpGears.Api;
using SharpGears.Runtime.Engine.Execution;
using SharpGears.Runtime.Engine.Registrations;
using SharpGears.Runtime.Engine.Sessions;
using SharpGears.Runtime.Scripting;

namespace SharpGears.Runtime.Engine;

internal sealed partial class GearsEngine
{
    /// <summary>
    /// Compiles and runs submitted code as session <paramref name="id"/> (a new id when null).
    /// With <paramref name="upgrade"/> it replaces the session of that id, and with
    /// <paramref name="replaceWith"/> another one; either only once the new code has compiled, run its
    /// body without error and made registrations that can be registered. Otherwise nothing changes and
    /// a <see cref="GearsException"/> (or <see cref="ScriptCompilationException"/>) says why.
    /// </summary>
    public async Task<Executions.BatchExecution?> SubmitAsync(string code, string? id, string? description, bool upgrade, string? replaceWith, IReadOnlyList<string> requirements)
    {
        await _changes.WaitAsync();
        try
        {
            id ??= Guid.NewGuid().ToString();
            Session? existing, replaced = null;
            lock (_sessions)
            {
                existing = _sessions.GetValueOrDefault(id);
                if (existing is not null && !upgrade)
                {
                    throw new GearsException($"Session {id} already exists");
                }
                if (replaceWith is not null && replaceWith != id && !_sessions.TryGetValue(replaceWith, out replaced))
                {
                    throw new GearsException($"Session {replaceWith} does not exist, so it cannot be replaced");
                }
            }
            var definition = new SessionDefinition(id, code, description, requirements, [], []);
            var (session, registrations, run) = await BuildAsync(definition);
            try
            {
                CheckTriggersFree(registrations, existing, replaced);
            }
            catch
            {
                Bury(session);
                throw;
            }
            // Events already handed to the old registrations still run with the old code; later ones
            // go to the new registrations: the switch loses no event and runs none twice.
            if (existing is not null)
            {
                Remove(existing, abortPending: false);
            }
            if (replaced is not null)
            {
                Remove(replaced, abortPending: false);
                _store.Delete(replaced.Id);
            }
            if (registrations.Count == 0)
            {
                // Nothing refers to it: as in RedisGears, a session without registrations ends at once.
                Bury(session);
                _store.Delete(id);
            }
            else
            {
                Activate(session, registrations);
                _store.Save(definition with { RegistrationIds = [.. registrations.Select(r => r.Id)] });
            }
            await RefreshAsync();
            RunOnRegistered(registrations);
            // The session's code stays loaded while the run holds its delegates, registrations or not.
            return run is null ? null : StartRun(id, run);
        }
        finally
        {
            _changes.Release();
        }
    }

    /// <summary>
    /// RG.UNREGISTER: removes one registration; it stays removed after restarts. Executions already
    /// queued still run unless <paramref name="abortPending"/>. A session left without registrations
    /// ends. False when there is no such registration.
    /// </summary>
    public async Task<bool> UnregisterAsync(string registrationId, bool abortPending)
    {
        await _changes.WaitAsync();
        try
        {
            Registration? registration;
            Session session;
            lock (_sessions)
            {
                if (!_registrations.Remove(registrationId, out registration))
                {
                    return false;
                }
                if (abortPending)
                {
                    registration.Deactivate();
                }
                session = registration.Session;
                session.Remove(registration);
            }
            if (session.Registrations.Count == 0)
            {
                Remove(session, abortPending);
                _store.Delete(session.Id);
            }
            else
            {
                _store.Save(session.Definition with { Unregistered = [.. session.Definition.Unregistered, registrationId] });
            }
            await RefreshAsync();
            return true;
        }
        finally
        {
            _changes.Release();
        }
    }

    /// <summary>Compiles the code, runs its body and creates (without activating) the registrations it made.</summary>
    private async Task<(Session Session, List<Registration> Registrations, Api.Pipeline.RunRequest? Run)> BuildAsync(SessionDefinition definition)
    {
        var script = _compiler.Value.Compile(definition.Code, definition.Id);
        var gears = new SessionGears(definition.Id, this, _client, Settings, _scriptLogger);
        var session = new Session(definition, script);
        try
        {
            await RunBodyAsync(script, gears);
            var registrations = new List<Registration>();
            var requests = gears.PendingRegistrations;
            for (var i = 0; i < requests.Count; i++)
            {
                var storedId = i < definition.RegistrationIds.Count ? definition.RegistrationIds[i] : null;
                var registration = await CreateRegistrationAsync(session, requests[i], storedId, place: i);
                if (!definition.Unregistered.Contains(registration.Id))
                {
                    registrations.Add(registration);
                }
            }
            gears.Attach(session);
            return (session, registrations, gears.PendingRun);
        }
        catch
        {
            Bury(session);
            throw;
        }
    }

    // The body runs off the caller's thread, bounded by the execution time-out: a body that never
    // returns fails the submission instead of hanging the client.
    private async Task RunBodyAsync(CompiledScript script, SessionGears gears)
    {
        var timeout = Settings.Timeout;
        using var aborted = new CancellationTokenSource(timeout);
        var body = Task.Run(() =>
        {
            RunningExecution.Current = new RunningExecution(null, aborted.Token);
            return script.RunAsync(gears);
        });
        try
        {
            await body.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            throw new GearsException($"the script's body ran for more than the execution time-out of {(long)timeout.TotalMilliseconds} ms (RG.CONFIGSET ExecutionTimeout) and was abandoned; nothing was registered");
        }
        catch (Exception e) when (e is not GearsException and not ScriptCompilationException)
        {
            throw new GearsException(ScriptFailure.Describe(e));
        }
    }

    private void Activate(Session session, List<Registration> registrations)
    {
        lock (_sessions)
        {
            foreach (var registration in registrations)
            {
                session.Add(registration);
                _registrations[registration.Id] = registration;
            }
            _sessions[session.Id] = session;
        }
        foreach (var registration in registrations)
        {
            LogWarnings(registration);
        }
    }

    // Unregisters the session's registrations and unloads it. Executions already queued still run
    // (their code stays loaded until they are done) unless abortPending.
    private void Remove(Session session, bool abortPending)
    {
        lock (_sessions)
        {
            foreach (var registration in session.Registrations)
            {
                if (abortPending)
                {
                    registration.Deactivate();
                }
                _registrations.Remove(registration.Id);
            }
            if (_sessions.TryGetValue(session.Id, out var current) && current == session)
            {
                _sessions.Remove(session.Id);
            }
        }
        Bury(session);
    }

    private void Bury(Session session)
    {
        session.Kill();
        lock (_dead)
        {
            _dead.RemoveAll(d => !d.LoadContext.IsAlive);
            _dead.Add((session.Id, session.Script.LoadContextReference));
        }
    }

    // onRegistered runs once the registration is in place, off the caller's thread; a failure is logged.
    private void RunOnRegistered(IEnumerable<Registration> registrations)
    {
        foreach (var registration in registrations)
        {
            if (registration.Request.OnRegistered is { } onRegistered)
            {
                _ = Task.Run(() =>
                {
                    try
                    {
                        onRegistered();
                    }
                    catch (Exception e)
                    {
                        LogOnRegisteredFailed(_logger, e, registration.Id, ScriptFailure.Describe(e));
                    }
                });
            }
        }
    }

    /// <summary>Builds the stored sessions again, with their registration ids, and runs their onRegistered.</summary>
    private async Task LoadStoredSessionsAsync()
    {
        var loaded = new List<Registration>();
        foreach (var definition in _store.LoadAll())
        {
            foreach (var id in definition.RegistrationIds)
            {
                ReserveId(id);
            }
            try
            {
                // A stored session is loaded for its registrations: a Run() in its body ran when it was submitted.
                var (session, registrations, _) = await BuildAsync(definition);
                if (registrations.Count == 0)
                {
                    Bury(session);
                    continue;
                }
                try
                {
                    CheckTriggersFree(registrations);
                }
                catch
                {
                    Bury(session);
                    throw;
                }
                Activate(session, registrations);
                loaded.AddRange(registrations);
            }
            catch (Exception e)
            {
                LogStoredSessionFailed(_logger, definition.Id, e.Message);
            }
        }
        if (loaded.Count > 0)
        {
            LogSessionsLoaded(_logger, Sessions.Count, loaded.Count);
            await RefreshAsync();
            RunOnRegistered(loaded);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Loaded {Sessions} stored sessions with {Registrations} registrations")]
    private static partial void LogSessionsLoaded(ILogger logger, int sessions, int registrations);

    [LoggerMessage(Level = LogLevel.Error, Message = "The stored session {Session} could not be loaded again: {Error}. Its file stays; submit it again with RG.CSEXECUTE ... ID {Session} UPGRADE")]
    private static partial void LogStoredSessionFailed(ILogger logger, string session, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "onRegistered of registration {Registration} failed: {Error}")]
    private static partial void LogOnRegisteredFailed(ILogger logger, Exception exception, string registration, string error);
}
