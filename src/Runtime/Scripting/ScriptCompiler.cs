using System.Reflection;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Emit;
using Microsoft.CodeAnalysis.Text;
using SharpGears.Api;
using SharpGears.Runtime.Scripting.Requirements;

namespace SharpGears.Runtime.Scripting;

/// <summary>
/// Compiles C# script code (top-level statements, as a .csx) with Roslyn and loads it into a
/// collectible context of its own. Not CSharpScript.RunAsync: that loads every script into a context
/// that is never unloaded, so memory grows with every submission (DESIGN.md). NuGet requirements (its
/// <c>#r "nuget: ..."</c> lines and REQUIREMENTS) are restored by <paramref name="restorer"/> first,
/// and the script compiles against, and its context loads, the packages' assemblies.
/// </summary>
internal sealed class ScriptCompiler(PackageRestorer? restorer = null)
{
    private static readonly CSharpParseOptions s_parseOptions = new(LanguageVersion.Latest, kind: SourceCodeKind.Script);
    private static readonly EmitOptions s_emitOptions = new(debugInformationFormat: DebugInformationFormat.PortablePdb);
    private readonly ScriptReferences _references = ScriptReferences.Default;
    private readonly CSharpCompilationOptions _options = new(
        OutputKind.DynamicallyLinkedLibrary,
        usings: ScriptReferences.Default.Imports,
        optimizationLevel: OptimizationLevel.Release,
        nullableContextOptions: NullableContextOptions.Disable);
    // Package assemblies read once, as the default references are: reading metadata is most of a cold
    // compile, and the same objects let Roslyn reuse what it built from them.
    private readonly ConcurrentDictionary<string, PortableExecutableReference> _packageReferences = new();
    private long _compilations;

    /// <summary>Compiles code that needs no requirements (tests, benchmarks); see <see cref="CompileAsync"/>.</summary>
    public CompiledScript Compile(string code, string name, string? path = null) =>
        CompileAsync(code, name, path, [], reinstallRequirements: false).GetAwaiter().GetResult(); // nothing to restore: completes at once

    /// <summary>
    /// Compiles <paramref name="code"/>; <paramref name="name"/> names the session in stack traces and
    /// errors. Code read from the file <paramref name="path"/> may <c>#load</c> other files of its
    /// folder. Its <c>#r "nuget: ..."</c> lines and <paramref name="requirements"/> are restored first
    /// (again with <paramref name="reinstallRequirements"/>). Throws <see cref="ScriptCompilationException"/>
    /// listing every error, or a <see cref="GearsException"/> for requirements that cannot be restored.
    /// </summary>
    public async Task<CompiledScript> CompileAsync(
        string code, string name, string? path, IReadOnlyList<PackageRequirement> requirements, bool reinstallRequirements, CancellationToken cancellation = default)
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

        // The #r lines of the #load-ed files count too: the compilation has their trees.
        var (directives, refused) = ReferenceDirectives.Read(compilation);
        if (refused.Count > 0)
        {
            var errors = refused.Select(r => Describe(r.Location, r.Error, tree.FilePath)).ToList();
            throw new ScriptCompilationException($"compilation failed: {string.Join("; ", errors)}", errors);
        }
        var set = RequirementSet.Of(requirements.Concat(directives));
        var packages = RestoredPackages.None;
        if (!set.IsEmpty)
        {
            packages = await (restorer ?? throw new GearsException("NuGet requirements cannot be restored here")).RestoreAsync(set, reinstallRequirements, cancellation);
            compilation = WithPackages(compilation, packages);
        }
        return Emit(compilation, tree, name, packages);
    }

    // The packages' assemblies join the references, in place of the defaults of the same names; #r lines
    // resolve to them.
    private CSharpCompilation WithPackages(CSharpCompilation compilation, RestoredPackages packages)
    {
        var references = packages.CompileAssemblies.ToDictionary(path => path, path => _packageReferences.GetOrAdd(path, p => MetadataReference.CreateFromFile(p)));
        var replaced = references.Keys.Select(Path.GetFileNameWithoutExtension).ToHashSet()!;
        return compilation
            .WithReferences(_references.Except(replaced!).Concat(references.Values))
            .WithOptions(compilation.Options.WithMetadataReferenceResolver(new PackageReferenceResolver(packages, references, (PortableExecutableReference)_references.References[0])));
    }

    private static CompiledScript Emit(CSharpCompilation compilation, SyntaxTree tree, string name, RestoredPackages packages)
    {
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
                .Select(d => Describe(d.Location, $"{d.Id}: {d.GetMessage(System.Globalization.CultureInfo.InvariantCulture)}", tree.FilePath))
                .ToList();
            throw new ScriptCompilationException($"compilation failed: {string.Join("; ", errors)}", errors);
        }
        assembly.Position = 0;
        symbols.Position = 0;

        var context = new ScriptLoadContext(name, packages.RuntimeAssemblies);
        var loaded = context.LoadFromStream(assembly, symbols); // with its PDB: exceptions carry script lines
        var entry = compilation.GetEntryPoint(CancellationToken.None)!;
        var typeName = entry.ContainingNamespace.IsGlobalNamespace
            ? entry.ContainingType.MetadataName
            : $"{entry.ContainingNamespace.ToDisplayString()}.{entry.ContainingType.MetadataName}";
        var factory = loaded.GetType(typeName, throwOnError: true)!
            .GetMethod(entry.MetadataName, BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static)!;
        return new CompiledScript(context, factory.CreateDelegate<Func<object[], Task<object>>>(), packages);
    }

    // line:column: id: message; prefixed with the file's name when the error is in a #load-ed file.
    private static string Describe(Location location, string error, string mainFile)
    {
        var span = location.GetLineSpan();
        var file = span.IsValid && span.Path != mainFile ? Path.GetFileName(span.Path) + ":" : "";
        var position = span.StartLinePosition;
        return $"{file}{position.Line + 1}:{position.Character + 1}: {error}";
    }
}
