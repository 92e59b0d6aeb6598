using System.Diagnostics;
using SharpGears.Api;
using SharpGears.Runtime.Gateway;

namespace SharpGears.Runtime.Engine.Commands;

/// <summary>RG.CONFIGGET, RG.CONFIGSET and RG.STATS.</summary>
internal static class ConfigurationCommands
{
    public static void Register(GearsCommands commands, GearsEngine engine)
    {
        // RG.CONFIGGET key ...: one entry per key, its value or an error of its own.
        commands.Register("RG.CONFIGGET", GearsPermission.Read, request =>
        {
            if (request.Count < 2)
            {
                request.WriteArityError();
                return ValueTask.CompletedTask;
            }
            RespReply.Write(request.Reply, Enumerable.Range(1, request.Count - 1).Select(i =>
            {
                var (value, error) = engine.Settings.Read(request[i]);
                return error is null ? value : (object)new GearsException(error);
            }).ToList());
            return ValueTask.CompletedTask;
        });

        // RG.CONFIGSET key value ...: one status per pair.
        commands.Register("RG.CONFIGSET", GearsPermission.Admin, request =>
        {
            if (request.Count < 3 || request.Count % 2 == 0)
            {
                request.WriteArityError();
                return ValueTask.CompletedTask;
            }
            RespReply.Write(request.Reply, Enumerable.Range(0, (request.Count - 1) / 2).Select(pair =>
            {
                var (status, error) = engine.Settings.Write(request[1 + (2 * pair)], request[2 + (2 * pair)]);
                return error is null ? new RespReply.Status(status!) : (object)new GearsException(error);
            }).ToList());
            return ValueTask.CompletedTask;
        });

        // RG.STATS (RedisGears' RG.PYSTATS): what the runtime holds, so that memory can be watched.
        commands.Register("RG.STATS", GearsPermission.Read, request =>
        {
            using var process = Process.GetCurrentProcess();
            var sessions = engine.Sessions;
            RespReply.Write(request.Reply, new object?[]
            {
                "managedHeapBytes", GC.GetTotalMemory(forceFullCollection: false),
                "workingSetBytes", process.WorkingSet64,
                "sessions", (long)sessions.Count,
                "registrations", (long)engine.Registrations.Count,
                "unloadingScriptContexts", (long)engine.DeadSessions.Count,
                "abandonedExecutionThreads", (long)engine.AbandonedThreads,
                "gcCollections", new object?[] { (long)GC.CollectionCount(0), (long)GC.CollectionCount(1), (long)GC.CollectionCount(2) },
            });
            return ValueTask.CompletedTask;
        });
    }
}
