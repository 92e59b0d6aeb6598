using Microsoft.Extensions.Logging;
using LogLevel = Microsoft.Extensions.Logging.LogLevel;
using SharpGears.Api;
using SharpGears.Runtime.Engine.Execution;
using SharpGears.Runtime.Engine.Registrations;
using SharpGears.Runtime.Engine.Sessions;
using SharpGears.Runtime.Scripting;
using SharpGears.Runtime.Scripting.Requirements;

namespace SharpGears.Runtime.Engine;

internal sealed partial class GearsEngine
{
    /// <summary>
    /// Compiles and runs submitted code as session <paramref name="id"/> (a new id when null).
    /// With <paramref name="upgrade"/> it replaces the session of that id, and with
    /// <paramref name="replaceWith"/> another one; either only once the new code has compiled, run its
    /// body without error and made registrations that can be registered. Otherwise nothing changes and
    /// a <see cref="GearsException"/> (or <see cref="ScriptCompilationException"/>) says why.
    /// <paramref name="requirements"/> (<c>Package==Version</c>) are restored with the code's
    /// <c>#r "nuget: ..."</c> lines, again with <paramref name="reinstallRequirements"/>.
    /// </summary>
    public async Task<Executions.BatchExecution?> SubmitAsync(
        string code, string? id, string? description, bool upgrade, string? replaceWith, IReadOnlyList<string> requirements, bool reinstallRequirements = false)
    {
        id ??= Guid.NewGuid().ToString();
        // Checked before compiling, so that a submission bound to fail waits for no restore; and again
        // below, since another submission may have changed the sessions meanwhile.
        SessionsToReplace(id, upgrade, replaceWith);
        // Compiled, and its requirements restored (seconds, when they are not in the cache yet), before
        // taking the changes: other submissions do not wait for it.
        var compiled = await CompileAsync(new SessionDefinition(id, code, description, requirements, [], []), reinstallRequirements);
        // A requirement without a version is kept with the version it got, so a restart loads that one.
        var definition = new SessionDefinition(
            id, code, description, [.. requirements.Select(r => compiled.Packages.Resolved(PackageRequirement.FromRequirement(r)).ToString())], [], []);
        await _changes.WaitAsync();
        try
        {
            Session? existing, replaced;
            try
            {
                (existing, replaced) = SessionsToReplace(id, upgrade, replaceWith);
            }
            catch
            {
                compiled.Dispose();
                throw;
            }
            var (session, registrations, run) = await InstallAsync(definition, compiled, existing, replaced);
            if (replaced is not null)
            {
                _store.Delete(replaced.Id);
            }
            if (registrations.Count == 0)
            {
                _store.Delete(id);
            }
            else
            {
                _store.Save(definition with { RegistrationIds = [.. registrations.Select(r => r.Id)] });
            }
            // The session's code stays loaded while the run holds its delegates, registrations or not.
            return run is null ? null : StartRun(id, run);
        }
        finally
        {
            _changes.Release();
        }
    }

    // The sessions a submission replaces: the one of its id (only with UPGRADE) and the one it names
    // with REPLACE_WITH; neither may come from a file.
    private (Session? Existing, Session? Replaced) SessionsToReplace(string id, bool upgrade, string? replaceWith)
    {
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
        foreach (var other in new[] { existing, replaced })
        {
            if (other?.Definition.Origin is { } origin)
            {
                throw new GearsException($"Session {other.Id} is loaded from {origin}: change or remove that file instead");
            }
        }
        return (existing, replaced);
    }

    /// <summary>
    /// Loads code from a file (a script of the --scripts folder, a plugin) as session
    /// <paramref name="definition"/>.Id: a new session, or the replacement of the one of that id, as
    /// RG.CSEXECUTE ... UPGRADE does. When <paramref name="load"/> or the code fails, the session there
    /// stays as it was and the failure shows in RG.DUMPSESSIONS until the file loads. When
    /// <paramref name="isCurrent"/> says the file changed meanwhile, nothing changes: its next version
    /// is on its way. True when the code is in place.
    /// </summary>
    public async Task<bool> LoadFromFileAsync(SessionDefinition definition, Func<Task<SessionCode>> load, Func<bool> isCurrent)
    {
        var origin = definition.Origin ?? throw new ArgumentException("code from a file names its file", nameof(definition));
        try
        {
            // Compiled (its packages restored) or loaded before taking the changes: others do not wait for it.
            var code = await load();
            await _changes.WaitAsync();
            try
            {
                var existing = SessionOf(definition.Id);
                if (existing?.Definition.Origin is { } other && other != origin)
                {
                    code.Dispose();
                    throw new GearsException($"session {definition.Id} is already loaded from {other}");
                }
                var (_, registrations, run) = await InstallAsync(definition, code, existing, replaced: null, isCurrent);
                if (existing is not null && existing.Definition.Origin is null)
                {
                    _store.Delete(existing.Id); // a submitted session of that name: the file takes its place for good
                    LogSubmittedSessionReplaced(_logger, existing.Id, origin);
                }
                lock (_loadFailures)
                {
                    _loadFailures.Remove(definition.Id);
                }
                LogLoadedFromFile(_logger, definition.Id, origin, registrations.Count);
                if (run is not null)
                {
                    StartRun(definition.Id, run);
                }
                return true;
            }
            finally
            {
                _changes.Release();
            }
        }
        catch (Exception) when (!isCurrent())
        {
            return false; // a half-written file, say: what counts is the version on its way
        }
        catch (Exception e)
        {
            var error = e is GearsException or ScriptCompilationException ? e.Message : ScriptFailure.Describe(e);
            lock (_loadFailures)
            {
                _loadFailures[definition.Id] = new LoadFailure(definition.Id, origin, error);
            }
            LogFileLoadFailed(_logger, origin, error);
            return false;
        }
    }

    /// <summary>The file <paramref name="origin"/> is gone: its session, if it made one, ends.</summary>
    public async Task UnloadFileAsync(string id, string origin)
    {
        await _changes.WaitAsync();
        try
        {
            lock (_loadFailures)
            {
                if (_loadFailures.TryGetValue(id, out var failure) && failure.Origin == origin)
                {
                    _loadFailures.Remove(id);
                }
            }
            if (SessionOf(id) is { } session && session.Definition.Origin == origin)
            {
                Remove(session, abortPending: false);
                await RefreshAsync();
                LogUnloadedFile(_logger, id, origin);
            }
        }
        finally
        {
            _changes.Release();
        }
    }

    private Session? SessionOf(string id)
    {
        lock (_sessions)
        {
            return _sessions.GetValueOrDefault(id);
        }
    }

    /// <summary>Files that did not load, by session id: their diagnostics, shown by RG.DUMPSESSIONS.</summary>
    public IReadOnlyDictionary<string, LoadFailure> LoadFailures
    {
        get
        {
            lock (_loadFailures)
            {
                return new Dictionary<string, LoadFailure>(_loadFailures);
            }
        }
    }

    /// <summary>
    /// Compiles a script session's code: submitted code, or (with an <see cref="SessionDefinition.Origin"/>)
    /// a file of the scripts folder, which may <c>#load</c> the files beside it. Its requirements and
    /// <c>#r "nuget: ..."</c> lines are restored first: from the cache when they were restored before,
    /// afresh with <paramref name="reinstallRequirements"/>. A restore under way when SharpGears stops is
    /// given up (its dotnet process killed), so that it holds neither the stop up nor outlives it.
    /// </summary>
    public async Task<SessionCode> CompileAsync(SessionDefinition definition, bool reinstallRequirements = false) =>
        await _compiler.Value.CompileAsync(
            definition.Code, definition.Id, definition.Origin, [.. definition.Requirements.Select(PackageRequirement.FromRequirement)], reinstallRequirements,
            lifetime.ApplicationStopping);

    /// <summary>
    /// Under <see cref="_changes"/>: runs <paramref name="code"/> as <paramref name="definition"/>'s
    /// session and, only if it made registrations that can be registered, puts it in place of
    /// <paramref name="existing"/> and <paramref name="replaced"/>. A session without registrations
    /// ends at once, as in RedisGears.
    /// </summary>
    private async Task<(Session Session, List<Registration> Registrations, Api.Pipeline.RunRequest? Run)> InstallAsync(
        SessionDefinition definition, SessionCode code, Session? existing, Session? replaced, Func<bool>? isCurrent = null)
    {
        var (session, registrations, run) = await BuildAsync(definition, code);
        try
        {
            CheckTriggersFree(registrations, existing, replaced);
            if (isCurrent?.Invoke() == false)
            {
                throw new GearsException("the file changed while it was loaded");
            }
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
        }
        if (registrations.Count == 0)
        {
            Bury(session); // nothing refers to it (a Run() keeps its own code loaded while it runs)
        }
        else
        {
            Activate(session, registrations);
        }
        await RefreshAsync();
        RunOnRegistered(registrations);
        return (session, registrations, run);
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
            // A session from a file is not stored: the registration comes back when the file loads again.
            if (session.Registrations.Count == 0)
            {
                Remove(session, abortPending);
                if (session.Definition.Origin is null)
                {
                    _store.Delete(session.Id);
                }
            }
            else if (session.Definition.Origin is null)
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

    /// <summary>Runs the code's body and creates (without activating) the registrations it made.</summary>
    private async Task<(Session Session, List<Registration> Registrations, Api.Pipeline.RunRequest? Run)> BuildAsync(SessionDefinition definition, SessionCode code)
    {
        var session = new Session(definition, code);
        var gears = new SessionGears(session, this, _client, Settings, _scriptLogger);
        try
        {
            await RunBodyAsync(code, gears);
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
            gears.Attach();
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
    private async Task RunBodyAsync(SessionCode code, SessionGears gears)
    {
        var timeout = Settings.Timeout;
        using var aborted = new CancellationTokenSource(timeout);
        var body = Task.Run(() =>
        {
            RunningExecution.Current = new RunningExecution(null, aborted.Token);
            return code.RunAsync(gears);
        });
        try
        {
            await body.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            throw new GearsException($"the code's body (a script's top-level code, a plugin's Register) ran for more than the execution time-out of {(long)timeout.TotalMilliseconds} ms (RG.CONFIGSET ExecutionTimeout) and was abandoned; nothing was registered");
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
            _dead.Add((session.Id, session.Code.LoadContextReference));
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
        foreach (var definition in _store.LoadAll().Where(d => d.Origin is null)) // files are read again from their folders
        {
            foreach (var id in definition.RegistrationIds)
            {
                ReserveId(id);
            }
            try
            {
                // A stored session is loaded for its registrations: a Run() in its body ran when it was submitted.
                var (session, registrations, _) = await BuildAsync(definition, await CompileAsync(definition));
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

    [LoggerMessage(Level = LogLevel.Information, Message = "Loaded {Origin} as session {Session} with {Registrations} registrations")]
    private static partial void LogLoadedFromFile(ILogger logger, string session, string origin, int registrations);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Origin} was not loaded, and what it loaded before stays: {Error}")]
    private static partial void LogFileLoadFailed(ILogger logger, string origin, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Origin} is gone: session {Session} ended")]
    private static partial void LogUnloadedFile(ILogger logger, string session, string origin);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Session {Session}, submitted with RG.CSEXECUTE, was replaced by {Origin}")]
    private static partial void LogSubmittedSessionReplaced(ILogger logger, string session, string origin);

    [LoggerMessage(Level = LogLevel.Information, Message = "Loaded {Sessions} stored sessions with {Registrations} registrations")]
    private static partial void LogSessionsLoaded(ILogger logger, int sessions, int registrations);

    [LoggerMessage(Level = LogLevel.Error, Message = "The stored session {Session} could not be loaded again: {Error}. Its file stays; submit it again with RG.CSEXECUTE ... ID {Session} UPGRADE")]
    private static partial void LogStoredSessionFailed(ILogger logger, string session, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "onRegistered of registration {Registration} failed: {Error}")]
    private static partial void LogOnRegisteredFailed(ILogger logger, Exception exception, string registration, string error);
}
