using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Runtime.InteropServices;
using SharpGears.Api;

namespace SharpGears.Runtime.Loading;

/// <summary>
/// Tells a plugin from the other DLLs of the plugins folder (its dependencies) by reading the file's
/// metadata, without loading it: a plugin is a .NET assembly that references the Api.
/// </summary>
internal static class PluginMetadata
{
    private static readonly string s_apiName = typeof(IGears).Assembly.GetName().Name!;

    /// <summary>
    /// The simple name of the assembly in <paramref name="image"/> when it references the Api; null
    /// when it does not, or when it is a native library. Throws <see cref="BadImageFormatException"/>
    /// when the bytes are not a whole .NET assembly (a file still being copied, say).
    /// </summary>
    public static string? PluginName(byte[] image)
    {
        using var pe = new PEReader(ImmutableCollectionsMarshal.AsImmutableArray(image));
        try
        {
            if (pe.PEHeaders.CorHeader is null)
            {
                return null; // a native library: whole, and no plugin
            }
            var metadata = pe.GetMetadataReader();
            if (!metadata.IsAssembly)
            {
                throw new BadImageFormatException("it is a .NET module, not an assembly");
            }
            var referencesApi = metadata.AssemblyReferences
                .Any(reference => metadata.StringComparer.Equals(metadata.GetAssemblyReference(reference).Name, s_apiName));
            return referencesApi ? metadata.GetString(metadata.GetAssemblyDefinition().Name) : null;
        }
        catch (InvalidOperationException e)
        {
            throw new BadImageFormatException(e.Message, e); // what the reader throws for some truncated images
        }
    }
}
