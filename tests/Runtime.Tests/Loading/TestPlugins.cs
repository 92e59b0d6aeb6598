using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Emit;
using Microsoft.CodeAnalysis.Text;
using SharpGears.Runtime.Scripting;

namespace SharpGears.Runtime.Tests.Loading;

/// <summary>
/// Plugin assemblies for tests, compiled in this process with Roslyn against the Api the gateway runs:
/// milliseconds each, where a dotnet build takes seconds. Nothing of them is loaded here, so the
/// tests hold no reference to a plugin's code.
/// </summary>
internal static class TestPlugins
{
    /// <summary>A plugin whose <c>RG.TRIGGER <paramref name="trigger"/></c> answers <paramref name="version"/>: which code runs shows.</summary>
    public static string Trigger(string trigger, string version) => $$"""
        using SharpGears.Api;

        public sealed class Plugin : IGearsPlugin
        {
            public void Register(IGears gears) =>
                gears.GB(Readers.Command).Map(call => "{{version}}").Register(trigger: "{{trigger}}");
        }
        """;

    /// <summary>
    /// Compiles <paramref name="source"/> (a file named <paramref name="assemblyName"/>.cs) into the
    /// assembly <paramref name="assemblyName"/>; the DLL and its PDB.
    /// </summary>
    public static (byte[] Assembly, byte[] Symbols) Compile(string assemblyName, string source, params MetadataReference[] references)
    {
        var tree = CSharpSyntaxTree.ParseText(SourceText.From(source, Encoding.UTF8), new CSharpParseOptions(LanguageVersion.Latest), path: assemblyName + ".cs");
        var compilation = CSharpCompilation.Create(
            assemblyName,
            [tree],
            [.. ScriptReferences.Default.References, .. references],
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, deterministic: true, nullableContextOptions: NullableContextOptions.Enable));
        using var assembly = new MemoryStream();
        using var symbols = new MemoryStream();
        var emitted = compilation.Emit(assembly, symbols, options: new EmitOptions(debugInformationFormat: DebugInformationFormat.PortablePdb));
        Assert.True(emitted.Success, string.Join("\n", emitted.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error)));
        return (assembly.ToArray(), symbols.ToArray());
    }

    /// <summary>Compiles <paramref name="source"/> into <paramref name="path"/> (the assembly named after the file) and its .pdb beside it.</summary>
    public static byte[] Write(string path, string source, params MetadataReference[] references)
    {
        var (assembly, symbols) = Compile(Path.GetFileNameWithoutExtension(path), source, references);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(Path.ChangeExtension(path, ".pdb"), symbols);
        File.WriteAllBytes(path, assembly);
        return assembly;
    }
}
