using SharpGears.Api;

namespace SharpGears.Runtime.Scripting.Requirements;

/// <summary>
/// Finds the <c>dotnet</c> that restores packages: DOTNET_HOST_PATH (set when the host itself was
/// started by the dotnet CLI), the one the running runtime belongs to, DOTNET_ROOT, then PATH; the
/// first one with an SDK beside it. The runtime alone cannot restore: requirements need the SDK.
/// </summary>
internal static class DotnetSdk
{
    private static readonly string s_executable = OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet";

    /// <summary>The path of a dotnet with an SDK; a <see cref="GearsException"/> saying so when there is none.</summary>
    public static string Find()
    {
        var candidates = new[]
            {
                Environment.GetEnvironmentVariable("DOTNET_HOST_PATH"),
                Path.Combine(HostAssemblies.DotnetRoot, s_executable),
                Environment.GetEnvironmentVariable("DOTNET_ROOT") is { Length: > 0 } root ? Path.Combine(root, s_executable) : null,
            }
            .Concat((Environment.GetEnvironmentVariable("PATH") ?? "")
                .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
                .Select(folder => Path.Combine(folder, s_executable)))
            .OfType<string>()
            .Where(File.Exists)
            .ToList();
        return candidates.FirstOrDefault(HasSdk)
            ?? throw new GearsException(
                "NuGet requirements need the .NET SDK (they are restored with `dotnet restore`), and no dotnet with an SDK was found "
                + (candidates.Count == 0 ? "(none on DOTNET_HOST_PATH, DOTNET_ROOT or PATH, nor beside the running runtime)" : $"({string.Join(", ", candidates)} have only runtimes)")
                + $": install the .NET {Environment.Version.Major} SDK");
    }

    // /usr/bin/dotnet is often a link into the installation, whose sdk folder says whether an SDK is there.
    private static bool HasSdk(string dotnet)
    {
        var real = new FileInfo(dotnet).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? dotnet;
        var sdks = Path.Combine(Path.GetDirectoryName(real)!, "sdk");
        return Directory.Exists(sdks) && Directory.EnumerateDirectories(sdks).Any();
    }
}
