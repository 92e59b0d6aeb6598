using SharpGears.Runtime.Gateway;

namespace SharpGears.Runtime.Engine.Commands;

/// <summary>RG.DUMPREQS (RedisGears' RG.PYDUMPREQS): the NuGet requirements live sessions use.</summary>
internal static class RequirementCommands
{
    public static void Register(GearsCommands commands, GearsEngine engine) =>
        commands.Register("RG.DUMPREQS", GearsPermission.Read, request => DumpRequirements(request, engine));

    // One entry per package and version in use, whichever sessions asked for it (REQUIREMENTS or #r):
    // "Name", "Version", "IsInstalled" ("yes" while its assemblies are in the cache), "Assemblies" (the
    // files the sessions load for it, its dependencies' included, relative to the packages cache) and
    // "Sessions" (their ids). A requirement no live session uses is not listed, though it stays cached.
    private static ValueTask DumpRequirements(GearsRequest request, GearsEngine engine)
    {
        if (request.Count != 1)
        {
            request.WriteArityError();
            return ValueTask.CompletedTask;
        }
        var entries = engine.Sessions
            .SelectMany(session => session.Code.Packages.Requirements.Select(requirement => (session, requirement)))
            .GroupBy(use => use.requirement.ToString(), StringComparer.OrdinalIgnoreCase)
            .OrderBy(group => group.Key, StringComparer.OrdinalIgnoreCase)
            .Select(group =>
            {
                var (session, requirement) = group.First();
                var packages = session.Code.Packages;
                var assemblies = packages.AssembliesOf(requirement);
                return (object?[])
                [
                    "Name", requirement.Name,
                    "Version", requirement.Version,
                    "IsInstalled", assemblies.All(a => File.Exists(Path.Combine(packages.PackagesFolder, a))) ? "yes" : "no",
                    "Assemblies", assemblies,
                    "Sessions", group.Select(use => use.session.Id).ToList(),
                ];
            })
            .ToList();
        RespReply.Write(request.Reply, entries);
        return ValueTask.CompletedTask;
    }
}
