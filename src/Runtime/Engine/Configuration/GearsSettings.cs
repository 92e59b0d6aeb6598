using System.Globalization;
using Microsoft.Extensions.Options;
using SharpGears.Runtime.Hosting;

namespace SharpGears.Runtime.Engine.Configuration;

/// <summary>
/// The engine's settings as RG.CONFIGGET and RG.CONFIGSET see them: RedisGears' own names and
/// defaults, SharpGears' additions, and any other key a user sets (kept, and readable by scripts with
/// <c>GearsConfigGet</c>). Start-up values come from <see cref="SharpGearsOptions"/>; changes made at
/// run time last until the gateway stops, as in RedisGears.
/// </summary>
internal sealed class GearsSettings
{
    public const string MaxExecutions = nameof(MaxExecutions);
    public const string MaxExecutionsPerRegistration = nameof(MaxExecutionsPerRegistration);
    public const string ProfileExecutions = nameof(ProfileExecutions);
    public const string ExecutionThreads = nameof(ExecutionThreads);
    public const string ExecutionMaxIdleTime = nameof(ExecutionMaxIdleTime);
    public const string ExecutionTimeout = nameof(ExecutionTimeout);

    // Settings read only at start-up: RG.CONFIGSET refuses them rather than pretend they changed.
    private static readonly HashSet<string> s_startupOnly = new(StringComparer.OrdinalIgnoreCase) { ExecutionThreads };

    private readonly ConcurrentDictionary<string, string> _values = new(StringComparer.OrdinalIgnoreCase);
    // The built-in settings, all numbers: a value that is not one is refused, not stored.
    private readonly HashSet<string> _builtIn = new(StringComparer.OrdinalIgnoreCase);

    public GearsSettings(IOptions<SharpGearsOptions> options)
    {
        var settings = options.Value;
        SetBuiltIn(MaxExecutions, 1000);
        SetBuiltIn(MaxExecutionsPerRegistration, 100);
        SetBuiltIn(ProfileExecutions, 0);
        SetBuiltIn(ExecutionThreads, Math.Max(1, settings.ExecutionThreads));
        SetBuiltIn(ExecutionMaxIdleTime, 5000);
        SetBuiltIn(ExecutionTimeout, Math.Max(1, settings.ExecutionTimeout));
    }

    /// <summary>Threads of the execution pool for async and async_local registrations.</summary>
    public int Threads => (int)GetNumber(ExecutionThreads);

    /// <summary>How many finished Run executions are kept (RG.DUMPEXECUTIONS); the oldest go first.</summary>
    public int MaxExecutionCount => (int)GetNumber(MaxExecutions);

    /// <summary>How many finished executions of one registration are kept.</summary>
    public int MaxExecutionCountPerRegistration => (int)GetNumber(MaxExecutionsPerRegistration);

    /// <summary>Whether executions time each step (RG.GETEXECUTION's step durations).</summary>
    public bool Profile => GetNumber(ProfileExecutions) != 0;

    /// <summary>How long an execution may run before it is aborted.</summary>
    public TimeSpan Timeout => TimeSpan.FromMilliseconds(GetNumber(ExecutionTimeout));

    /// <summary>The value of <paramref name="key"/>, or null when nothing set it.</summary>
    public string? Get(string key) => _values.TryGetValue(key, out var value) ? value : null;

    /// <summary>
    /// RG.CONFIGGET for one key: its value (built-in numbers as integers, as RedisGears answers them),
    /// or RedisGears' error for a key nobody set.
    /// </summary>
    public (object? Value, string? Error) Read(string key) =>
        !_values.TryGetValue(key, out var value) ? (null, $"Unsupported config parameter: {key}")
        : _builtIn.Contains(key) ? (long.Parse(value, CultureInfo.InvariantCulture), null)
        : (value, null);

    /// <summary>RG.CONFIGSET for one key: RedisGears' status text, or an error.</summary>
    public (string? Status, string? Error) Write(string key, string value)
    {
        if (s_startupOnly.Contains(key))
        {
            return (null, $"{key} can only be set at start-up (SharpGears__{key} or appsettings.json)");
        }
        if (_builtIn.Contains(key) && (!long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number) || number < 0))
        {
            return (null, $"{key} must be a non-negative integer");
        }
        _values[key] = value;
        return _builtIn.Contains(key) ? ("OK", null) : ("OK - value was saved in extra config dictionary", null);
    }

    private void SetBuiltIn(string key, long value)
    {
        _builtIn.Add(key);
        _values[key] = value.ToString(CultureInfo.InvariantCulture);
    }

    private long GetNumber(string key) => long.Parse(_values[key], CultureInfo.InvariantCulture);
}
