using SharpGears.Runtime.Tests.Engine.Support;

namespace SharpGears.Runtime.Tests.Requirements;

/// <summary>
/// A stored session comes back after a restart of the gateway with its requirements, read from the
/// cache under --data-dir: nothing is restored again (so no package source is needed).
/// </summary>
public sealed class RequirementsRestartTests() : RedisAndFolderTest("sg-requirements-restart-")
{
    private Task<GatewayHost> StartGatewayAsync() => GatewayHost.StartAsync(Redis, "--data-dir", Folder);

    // One package from a #r line, one from REQUIREMENTS; the trigger shows the version of each it runs with.
    private const string Code = """
        #r "nuget: Humanizer.Core, 2.8.26"
        using System.Reflection;
        using Humanizer;
        string VersionOf(Type type) => type.Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>().InformationalVersion.Split('+')[0];
        GB(Readers.Command)
            .FlatMap(args => new[] { "SomeText".Humanize(), VersionOf(typeof(InflectorExtensions)), Newtonsoft.Json.JsonConvert.SerializeObject(new[] { 1, 2 }), VersionOf(typeof(Newtonsoft.Json.JsonConvert)) })
            .Register(trigger: "versions");
        """;

    [Fact]
    public async Task AStoredSessionComesBackWithItsRequirementsFromTheCache()
    {
        string[] expected = ["Some text", "2.8.26", "[1,2]", "13.0.1"];
        string project;
        DateTime restoredAt;
        await using (var first = await StartGatewayAsync())
        {
            await using var client = await first.ConnectAsync();
            Assert.Equal("+OK\r\n", await client.CommandAsync("RG.CSEXECUTE", Code, "ID", "versions", "REQUIREMENTS", "Newtonsoft.Json==13.0.1"));
            Assert.Equal(expected, Reply.Strings(Reply.Parse(await client.CommandAsync("RG.TRIGGER", "versions"))));
            project = Path.Combine(Assert.Single(Directory.GetDirectories(Path.Combine(Folder, "requirements", "sets"))), "requirements.csproj");
            restoredAt = File.GetLastWriteTimeUtc(project);
        }

        await using var second = await StartGatewayAsync();
        await using var again = await second.ConnectAsync();

        Assert.Equal(expected, Reply.Strings(Reply.Parse(await again.CommandAsync("RG.TRIGGER", "versions"))));
        var session = new Pairs(Assert.Single(Assert.IsType<object?[]>(Reply.Parse(await again.CommandAsync("RG.DUMPSESSIONS")))));
        Assert.Equal(["Humanizer.Core==2.8.26", "Newtonsoft.Json==13.0.1"], Reply.Strings(session["requirements"]));
        Assert.Equal(0, session.Integer("requirementInstallationNeeded"));
        // A restore writes the set's project first; it was not written again.
        Assert.Equal(restoredAt, File.GetLastWriteTimeUtc(project));
    }
}
