using System.Text.RegularExpressions;

namespace SharpGears.Runtime.Loading;

/// <summary>
/// The session id of code from a file is the file's name without its extension (an assembly's name
/// for a plugin): letters, digits, '_', '-' and '.', as RG.CSEXECUTE's ids plus the dots of assembly
/// names, and not starting with a dot (editors' hidden swap files).
/// </summary>
internal static partial class FileSessionId
{
    [GeneratedRegex("^[A-Za-z0-9_-][A-Za-z0-9_.-]*$")]
    private static partial Regex Valid();

    public static bool IsValid(string id) => Valid().IsMatch(id);
}
