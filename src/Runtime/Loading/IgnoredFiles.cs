using Microsoft.Extensions.Logging;

namespace SharpGears.Runtime.Loading;

/// <summary>
/// Files a folder scan leaves alone (a name that cannot be a session id, a link out of the folder),
/// each problem logged once, not at every scan.
/// </summary>
internal sealed partial class IgnoredFiles(ILogger logger)
{
    private readonly HashSet<(string Path, string Problem)> _reported = [];

    public void Report(string path, string problem)
    {
        if (_reported.Add((path, problem)))
        {
            LogIgnored(logger, path, problem);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Path}: {Problem}")]
    private static partial void LogIgnored(ILogger logger, string path, string problem);
}
