using System.Text.RegularExpressions;
using SharpGears.Api;
using SharpGears.Runtime.Engine.Sessions;
using SharpGears.Runtime.Gateway;
using SharpGears.Runtime.Scripting;

namespace SharpGears.Runtime.Engine.Commands;

/// <summary>RG.CSEXECUTE (RedisGears' RG.PYEXECUTE, in C#) and RG.DUMPSESSIONS.</summary>
internal static partial class SessionCommands
{
    public static void Register(GearsCommands commands, GearsEngine engine)
    {
        commands.Register("RG.CSEXECUTE", GearsPermission.Admin, request => ExecuteAsync(request, engine));
        commands.Register("RG.DUMPSESSIONS", GearsPermission.Read, request => DumpSessions(request, engine));
    }

    [GeneratedRegex("^[A-Za-z0-9_-]+$")]
    private static partial Regex SessionId();

    // RG.CSEXECUTE "<code>" [UNBLOCKING] [ID id] [DESCRIPTION text] [UPGRADE] [REPLACE_WITH id]
    //   [FORCE_REINSTALL_REQUIREMENTS] [REQUIREMENTS pkg ...]: options in any order, REQUIREMENTS last.
    private static async ValueTask ExecuteAsync(GearsRequest request, GearsEngine engine)
    {
        if (request.Count < 2)
        {
            request.WriteArityError();
            return;
        }
        string? id = null, description = null, replaceWith = null;
        bool upgrade = false, unblocking = false, reinstallRequirements = false;
        var requirements = new List<string>();
        for (var i = 2; i < request.Count; i++)
        {
            var option = request[i].ToUpperInvariant();
            switch (option)
            {
                case "UNBLOCKING":
                    unblocking = true; // a Run() replies with its execution's id at once
                    break;
                case "FORCE_REINSTALL_REQUIREMENTS":
                    reinstallRequirements = true; // restored again even when they are in the cache
                    break;
                case "UPGRADE":
                    upgrade = true;
                    break;
                case "ID" or "DESCRIPTION" or "REPLACE_WITH":
                    if (++i >= request.Count)
                    {
                        request.WriteError($"ERR {option} needs a value");
                        return;
                    }
                    var value = request[i];
                    if (option != "DESCRIPTION" && !SessionId().IsMatch(value))
                    {
                        request.WriteError($"ERR {option} '{value}' is not a session id: use only letters, digits, '_' and '-'");
                        return;
                    }
                    _ = option switch
                    {
                        "ID" => id = value,
                        "DESCRIPTION" => description = value,
                        _ => replaceWith = value,
                    };
                    break;
                case "REQUIREMENTS":
                    for (i++; i < request.Count; i++)
                    {
                        requirements.Add(request[i]);
                    }
                    break;
                default:
                    request.WriteError($"ERR Unknown argument given: {request[i]} (the arguments are UNBLOCKING, ID, DESCRIPTION, UPGRADE, REPLACE_WITH, FORCE_REINSTALL_REQUIREMENTS and REQUIREMENTS, which comes last)");
                    return;
            }
        }
        try
        {
            var run = await engine.SubmitAsync(request[1], id, description, upgrade, replaceWith, requirements, reinstallRequirements);
            if (run is null)
            {
                RespReply.Write(request.Reply, new RespReply.Status("OK"));
            }
            else if (unblocking)
            {
                RespReply.Write(request.Reply, run.Id);
            }
            else
            {
                // Only this client waits: its session reads nothing more from it until the reply is out.
                await run.Done;
                ExecutionCommands.WriteResults(request, run);
            }
        }
        catch (Exception e) when (e is ScriptCompilationException or GearsException)
        {
            request.WriteError("ERR " + e.Message);
        }
    }

    // RG.DUMPSESSIONS [VERBOSE] [DEAD] [SESSIONS id ...]
    private static ValueTask DumpSessions(GearsRequest request, GearsEngine engine)
    {
        bool verbose = false, dead = false;
        HashSet<string>? only = null;
        for (var i = 1; i < request.Count; i++)
        {
            switch (request[i].ToUpperInvariant())
            {
                case "VERBOSE":
                    verbose = true;
                    break;
                case "DEAD":
                    dead = true;
                    break;
                case "SESSIONS":
                    only = [.. Enumerable.Range(i + 1, request.Count - i - 1).Select(j => request[j])];
                    i = request.Count;
                    break;
                default:
                    request.WriteError($"ERR Unknown argument given: {request[i]} (the arguments are VERBOSE, DEAD and SESSIONS id ...)");
                    return ValueTask.CompletedTask;
            }
        }
        var failures = engine.LoadFailures;
        var sessions = engine.Sessions;
        // A file that failed to load shows with its session, or alone when it never loaded.
        var entries = dead
            ? engine.DeadSessions.Where(id => only is null || only.Contains(id)).Select(DeadEntry).ToList()
            : sessions.Select(s => Entry(s, failures.GetValueOrDefault(s.Id), verbose))
                .Concat(failures.Values.Where(f => !sessions.Any(s => s.Id == f.SessionId)).Select(FailedEntry))
                .Where(entry => only is null || only.Contains((string)entry[1]!))
                .ToList();
        RespReply.Write(request.Reply, entries);
        return ValueTask.CompletedTask;
    }

    // RedisGears' fields, then SharpGears' own: the file the code comes from, and why its last version did not load.
    private static object?[] Entry(Session session, LoadFailure? failure, bool verbose)
    {
        var registrations = session.Registrations;
        return
        [
            "ID", session.Id,
            "sessionDescription", session.Definition.Description,
            "refCount", (long)registrations.Count,
            "linked", "primary",
            "dead", "false",
            "requirementInstallationNeeded", 0L,
            "requirements", session.Code.Packages.Requirements.Select(r => r.ToString()).ToList(),
            "registrations", verbose
                ? registrations.Select(RegistrationCommands.Entry).ToList()
                : registrations.Select(r => r.Id).ToList(),
            "origin", session.Definition.Origin,
            "lastError", failure?.Error,
        ];
    }

    private static object?[] FailedEntry(LoadFailure failure) => EntryWithoutCode(failure.SessionId, dead: false, failure);

    private static object?[] DeadEntry(string id) => EntryWithoutCode(id, dead: true, failure: null);

    // A session whose code is not (or no longer) in place: a file that never loaded, or one being unloaded.
    private static object?[] EntryWithoutCode(string id, bool dead, LoadFailure? failure) =>
    [
        "ID", id,
        "sessionDescription", null,
        "refCount", 0L,
        "linked", "primary",
        "dead", dead ? "true" : "false",
        "requirementInstallationNeeded", 0L,
        "requirements", Array.Empty<object>(),
        "registrations", Array.Empty<object>(),
        "origin", failure?.Origin,
        "lastError", failure?.Error,
    ];
}
