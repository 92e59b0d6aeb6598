using SharpGears.Runtime.Gateway;

namespace SharpGears.Runtime.Engine.Commands;

/// <summary>RG.TRIGGER and RG.TRIGGERONKEY: run a CommandReader registration by its trigger's name.</summary>
internal static class TriggerCommands
{
    public static void Register(GearsCommands commands, GearsEngine engine)
    {
        commands.Register("RG.TRIGGER", GearsPermission.Read, request => TriggerAsync(request, engine, minimum: 2));
        // The key comes second so that cluster clients route the call to the key's shard.
        commands.Register("RG.TRIGGERONKEY", GearsPermission.Read, request => TriggerAsync(request, engine, minimum: 3));
    }

    private static async ValueTask TriggerAsync(GearsRequest request, GearsEngine engine, int minimum)
    {
        if (request.Count < minimum)
        {
            request.WriteArityError();
            return;
        }
        var trigger = request[1];
        string[] arguments = [.. Enumerable.Range(2, request.Count - 2).Select(i => request[i])];
        switch (await engine.TriggerAsync(trigger, arguments))
        {
            case null:
                request.WriteError($"ERR Unknown trigger: no registration has the trigger '{RespReply.OneLine(trigger)}'");
                break;
            case { Error: { } error }:
                request.WriteError(Linking.ScriptReply.ErrorText(error));
                break;
            case { Records: var records }:
                RespReply.Write(request.Reply, records ?? []);
                break;
        }
    }
}
