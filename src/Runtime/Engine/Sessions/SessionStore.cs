using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace SharpGears.Runtime.Engine.Sessions;

/// <summary>
/// Keeps sessions under <c>--data-dir</c>/sessions, one JSON file each, so that they survive restarts
/// of the gateway and of the backend and never show in the user's keyspace. Files are replaced
/// atomically (written aside, then renamed), so a crash leaves the old or the new session, never half.
/// </summary>
internal sealed partial class SessionStore(string dataDirectory, ILogger logger)
{
    private static readonly JsonSerializerOptions s_json = new() { WriteIndented = true };
    private readonly string _directory = Path.Combine(dataDirectory, "sessions");

    public void Save(SessionDefinition session)
    {
        Directory.CreateDirectory(_directory);
        var path = PathOf(session.Id);
        var temporary = path + ".tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(session, s_json));
        File.Move(temporary, path, overwrite: true);
    }

    public void Delete(string id)
    {
        var path = PathOf(id);
        if (File.Exists(path))
        {
            File.Delete(path);
        }
    }

    /// <summary>Every stored session; a file that cannot be read is logged and left in place.</summary>
    public IReadOnlyList<SessionDefinition> LoadAll()
    {
        if (!Directory.Exists(_directory))
        {
            return [];
        }
        var sessions = new List<SessionDefinition>();
        foreach (var file in Directory.EnumerateFiles(_directory, "*.json").Order(StringComparer.Ordinal))
        {
            try
            {
                if (JsonSerializer.Deserialize<SessionDefinition>(File.ReadAllText(file), s_json) is { Id: not null, Code: not null } session)
                {
                    // Lists missing from a hand-edited file are empty, not null.
                    sessions.Add(session with
                    {
                        Requirements = session.Requirements ?? [],
                        RegistrationIds = session.RegistrationIds ?? [],
                        Unregistered = session.Unregistered ?? [],
                    });
                }
                else
                {
                    throw new JsonException("it holds no session (an id and code are required)");
                }
            }
            catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
            {
                LogUnreadable(logger, e, file);
            }
        }
        return sessions;
    }

    // Session ids are [A-Za-z0-9_-] (checked by RG.CSEXECUTE) or generated: safe as file names.
    private string PathOf(string id) => Path.Combine(_directory, id + ".json");

    [LoggerMessage(Level = LogLevel.Error, Message = "The stored session {File} cannot be read; it is left as it is and not loaded")]
    private static partial void LogUnreadable(ILogger logger, Exception exception, string file);
}
