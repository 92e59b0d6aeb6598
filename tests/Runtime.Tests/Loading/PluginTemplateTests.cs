using SharpGears.Api;
using SharpGears.Runtime.Tests.Engine;

namespace SharpGears.Runtime.Tests.Loading;

/// <summary>
/// samples/plugin-template, as a user takes it: copied out of the repository, built with dotnet build
/// against the SharpGears.Api.dll of the gateway, and its output copied into the --plugins folder of
/// a running gateway (the executable). Its registration then works, with its private dependency
/// (Humanizer, which the gateway does not have) loaded from the plugin's own folder through its
/// .deps.json.
/// </summary>
public sealed class PluginTemplateTests() : RedisAndFolderTest("sharpgears-template-")
{
    [Fact]
    public async Task TheTemplateBuildsAndItsPluginRunsInARunningGatewayWithItsOwnDependency()
    {
        Assert.False(File.Exists(Path.Combine(AppContext.BaseDirectory, "Humanizer.dll")), "the gateway must not have the plugin's dependency itself");
        var output = await BuildTemplateAsync();
        Assert.True(File.Exists(Path.Combine(output, "Humanizer.dll")), "the build copies the plugin's dependency beside it");
        Assert.False(File.Exists(Path.Combine(output, "SharpGears.Api.dll")), "the Api is the gateway's, not copied beside the plugin");
        var plugins = Path.Combine(Folder, "plugins");
        await using var gateway = await GatewayProcess.StartAsync(
            "--backend", Redis.Url, "--plugins", plugins, "--data-dir", Path.Combine(Folder, "data"), "--SharpGears:ReloadDelay=50");
        await using var client = await RawClient.ConnectAsync(gateway.Port);

        // As cp -r would: file by file, into a subfolder named after the plugin.
        var folder = Directory.CreateDirectory(Path.Combine(plugins, "StatusText")).FullName;
        foreach (var file in Directory.GetFiles(output))
        {
            File.Copy(file, Path.Combine(folder, Path.GetFileName(file)));
        }

        await Wait.UntilAsync(async () => (await Gears.SessionsAsync(client)).Any(s => s.Id == "StatusText" && s.Registrations.Count == 1), "the plugin's session is there");
        await Gears.WaitUntilListeningAsync(Redis.DirectAsync);
        Assert.Equal("+OK\r\n", await client.CommandAsync("SET", "status:order:7", "payment_overdue"));
        try
        {
            await Wait.UntilAsync(async () => await Redis.DirectAsync("GET", "status-text:order:7") == Frames.Bulk("Payment overdue"), "the plugin writes the status' text");
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}; its registration: {Assert.Single(await Gears.RegistrationsAsync(client))}; the gateway's log:\n{gateway.Output}", e);
        }
        var registration = Assert.Single(await Gears.RegistrationsAsync(client));
        Assert.Equal((0L, 1L), (registration.Failures, registration.Success));
    }

    // Copies the template's sources (not any bin/ or obj/ of a build in the repository) and builds them
    // where no Directory.Build.props of the repository applies: the template stands on its own.
    private async Task<string> BuildTemplateAsync()
    {
        var template = Path.Combine(RepositoryRoot(), "samples", "plugin-template");
        var project = Directory.CreateDirectory(Path.Combine(Folder, "StatusText")).FullName;
        foreach (var file in Directory.GetFiles(template).Where(f => f.EndsWith(".cs", StringComparison.Ordinal) || f.EndsWith(".csproj", StringComparison.Ordinal)))
        {
            File.Copy(file, Path.Combine(project, Path.GetFileName(file)));
        }
        var output = Path.Combine(Folder, "out");
        var api = typeof(IGearsPlugin).Assembly.Location;
        // No build servers: nothing of the build outlives the test.
        var build = await ChildProcess.RunAsync(
            "dotnet", ["build", project, "-c", "Release", "-o", output, $"-p:SharpGearsApi={api}", "--disable-build-servers", "-nologo"],
            timeout: TimeSpan.FromMinutes(3));
        Assert.True(build.ExitCode == 0, $"dotnet build of the template failed:\n{build.Output}");
        return output;
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Runtime.sln")))
            {
                return directory.FullName;
            }
        }
        throw new InvalidOperationException($"no Runtime.sln above {AppContext.BaseDirectory}");
    }
}
