using System.Reflection;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Emit;
using Microsoft.CodeAnalysis.Text;
using SharpGears.Api;

namespace SharpGears.Runtime.Scripting;

/// <summary>
/// Compiles C# script code (top-level statements, as a .csx) with Roslyn and loads it into a
/// collectible context of its own. Not CSharpScript.RunAsync: that loads every script into a context
/// that is never unloaded, so memory grows with every submission (DESIGN.md).
/// </summary>
internal sealed class ScriptCompiler
{
    private static readonly CSharpParseOptions s_parseOptions = new(LanguageVersion.Latest, kind: SourceCodeKind.Script);
    private static readonly EmitOptions s_emitOptions = new(debugInformationFormat: DebugInformationFormat.PortablePdb);
    private readonly ScriptReferences _references = ScriptReferences.Default;
    private readonly CSharpCompilationOptions _options;
    private long _compilations;

    public ScriptCompiler()
    {
        _options = new CSharpCompilationOptions(
            OutputKind.DynamicallyLinkedLibrary,
            usings: _references.Imports,
            optimizationLevel: OptimizationLevel.Release,
            nullableContextOptions: NullableContextOptions.Disable);
    }

    /// <summary>
    /// Compiles <paramref name="code"/>; <paramref name="name"/> names the session in stack traces and
    /// errors. Code read from the file <paramref name="path"/> may <c>#load</c> other files of its
    /// folder. Throws <see cref="ScriptCompilationException"/> listing every error.
    /// </summary>
    public CompiledScript Compile(string code, string name, string? path = null)
    {
        // With its encoding, the text can go into the PDB, which gives exceptions their script lines.
        var tree = CSharpSyntaxTree.ParseText(SourceText.From(code, Encoding.UTF8), s_parseOptions, path: path ?? name + ".csx");
        var options = path is null ? _options : _options.WithSourceReferenceResolver(new FolderSourceResolver(Path.GetDirectoryName(Path.GetFullPath(path))!));
        var compilation = CSharpCompilation.CreateScriptCompilation(
            $"sharpgears-{name}-{Interlocked.Increment(ref _compilations)}",
            tree,
            _references.References,
            options,
            returnType: typeof(object),
            globalsType: typeof(IGears));

        var rewritten = StepTailExecutes.Rewrite(compilation, tree);
        if (rewritten != tree)
        {
            compilation = compilation.ReplaceSyntaxTree(tree, rewritten);
        }

        using var assembly = new MemoryStream();
        using var symbols = new MemoryStream();
        var emitted = compilation.Emit(assembly, symbols, options: s_emitOptions);
        if (!emitted.Success)
        {
            // Errors are reported against the code as written: the rewrite moves columns on its lines.
            var diagnostics = rewritten == tree ? emitted.Diagnostics : compilation.ReplaceSyntaxTree(rewritten, tree).GetDiagnostics();
            var errors = diagnostics
                .Where(d => d.Severity == DiagnosticSeverity.Error)
                .Select(d => Describe(d, tree.FilePath))
                .ToList();
            throw new ScriptCompilationException($"compilation failed: {string.Join("; ", errors)}", errors);
        }
        assembly.Position = 0;
        symbols.Position = 0;

        var context = new ScriptLoadContext(name);
        var loaded = context.LoadFromStream(assembly, symbols); // with its PDB: exceptions carry script lines
        var entry = compilation.GetEntryPoint(CancellationToken.None)!;
        var typeName = entry.ContainingNamespace.IsGlobalNamespace
            ? entry.ContainingType.MetadataName
            : $"{entry.ContainingNamespace.ToDisplayString()}.{entry.ContainingType.MetadataName}";
        var factory = loaded.GetType(typeName, throwOnError: true)!
            .GetMethod(entry.MetadataName, BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static)!;
        return new CompiledScript(context, factory.CreateDelegate<Func<object[], Task<object>>>());
    }

    // line:column: id: message; prefixed with the file's name when the error is in a #load-ed file.
    private static string Describe(Diagnostic diagnostic, string mainFile)
    {
        var span = diagnostic.Location.GetLineSpan();
        var file = span.IsValid && span.Path != mainFile ? Path.GetFileName(span.Path) + ":" : "";
        var position = span.StartLinePosition;
        return $"{file}{position.Line + 1}:{position.Character + 1}: {diagnostic.Id}: {diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture)}";
    }
}
