using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using SharpGears.Runtime.Loading;
using SharpGears.Runtime.Tests.Engine;

namespace SharpGears.Runtime.Tests.Loading;

/// <summary>
/// The --plugins folder: every assembly there with a public IGearsPlugin class is a session named after
/// the assembly, in a collectible load context of its own; a replaced DLL reloads, a removed one
/// unloads (and its context is collected), and one that fails to load is reported while the others
/// and the gateway go on. The plugins are compiled here with Roslyn (see <see cref="TestPlugins"/>).
/// </summary>
public sealed class PluginFolderTests() : RedisAndFolderTest("sharpgears-plugins-")
{
    private string _plugins = null!;
    private GatewayHost? _gateway;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        _plugins = ConfinedPath.Real(Directory.CreateDirectory(Path.Combine(Folder, "plugins")).FullName);
    }

    public override async Task DisposeAsync()
    {
        if (_gateway is not null)
        {
            await _gateway.DisposeAsync();
        }
        await base.DisposeAsync();
    }

    private async Task<RawClient> StartAsync()
    {
        // A short quiet time: the tests wait for conditions, not for the watcher.
        _gateway = await GatewayHost.StartAsync(Redis, "--plugins", _plugins, "--SharpGears:ReloadDelay=50");
        return await _gateway.ConnectAsync();
    }

    private string PluginPath(string name) => Path.Combine(_plugins, name + ".dll");

    [Fact]
    public async Task APluginInTheFolderAtStartIsASessionNamedAfterItsAssembly()
    {
        TestPlugins.Write(PluginPath("Greeter"), TestPlugins.Trigger("greet", "hello from v1"));
        await using var client = await StartAsync();

        // Loaded before the gateway serves: no waiting.
        Assert.Equal(Frames.Array(Frames.Bulk("hello from v1")), await client.CommandAsync("RG.TRIGGER", "greet"));
        var session = Assert.Single(await PluginSessionsAsync(client));
        Assert.Equal("Greeter", session.Id);
        Assert.Equal(PluginPath("Greeter"), session.Origin);
        Assert.Null(session.LastError);
        var registration = Assert.Single(await Gears.RegistrationsAsync(client));
        Assert.Equal("Greeter", registration.SessionId);
        Assert.IsType<PluginLoadContext>(LoadContextOf("Greeter").Target);
    }

    [Fact]
    public async Task APluginDroppedIntoTheFolderWhileTheGatewayRunsLoads()
    {
        await using var client = await StartAsync();
        Assert.StartsWith("-", await client.CommandAsync("RG.TRIGGER", "dropped"));

        TestPlugins.Write(PluginPath("Dropped"), TestPlugins.Trigger("dropped", "here"));

        await WaitForTriggerAsync(client, "dropped", "here");
        Assert.Equal("Dropped", Assert.Single(await PluginSessionsAsync(client)).Id);
    }

    [Fact]
    public async Task AReplacedPluginRunsItsNewVersionOnlyAndItsFilesAreNeitherOpenNorMapped()
    {
        var path = PluginPath("Versioned");
        TestPlugins.Write(path, TestPlugins.Trigger("version", "v1"));
        await using var client = await StartAsync();
        await WaitForTriggerAsync(client, "version", "v1");
        var first = LoadContextOf("Versioned");

        // The loaded plugin holds no file: on Linux a locked file shows as an open descriptor or a mapping.
        Assert.Empty(OpenOrMapped(_plugins));
        TestPlugins.Write(path, TestPlugins.Trigger("version", "v2"));

        await WaitForTriggerAsync(client, "version", "v2");
        Assert.Equal("Versioned", Assert.Single(await Gears.RegistrationsAsync(client)).SessionId);
        Assert.Null(Assert.Single(await PluginSessionsAsync(client)).LastError);
        Assert.NotSame(first.Target, LoadContextOf("Versioned").Target);
        await WaitUntilCollectedAsync(first, "the replaced version's load context");
        Assert.Empty(OpenOrMapped(_plugins));
        File.Delete(path); // nothing stands in the way
    }

    [Fact]
    public async Task ARemovedPluginEndsItsSessionAndItsLoadContextIsCollected()
    {
        var path = PluginPath("Removed");
        TestPlugins.Write(path, TestPlugins.Trigger("removed", "loaded"));
        await using var client = await StartAsync();
        await WaitForTriggerAsync(client, "removed", "loaded");
        var context = LoadContextOf("Removed");

        File.Delete(path);

        await Wait.UntilAsync(async () => (await PluginSessionsAsync(client)).Count == 0, "the session of the removed plugin ends");
        Assert.Empty(await Gears.RegistrationsAsync(client));
        Assert.StartsWith("-", await client.CommandAsync("RG.TRIGGER", "removed"));
        await WaitUntilCollectedAsync(context, "the removed plugin's load context");
    }

    [Fact]
    public async Task APluginWhoseRegisterThrowsIsReportedWhileTheOthersLoadAndItsFixedVersionLoadsLater()
    {
        var path = PluginPath("Throwing");
        TestPlugins.Write(path, """
            using SharpGears.Api;

            public sealed class Plugin : IGearsPlugin
            {
                public void Register(IGears gears)
                {
                    throw new System.InvalidOperationException("no connection string configured");
                }
            }
            """);
        TestPlugins.Write(PluginPath("Healthy"), TestPlugins.Trigger("healthy", "fine"));
        await using var client = await StartAsync();

        Assert.Equal(Frames.Array(Frames.Bulk("fine")), await client.CommandAsync("RG.TRIGGER", "healthy"));
        var failed = (await PluginSessionsAsync(client)).Single(s => s.Id == "Throwing");
        Assert.Equal(path, failed.Origin);
        Assert.Empty(failed.Registrations);
        // The plugin's own exception and line, read from its .pdb.
        Assert.Equal("InvalidOperationException: no connection string configured (at Throwing.cs:line 7)", failed.LastError);
        Assert.Equal("+PONG\r\n", await client.CommandAsync("PING"));
        await WaitUntilNoDeadSessionAsync(client, "Throwing"); // the failed load left nothing in memory

        TestPlugins.Write(path, TestPlugins.Trigger("throwing", "fixed"));

        await WaitForTriggerAsync(client, "throwing", "fixed");
        Assert.Null((await PluginSessionsAsync(client)).Single(s => s.Id == "Throwing").LastError);
    }

    [Fact]
    public async Task PluginsThatFailToLoadAreLoggedAndTheGatewayStartsAndServes()
    {
        TestPlugins.Write(PluginPath("Failing"), """
            public sealed class Plugin : SharpGears.Api.IGearsPlugin
            {
                public void Register(SharpGears.Api.IGears gears) => throw new System.InvalidOperationException("cannot start");
            }
            """);
        await File.WriteAllTextAsync(PluginPath("Garbage"), "not an assembly at all");
        var data = Directory.CreateTempSubdirectory("sharpgears-data-").FullName;
        try
        {
            // The executable, as a user runs it: its log is what the user sees.
            await using var gateway = await GatewayProcess.StartAsync("--backend", Redis.Url, "--plugins", _plugins, "--data-dir", data);
            await using var client = await RawClient.ConnectAsync(gateway.Port);

            Assert.Equal("+OK\r\n", await client.CommandAsync("SET", "still", "serving"));
            // The console logger writes from a queue of its own: the lines come when they come.
            string[] expected =
            [
                $"{PluginPath("Failing")} was not loaded, and what it loaded before stays: InvalidOperationException: cannot start (at Failing.cs:line 3)",
                $"{PluginPath("Garbage")} was not loaded, and what it loaded before stays: Garbage.dll is not a .NET assembly",
            ];
            await Wait.UntilAsync(() => expected.All(line => gateway.Output.Contains(line, StringComparison.Ordinal)), "the log names both failures");
            Assert.Equal(new[] { "Failing", "Garbage" }, (await PluginSessionsAsync(client)).Where(s => s.LastError is not null).Select(s => s.Id));
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    [Theory]
    [InlineData("Copied", "Copied")]
    [InlineData("Renamed", "Inner")]
    public async Task AHalfWrittenPluginIsReportedAndItsPreviousVersionRunsUntilTheWholeFileIsThere(string file, string assembly)
    {
        var path = PluginPath(file);
        await File.WriteAllBytesAsync(path, TestPlugins.Compile(assembly, TestPlugins.Trigger("copied", "v1")).Assembly);
        await using var client = await StartAsync();
        await WaitForTriggerAsync(client, "copied", "v1");
        var (whole, _) = TestPlugins.Compile(assembly, TestPlugins.Trigger("copied", "v2"));

        await File.WriteAllBytesAsync(path, whole[..(whole.Length / 2)]); // a copy caught half way

        // Reported under the session it loaded as (the assembly's name, whatever the file's).
        var failure = await WaitForLastErrorAsync(client, assembly);
        Assert.Contains($"{file}.dll is not a .NET assembly, or not all of it is written yet", failure);
        Assert.Equal(Frames.Array(Frames.Bulk("v1")), await client.CommandAsync("RG.TRIGGER", "copied"));

        await File.WriteAllBytesAsync(path, whole); // the copy finishes

        await WaitForTriggerAsync(client, "copied", "v2");
        Assert.Null(Assert.Single(await PluginSessionsAsync(client)).LastError);
    }

    [Fact]
    public async Task AnAssemblyWithoutAPluginClassIsReportedAndADependencyIsNoSession()
    {
        var path = PluginPath("NoPlugin");
        // It references the Api (so it looks like a plugin) but implements nothing.
        TestPlugins.Write(path, """
            public static class Helpers
            {
                public static SharpGears.Api.ExecutionMode Mode => SharpGears.Api.ExecutionMode.Sync;
            }
            """);
        TestPlugins.Write(PluginPath("PlainLibrary"), "public static class Numbers { public static int Two => 2; }");
        await using var client = await StartAsync();

        var session = Assert.Single(await PluginSessionsAsync(client));
        Assert.Equal("NoPlugin", session.Id);
        Assert.Equal("NoPlugin has no public class implementing SharpGears.Api.IGearsPlugin", session.LastError);
        Assert.Empty(await Gears.RegistrationsAsync(client));
    }

    [Fact]
    public async Task PluginsInSubfoldersOfTheirOwnEachLoadTheirOwnVersionOfADependency()
    {
        // Two plugins, each published with its own copy of Shared, in two versions.
        var sharedV1 = WriteShared(Path.Combine(_plugins, "First", "Shared.dll"), version: "1", text: "Shared 1");
        var sharedV2 = WriteShared(Path.Combine(_plugins, "Second", "Shared.dll"), version: "2", text: "Shared 2");
        TestPlugins.Write(Path.Combine(_plugins, "First", "First.dll"), UsesShared("first"), MetadataReference.CreateFromImage(sharedV1));
        TestPlugins.Write(Path.Combine(_plugins, "Second", "Second.dll"), UsesShared("second"), MetadataReference.CreateFromImage(sharedV2));

        await using var client = await StartAsync();

        Assert.Equal(Frames.Array(Frames.Bulk("Shared 1")), await client.CommandAsync("RG.TRIGGER", "first"));
        Assert.Equal(Frames.Array(Frames.Bulk("Shared 2")), await client.CommandAsync("RG.TRIGGER", "second"));
        Assert.Equal(new[] { "First", "Second" }, (await PluginSessionsAsync(client)).Select(s => s.Id));
    }

    [Fact]
    public async Task ADependencyReplacedInAPluginsSubfolderReloadsThePlugin()
    {
        var shared = WriteShared(Path.Combine(_plugins, "Dependent", "Shared.dll"), version: "1", text: "first build");
        TestPlugins.Write(Path.Combine(_plugins, "Dependent", "Dependent.dll"), UsesShared("dependent"), MetadataReference.CreateFromImage(shared));
        await using var client = await StartAsync();
        Assert.Equal(Frames.Array(Frames.Bulk("first build")), await client.CommandAsync("RG.TRIGGER", "dependent"));

        // The plugin's own DLL stays as it is.
        WriteShared(Path.Combine(_plugins, "Dependent", "Shared.dll"), version: "1", text: "second build");

        await WaitForTriggerAsync(client, "dependent", "second build");
    }

    private static byte[] WriteShared(string path, string version, string text) => TestPlugins.Write(path, $$"""
        [assembly: System.Reflection.AssemblyVersion("{{version}}.0.0.0")]
        public static class SharedText
        {
            public static string Version => "{{text}}";
        }
        """);

    private static string UsesShared(string trigger) => $$"""
        using SharpGears.Api;

        public sealed class Plugin : IGearsPlugin
        {
            public void Register(IGears gears) =>
                gears.GB(Readers.Command).Map(call => SharedText.Version).Register(trigger: "{{trigger}}");
        }
        """;

    [Fact]
    public async Task APluginsOwnCopyOfALibraryTheGatewayAlsoHasIsTheOneItUses()
    {
        // The gateway has StackExchange.Redis; this plugin ships an assembly of that name and version of its own.
        var hostVersion = typeof(StackExchange.Redis.ConnectionMultiplexer).Assembly.GetName().Version!;
        var own = TestPlugins.Write(Path.Combine(_plugins, "OwnCopy", "StackExchange.Redis.dll"), $$"""
            [assembly: System.Reflection.AssemblyVersion("{{hostVersion}}")]
            public static class OnlyInThePluginsCopy
            {
                public static string Text => "the plugin's own copy";
            }
            """);
        TestPlugins.Write(Path.Combine(_plugins, "OwnCopy", "OwnCopy.dll"), """
            using SharpGears.Api;

            public sealed class Plugin : IGearsPlugin
            {
                public void Register(IGears gears) =>
                    gears.GB(Readers.Command).Map(call => OnlyInThePluginsCopy.Text).Register(trigger: "own-copy");
            }
            """, MetadataReference.CreateFromImage(own));

        await using var client = await StartAsync();

        Assert.Equal(Frames.Array(Frames.Bulk("the plugin's own copy")), await client.CommandAsync("RG.TRIGGER", "own-copy"));
    }

    [Fact]
    public async Task APluginLinkedFromOutsideTheFolderIsIgnored()
    {
        var outside = Directory.CreateTempSubdirectory("sharpgears-outside-").FullName;
        try
        {
            TestPlugins.Write(Path.Combine(outside, "Outsider.dll"), TestPlugins.Trigger("outsider", "in"));
            File.CreateSymbolicLink(PluginPath("Outsider"), Path.Combine(outside, "Outsider.dll"));
            TestPlugins.Write(PluginPath("Insider"), TestPlugins.Trigger("insider", "in"));

            await using var client = await StartAsync();

            Assert.Equal("Insider", Assert.Single(await PluginSessionsAsync(client)).Id);
            Assert.StartsWith("-", await client.CommandAsync("RG.TRIGGER", "outsider"));
        }
        finally
        {
            Directory.Delete(outside, recursive: true);
        }
    }

    private static async Task WaitForTriggerAsync(RawClient client, string trigger, string reply)
    {
        var expected = Frames.Array(Frames.Bulk(reply));
        var last = "";
        try
        {
            await Wait.UntilAsync(async () => (last = await client.CommandAsync("RG.TRIGGER", trigger)) == expected, $"RG.TRIGGER {trigger} answers {reply}");
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}; it answers {last.TrimEnd()}", e);
        }
    }

    private static async Task<string> WaitForLastErrorAsync(RawClient client, string id)
    {
        string? error = null;
        await Wait.UntilAsync(async () => (error = (await PluginSessionsAsync(client)).SingleOrDefault(s => s.Id == id)?.LastError) is not null, $"session {id} shows a load failure");
        return error!;
    }

    /// <summary>RG.DUMPSESSIONS with SharpGears' own fields: where the code comes from, and why its last version did not load.</summary>
    private static async Task<List<PluginSession>> PluginSessionsAsync(RawClient client) =>
        [.. ((object?[])Gears.Parse(await client.CommandAsync("RG.DUMPSESSIONS"))!).Select(e =>
        {
            var entry = Gears.Pairs((object?[])e!);
            return new PluginSession((string)entry["ID"]!, (string?)entry["origin"], (string?)entry["lastError"], [.. ((object?[])entry["registrations"]!).Cast<string>()]);
        })];

    private sealed record PluginSession(string Id, string? Origin, string? LastError, IReadOnlyList<string> Registrations);

    // Not inlined, and no Session kept in the caller's async state: the test holds the context only weakly.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private WeakReference LoadContextOf(string id) => _gateway!.Engine.Sessions.Single(s => s.Id == id).Code.LoadContextReference;

    private static Task WaitUntilCollectedAsync(WeakReference context, string what) =>
        Wait.UntilAsync(() =>
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            return !context.IsAlive;
        }, $"{what} is collected");

    // RG.DUMPSESSIONS DEAD lists the sessions whose code is still in memory, a failed load's too.
    private static Task WaitUntilNoDeadSessionAsync(RawClient client, string id) =>
        Wait.UntilAsync(async () =>
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            return (await Gears.SessionsAsync(client, "DEAD")).All(s => s.Id != id);
        }, $"the load context of {id}'s failed load is collected");

    /// <summary>Files under <paramref name="folder"/> that this process has open or mapped into memory.</summary>
    private static List<string> OpenOrMapped(string folder)
    {
        var prefix = folder + Path.DirectorySeparatorChar;
        var open = new DirectoryInfo("/proc/self/fd").EnumerateFileSystemInfos()
            .Select(descriptor =>
            {
                try
                {
                    return descriptor.LinkTarget;
                }
                catch (IOException)
                {
                    return null; // closed since it was listed
                }
            })
            .OfType<string>();
        var mapped = File.ReadLines("/proc/self/maps").Select(line => line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries)).Where(fields => fields.Length == 6).Select(fields => fields[5].Trim());
        return [.. open.Concat(mapped).Where(path => path.StartsWith(prefix, StringComparison.Ordinal)).Distinct()];
    }
}
