using SharpGears.Runtime.Tests.Engine.Support;

namespace SharpGears.Runtime.Tests.Batch;

/// <summary>
/// What a <c>GB()...Run()</c> submitted with RG.CSEXECUTE replied: <c>[[results...], [errors...]]</c>,
/// read into values (bulk strings as strings, integers as longs), and the session it ran in (errors
/// name the script line as "<see cref="Session"/>.csx:line N").
/// </summary>
public sealed record RunReply(object?[] Results, string[] Errors, string Session)
{
    /// <summary>The results, all bulk strings, in ordinal order: for operations whose output order is the SCAN's.</summary>
    public string[] SortedTexts => [.. Results.Select(r => Assert.IsType<string>(r)).Order(StringComparer.Ordinal)];

    /// <summary>The results, all bulk strings, in the order of the reply.</summary>
    public string[] Texts => [.. Results.Select(r => Assert.IsType<string>(r))];

    /// <summary>The error a lambda that throws <c>InvalidOperationException(message)</c> on script line <paramref name="line"/> leaves.</summary>
    public string Failure(string message, int line) => $"InvalidOperationException: {message} (at {Session}.csx:line {line})";
}

/// <summary>Seeding keys straight into Redis and running batch scripts through the gateway.</summary>
public static class Runs
{
    /// <summary>
    /// Writes string keys "prefix:k0", "prefix:k1", ... holding <paramref name="values"/> straight to
    /// Redis, under a prefix no other test uses; returns "prefix:" (Run over it with <c>prefix + "*"</c>).
    /// </summary>
    public static async Task<string> KeysAsync(this GearsFixture fixture, string tag, params string[] values)
    {
        var prefix = GearsFixture.Unique(tag) + ":";
        if (values.Length > 0)
        {
            Assert.Equal("+OK\r\n", await fixture.DirectAsync(["MSET", .. values.SelectMany((value, i) => new[] { $"{prefix}k{i}", value })]));
        }
        return prefix;
    }

    /// <summary>Submits a script that calls <c>Run()</c> and reads its reply, which must be <c>[[results], [errors]]</c>.</summary>
    public static async Task<RunReply> RunAsync(this GearsFixture fixture, string code)
    {
        var session = GearsFixture.Unique("run");
        var raw = await fixture.SubmitAsync(code, "ID", session);
        var reply = Reply.Parse(raw) as object?[];
        Assert.True(reply is [object?[], object?[]], $"[[results], [errors]] expected, got {raw.TrimEnd()} for:\n{code}");
        var errors = (object?[])reply[1]!;
        return new RunReply((object?[])reply[0]!, [.. errors.Select(e => Assert.IsType<string>(e))], session);
    }

    /// <summary>The 1-based line of <paramref name="code"/> that contains <paramref name="marker"/> (it must be on one line only).</summary>
    public static int LineOf(string code, string marker)
    {
        var lines = code.Split('\n');
        var at = Array.FindIndex(lines, line => line.Contains(marker, StringComparison.Ordinal));
        Assert.True(at >= 0 && Array.FindLastIndex(lines, line => line.Contains(marker, StringComparison.Ordinal)) == at, $"\"{marker}\" must be on exactly one line of:\n{code}");
        return at + 1;
    }
}
