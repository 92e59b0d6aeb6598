using SharpGears.Api;
using SharpGears.Runtime.Engine;

namespace SharpGears.Runtime.Gateway;

/// <summary>
/// Decides who may run RG.* commands. The backend decides who may do what, and the gateway asks it:
/// when it requires AUTH, only a client that has authenticated (through the gateway) is answered;
/// submitting code or changing the engine also needs a backend user that may run every @dangerous
/// command, because scripts run with the gateway's own rights. Asked with ACL WHOAMI on the client's
/// own connection and ACL DRYRUN on the engine's.
/// </summary>
internal sealed class GearsAuthorization(GatewayServer server, GearsEngine engine)
{
    private Task<IReadOnlyList<string[]>>? _dangerousCommands;

    /// <summary>The error to answer instead of running the command, or null when the client may run it.</summary>
    public async ValueTask<string?> RefusalAsync(GearsPermission permission, IGearsClient client, string command)
    {
        string? user = "default";
        if (client.AskOwnConnection("ACL", "WHOAMI") is { } whoami)
        {
            try
            {
                user = await whoami as string;
            }
            catch (GearsException e) when (e.Message.StartsWith("NOAUTH", StringComparison.Ordinal))
            {
                return "NOAUTH Authentication required.";
            }
            catch (GearsException e) when (e.Message.Contains("unknown command", StringComparison.OrdinalIgnoreCase)
                || e.Message.Contains("unknown subcommand", StringComparison.OrdinalIgnoreCase))
            {
                user = null; // a Redis without ACLs: authenticated is all there is to know
            }
            catch (GearsException e) when (e.Message.StartsWith("NOPERM", StringComparison.Ordinal))
            {
                // A user that may not run ACL WHOAMI is still authenticated; CLIENT INFO names it too.
                user = await UserFromClientInfoAsync(client);
                if (user is null && permission == GearsPermission.Admin)
                {
                    return $"NOPERM {command} requires a backend user allowed every @dangerous command, and this connection's user could not be told (ACL WHOAMI and CLIENT INFO were refused): {e.Message}";
                }
            }
            catch (GearsException e)
            {
                return $"NOPERM {command} needs to know the backend user of this connection, and ACL WHOAMI failed: {e.Message}";
            }
        }
        else if (server.ClientsNeedOwnConnection)
        {
            return "NOAUTH Authentication required.";
        }
        if (permission == GearsPermission.Read || user is null)
        {
            return null;
        }
        return await DangerousRefusalAsync(user, command);
    }

    private static async Task<string?> UserFromClientInfoAsync(IGearsClient client)
    {
        try
        {
            var info = client.AskOwnConnection("CLIENT", "INFO") is { } ask ? await ask as string : null;
            return info?.Split(' ').FirstOrDefault(field => field.StartsWith("user=", StringComparison.Ordinal))?["user=".Length..];
        }
        catch (GearsException)
        {
            return null;
        }
    }

    private async Task<string?> DangerousRefusalAsync(string user, string command)
    {
        IReadOnlyList<string[]> probes;
        try
        {
            probes = await (_dangerousCommands ??= ListDangerousCommandsAsync());
        }
        catch (GearsException e)
        {
            _dangerousCommands = null;
            return $"NOPERM {command} requires a user allowed every @dangerous command, and the backend's commands could not be listed to check that: {e.Message}";
        }
        var answers = await Task.WhenAll(probes.Select(async probe =>
        {
            try
            {
                return (Probe: probe, Answer: await engine.Client.ExecuteAsync("ACL", ["DRYRUN", user, .. probe]));
            }
            catch (GearsException e)
            {
                return (Probe: probe, Answer: (object?)e.Message);
            }
        }));
        var denied = answers.Where(a => a.Answer is not "OK").Select(a => string.Join(' ', a.Probe.TakeWhile(p => p != "x"))).ToList();
        return denied.Count == 0
            ? null
            : $"NOPERM {command} runs code with the gateway's rights, so it requires a backend user allowed every @dangerous command; user '{user}' may not run: {string.Join(", ", denied.Take(5))}{(denied.Count > 5 ? ", ..." : "")}";
    }

    /// <summary>
    /// One valid invocation of each @dangerous command (subcommands included), with placeholder
    /// arguments to satisfy its arity, for ACL DRYRUN. Read from the backend (COMMAND), never typed in.
    /// </summary>
    private async Task<IReadOnlyList<string[]>> ListDangerousCommandsAsync()
    {
        var probes = new List<string[]>();
        if (await engine.Client.ExecuteAsync("COMMAND") is object?[] commands)
        {
            Collect(commands, probes);
        }
        return probes.Count > 0 ? probes : throw new GearsException("COMMAND listed no @dangerous command");
    }

    private static void Collect(object?[] commands, List<string[]> probes)
    {
        foreach (var entry in commands.OfType<object?[]>())
        {
            if (entry is [string name, long arity, _, _, _, _, object?[] categories, ..])
            {
                if (categories.Contains("@dangerous"))
                {
                    var words = name.Split('|');
                    var count = Math.Max(words.Length, (int)Math.Abs(arity));
                    probes.Add([.. words, .. Enumerable.Repeat("x", count - words.Length)]);
                }
                if (entry.Length > 9 && entry[9] is object?[] subcommands)
                {
                    Collect(subcommands, probes);
                }
            }
        }
    }
}
