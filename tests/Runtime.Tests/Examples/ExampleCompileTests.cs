using SharpGears.Runtime.Scripting;

namespace SharpGears.Runtime.Tests.Examples;

/// <summary>
/// Every script under scripts/examples compiles against the Api as it is now, so that a change to the
/// Api that breaks an example fails here, by name, before a user copies it. (Running them is the
/// business of <see cref="ExampleScriptTests"/> and <see cref="StreamExampleTests"/>, which cover every
/// example: <see cref="ExampleScriptTests.EveryExampleHasATestAndALineInTheReadme"/>.)
/// </summary>
public sealed class ExampleCompileTests
{
    private static readonly ScriptCompiler s_compiler = new();

    private static string Folder => Path.Combine(ExampleScriptTests.Servers.RepositoryRoot, "scripts", "examples");

    public static TheoryData<string> Examples() =>
        [.. Directory.GetFiles(Folder, "*.csx", SearchOption.AllDirectories).Select(path => Path.GetRelativePath(Folder, path)).Order(StringComparer.Ordinal)];

    [Theory]
    [MemberData(nameof(Examples))]
    public void TheExampleCompiles(string example)
    {
        var path = Path.Combine(Folder, example);

        // Compiled as a file of a --scripts folder is (a #load beside it resolves); errors throw with their lines.
        using var script = s_compiler.Compile(File.ReadAllText(path), Path.GetFileNameWithoutExtension(path), path);
    }
}
