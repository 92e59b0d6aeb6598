using SharpGears.Runtime.Tests.Engine.Support;

namespace SharpGears.Runtime.Tests.Requirements;

/// <summary>
/// A gateway whose --data-dir the tests can look into: its requirements cache is
/// DataDir/requirements. The tests of the class share it, so each distinct set of requirements is
/// restored once (from the package source) and read from the cache afterwards.
/// </summary>
public sealed class RequirementsFixture : GearsFixture
{
    public string DataDir { get; } = Directory.CreateTempSubdirectory("sg-requirements-").FullName;

    public string PackagesDir => Path.Combine(DataDir, "requirements", "packages");

    protected override string[] GatewayArguments => ["--data-dir", DataDir];

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        try
        {
            Directory.Delete(DataDir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>
/// NuGet requirements, end to end through the gateway: <c>#r "nuget: Package, Version"</c> in a script
/// and <c>RG.CSEXECUTE ... REQUIREMENTS Package==Version</c> restore the package into the cache under
/// --data-dir and the script uses it; each session has its own versions; RG.DUMPSESSIONS and
/// RG.DUMPREQS show them; a package that cannot be found is a clear error. The packages are real ones
/// from the machine's NuGet source (Humanizer.Core 2.14.1 and 2.8.26, Npgsql 10.0.0).
/// </summary>
public sealed class RequirementsTests(RequirementsFixture fixture) : IClassFixture<RequirementsFixture>
{
    // A trigger that replies with what Humanizer makes of "SomeText", the version of the Humanizer it
    // runs with (the package's, from its informational version) and where that assembly was loaded from.
    private static string Humanizing(string trigger, string directive = "") => $$"""
        {{directive}}
        using System.Reflection;
        using Humanizer;
        GB(Readers.Command).FlatMap(args =>
        {
            var assembly = typeof(InflectorExtensions).Assembly;
            var version = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>().InformationalVersion.Split('+')[0];
            return new[] { "SomeText".Humanize(), version, assembly.Location };
        }).Register(trigger: "{{trigger}}");
        """;

    private async Task<(string Text, string Version, string Location)> TriggerAsync(string trigger)
    {
        var reply = Reply.Strings(await fixture.ValueAsync("RG.TRIGGER", trigger));
        Assert.Equal(3, reply.Length);
        return (reply[0], reply[1], reply[2]);
    }

    [Fact]
    public async Task AScriptUsesAPackageItNamesWithANuGetDirective()
    {
        var (session, trigger) = (GearsFixture.Unique("directive"), GearsFixture.Unique("humanize"));

        await fixture.SubmitOkAsync(Humanizing(trigger, "#r \"nuget: Humanizer.Core, 2.14.1\""), "ID", session);

        var (text, version, location) = await TriggerAsync(trigger);
        Assert.Equal(("Some text", "2.14.1"), (text, version));
        Assert.StartsWith(Path.Combine(fixture.PackagesDir, "humanizer.core", "2.14.1") + "/", location);
        var entry = Assert.Single(await fixture.SessionsAsync("SESSIONS", session));
        Assert.Equal(["Humanizer.Core==2.14.1"], Reply.Strings(entry["requirements"]));
        Assert.Equal(0, entry.Integer("requirementInstallationNeeded"));
    }

    [Fact]
    public async Task AScriptUsesAPackageNamedInRequirementsWithoutADirective()
    {
        var (session, trigger) = (GearsFixture.Unique("requirements"), GearsFixture.Unique("humanize"));

        await fixture.SubmitOkAsync(Humanizing(trigger), "ID", session, "REQUIREMENTS", "Humanizer.Core==2.14.1");

        var (text, version, _) = await TriggerAsync(trigger);
        Assert.Equal(("Some text", "2.14.1"), (text, version));
        var entry = Assert.Single(await fixture.SessionsAsync("SESSIONS", session));
        Assert.Equal(["Humanizer.Core==2.14.1"], Reply.Strings(entry["requirements"]));
        Assert.Contains("'depsList':['Humanizer.Core==2.14.1']", (await fixture.RegistrationOfAsync(session)).Text("PD"));
    }

    [Fact]
    public async Task TwoSessionsUseTwoVersionsOfOnePackageAtOnce()
    {
        var (newer, older) = (GearsFixture.Unique("newer"), GearsFixture.Unique("older"));
        var (newerTrigger, olderTrigger) = (GearsFixture.Unique("humanize"), GearsFixture.Unique("humanize"));

        await fixture.SubmitOkAsync(Humanizing(newerTrigger, "#r \"nuget: Humanizer.Core, 2.14.1\""), "ID", newer);
        await fixture.SubmitOkAsync(Humanizing(olderTrigger), "ID", older, "REQUIREMENTS", "Humanizer.Core==2.8.26");

        var (newerText, newerVersion, newerLocation) = await TriggerAsync(newerTrigger);
        var (olderText, olderVersion, olderLocation) = await TriggerAsync(olderTrigger);
        Assert.Equal(("Some text", "2.14.1"), (newerText, newerVersion));
        Assert.Equal(("Some text", "2.8.26"), (olderText, olderVersion));
        Assert.Contains("/humanizer.core/2.14.1/", newerLocation);
        Assert.Contains("/humanizer.core/2.8.26/", olderLocation);
        // And the first still has its own once the second is loaded.
        Assert.Equal("2.14.1", (await TriggerAsync(newerTrigger)).Version);
    }

    [Fact]
    public async Task APackageOfAnAssemblyTheHostShipsGivesTheSessionThePackagesCopy()
    {
        var (session, trigger) = (GearsFixture.Unique("npgsql"), GearsFixture.Unique("npgsql"));

        await fixture.SubmitOkAsync(
            $$"""GB(Readers.Command).Map(args => typeof(Npgsql.NpgsqlConnection).Assembly.Location).Register(trigger: "{{trigger}}");""",
            "ID", session, "REQUIREMENTS", "Npgsql==10.0.0");

        var location = Assert.IsType<string>(Assert.Single(Assert.IsType<object?[]>(await fixture.ValueAsync("RG.TRIGGER", trigger))));
        Assert.StartsWith(Path.Combine(fixture.PackagesDir, "npgsql", "10.0.0") + "/", location);
        // Without the requirement, the host's Npgsql serves: the one beside the gateway's own assemblies.
        var hostTrigger = GearsFixture.Unique("npgsql");
        await fixture.SubmitOkAsync(
            $$"""GB(Readers.Command).Map(args => typeof(Npgsql.NpgsqlConnection).Assembly.Location).Register(trigger: "{{hostTrigger}}");""",
            "ID", GearsFixture.Unique("npgsql"));
        Assert.Equal([typeof(Npgsql.NpgsqlConnection).Assembly.Location], Reply.Strings(await fixture.ValueAsync("RG.TRIGGER", hostTrigger)));
    }

    [Fact]
    public async Task ARequirementWithoutAVersionGetsTheLatestAndTheSessionRecordsWhichOne()
    {
        var (session, trigger) = (GearsFixture.Unique("latest"), GearsFixture.Unique("humanize"));

        await fixture.SubmitOkAsync(Humanizing(trigger), "ID", session, "REQUIREMENTS", "Humanizer.Core");

        var version = (await TriggerAsync(trigger)).Version;
        Assert.Matches(@"^\d+\.\d+\.\d+", version);
        var entry = Assert.Single(await fixture.SessionsAsync("SESSIONS", session));
        Assert.Equal([$"Humanizer.Core=={version}"], Reply.Strings(entry["requirements"]));
        // Stored with that version, so that a restart loads the same one even with a newer one out.
        var stored = await File.ReadAllTextAsync(Path.Combine(fixture.DataDir, "sessions", session + ".json"));
        Assert.Contains($"\"Humanizer.Core=={version}\"", stored);
    }

    [Fact]
    public async Task APackageThatCannotBeFoundIsAClearErrorNamingItAndNothingIsRegistered()
    {
        var session = GearsFixture.Unique("missing");
        const string code = """GB().ForEach(r => {}).Register(prefix: "missing:*");""";

        var reply = await fixture.SubmitAsync(code, "ID", session, "REQUIREMENTS", "SharpGears.NoSuchPackage.Anywhere==1.0.0");
        var directive = await fixture.SubmitAsync("#r \"nuget: SharpGears.NoSuchPackage.Anywhere, 1.0.0\"\n" + code, "ID", session);

        foreach (var error in new[] { reply, directive })
        {
            Assert.StartsWith("-ERR requirement SharpGears.NoSuchPackage.Anywhere==1.0.0 could not be restored: ", error);
            Assert.Contains("Unable to find package SharpGears.NoSuchPackage.Anywhere", error);
        }
        Assert.Empty(await fixture.SessionsAsync("SESSIONS", session));
        Assert.Empty(await fixture.RegistrationsOfAsync(session));
        Assert.Equal("+PONG\r\n", await fixture.CommandAsync("PING"));
        Assert.Equal("+OK\r\n", await fixture.SubmitAsync(code, "ID", session)); // and the id is free
    }

    [Fact]
    public async Task OnePackageInTwoVersionsInOneSessionIsRefusedBeforeAnythingIsRestored()
    {
        var session = GearsFixture.Unique("twice");

        var reply = await fixture.SubmitAsync(Humanizing(GearsFixture.Unique("humanize"), "#r \"nuget: Humanizer.Core, 2.14.1\""), "ID", session, "REQUIREMENTS", "Humanizer.Core==2.8.26");

        Assert.StartsWith("-ERR requirements Humanizer.Core==", reply);
        Assert.Contains("two versions", reply);
        Assert.Empty(await fixture.SessionsAsync("SESSIONS", session));
    }

    [Theory]
    [InlineData("#r \"/usr/lib/some.dll\"", "3:1: #r \"/usr/lib/some.dll\": only NuGet packages can be referenced")]
    [InlineData("#r \"nuget: Humanizer.Core, latest\"", "3:1: requirement 'nuget: Humanizer.Core, latest' has no exact version")]
    public async Task AReferenceThatNamesNoPackageIsACompileErrorAtItsLine(string directive, string error)
    {
        var session = GearsFixture.Unique("reference");

        var reply = await fixture.SubmitAsync($"// first\n// second\n{directive}\nvar x = 1;", "ID", session);

        Assert.StartsWith("-ERR compilation failed: ", reply);
        Assert.Contains(error, reply);
        Assert.Empty(await fixture.SessionsAsync("SESSIONS", session));
    }

    [Fact]
    public async Task RequirementsInRgDumpreqsAreOnePerPackageAndVersionWithTheirAssembliesAndSessions()
    {
        var (first, second, third) = (GearsFixture.Unique("dumpreqs"), GearsFixture.Unique("dumpreqs"), GearsFixture.Unique("dumpreqs"));
        await fixture.SubmitOkAsync(Humanizing(GearsFixture.Unique("humanize"), "#r \"nuget: Humanizer.Core, 2.14.1\""), "ID", first);
        await fixture.SubmitOkAsync(Humanizing(GearsFixture.Unique("humanize")), "ID", second, "REQUIREMENTS", "Humanizer.Core==2.14.1");
        await fixture.SubmitOkAsync(Humanizing(GearsFixture.Unique("humanize")), "ID", third, "REQUIREMENTS", "Humanizer.Core==2.8.26");

        var entries = Assert.IsType<object?[]>(await fixture.ValueAsync("RG.DUMPREQS")).Select(e => new Pairs(e)).ToList();

        Assert.All(entries, e => Assert.Equal(["Name", "Version", "IsInstalled", "Assemblies", "Sessions"], e.Names));
        var newer = Assert.Single(entries, e => e.Text("Name") == "Humanizer.Core" && e.Text("Version") == "2.14.1");
        var older = Assert.Single(entries, e => e.Text("Name") == "Humanizer.Core" && e.Text("Version") == "2.8.26");
        Assert.Equal("yes", newer.Text("IsInstalled"));
        Assert.Equal(["humanizer.core/2.14.1/lib/net6.0/Humanizer.dll"], Reply.Strings(newer["Assemblies"]));
        Assert.Equal(["humanizer.core/2.8.26/lib/netstandard2.0/Humanizer.dll"], Reply.Strings(older["Assemblies"]));
        Assert.Contains(first, Reply.Strings(newer["Sessions"]));
        Assert.Contains(second, Reply.Strings(newer["Sessions"]));
        Assert.DoesNotContain(third, Reply.Strings(newer["Sessions"]));
        Assert.Contains(third, Reply.Strings(older["Sessions"]));

        // A requirement no live session uses is not listed.
        Assert.Equal("+OK\r\n", await fixture.CommandAsync("RG.UNREGISTER", await fixture.RegistrationIdOfAsync(third)));
        var after = Assert.IsType<object?[]>(await fixture.ValueAsync("RG.DUMPREQS")).Select(e => new Pairs(e)).ToList();
        Assert.DoesNotContain(after, e => Reply.Strings(e["Sessions"]).Contains(third));
    }

    [Fact]
    public async Task ADependencysAssembliesAreListedWithTheRequirementThatBroughtIt()
    {
        var session = GearsFixture.Unique("closure");
        await fixture.SubmitOkAsync("""GB().ForEach(r => {}).Register(prefix: "closure:*");""", "ID", session, "REQUIREMENTS", "Npgsql==10.0.0");

        var entry = Assert.Single(
            Assert.IsType<object?[]>(await fixture.ValueAsync("RG.DUMPREQS")).Select(e => new Pairs(e)),
            e => Reply.Strings(e["Sessions"]).Contains(session));

        Assert.Equal(("Npgsql", "10.0.0"), (entry.Text("Name"), entry.Text("Version")));
        Assert.Equal(
            [
                "microsoft.extensions.dependencyinjection.abstractions/10.0.0/lib/net10.0/Microsoft.Extensions.DependencyInjection.Abstractions.dll",
                "microsoft.extensions.logging.abstractions/10.0.0/lib/net10.0/Microsoft.Extensions.Logging.Abstractions.dll",
                "npgsql/10.0.0/lib/net10.0/Npgsql.dll",
            ],
            Reply.Strings(entry["Assemblies"]));
    }

    [Fact]
    public async Task ForceReinstallRequirementsInstallsThePackagesAgain()
    {
        var (session, trigger) = (GearsFixture.Unique("reinstall"), GearsFixture.Unique("humanize"));
        await fixture.SubmitOkAsync(Humanizing(trigger), "ID", session, "REQUIREMENTS", "Humanizer.Core==2.14.1");
        var marker = Path.Combine(fixture.PackagesDir, "humanizer.core", "2.14.1", "left-by-the-test");
        await File.WriteAllTextAsync(marker, "");

        // The same set again: from the cache, as it is.
        await fixture.SubmitOkAsync(Humanizing(trigger), "ID", session, "UPGRADE", "REQUIREMENTS", "Humanizer.Core==2.14.1");
        Assert.True(File.Exists(marker));

        await fixture.SubmitOkAsync(Humanizing(trigger), "ID", session, "UPGRADE", "FORCE_REINSTALL_REQUIREMENTS", "REQUIREMENTS", "Humanizer.Core==2.14.1");
        Assert.False(File.Exists(marker)); // the package was extracted afresh
        var (text, version, _) = await TriggerAsync(trigger);
        Assert.Equal(("Some text", "2.14.1"), (text, version));
    }
}
