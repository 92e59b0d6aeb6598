namespace SharpGears.Runtime.Tests.Engine.Support;

/// <summary>
/// A RESP2 reply read into values, so that the engine's nested replies can be checked field by
/// field and type by type: a bulk string is a <see cref="string"/>, an integer a <see cref="long"/>,
/// nil (bulk or array) null, an array an <c>object?[]</c>, a status a <see cref="Status"/> and an
/// error an <see cref="Error"/> (the types are kept apart: "0" is not 0, "OK" is not +OK).
/// </summary>
public static class Reply
{
    public sealed record Status(string Text);

    public sealed record Error(string Text);

    /// <summary>Reads one whole frame, as <see cref="RawClient.ReadAsync"/> returns it (Latin-1 text).</summary>
    public static object? Parse(string frame)
    {
        var position = 0;
        var value = Read(frame, ref position);
        Assert.True(position == frame.Length, $"one frame expected, but {frame.Length - position} characters follow it: {frame}");
        return value;
    }

    private static object? Read(string frame, ref int position)
    {
        var kind = frame[position];
        var end = frame.IndexOf("\r\n", position, StringComparison.Ordinal);
        Assert.True(end > position, $"an unfinished line at {position}: {frame}");
        var line = frame[(position + 1)..end];
        position = end + 2;
        switch (kind)
        {
            case '+':
                return new Status(line);
            case '-':
                return new Error(line);
            case ':':
                return long.Parse(line, System.Globalization.CultureInfo.InvariantCulture);
            case '$':
                var length = int.Parse(line, System.Globalization.CultureInfo.InvariantCulture);
                if (length < 0)
                {
                    return null;
                }
                var text = frame.Substring(position, length);
                position += length + 2;
                return text;
            case '*':
                var count = int.Parse(line, System.Globalization.CultureInfo.InvariantCulture);
                if (count < 0)
                {
                    return null;
                }
                var items = new object?[count];
                for (var i = 0; i < count; i++)
                {
                    items[i] = Read(frame, ref position);
                }
                return items;
            default:
                throw new FormatException($"not a RESP2 frame at {position}: {frame}");
        }
    }

    /// <summary>An array of bulk strings, none of them nil, as strings (LRANGE and the like).</summary>
    public static string[] Strings(object? value) =>
        [.. Assert.IsType<object?[]>(value).Select(item => Assert.IsType<string>(item))];
}

/// <summary>
/// A flat array of name/value pairs as RedisGears replies them (RG.DUMPREGISTRATIONS entries,
/// RegistrationData, RG.DUMPSESSIONS entries): the names in order, and the value of each.
/// </summary>
public sealed class Pairs
{
    public Pairs(object? value)
    {
        Items = Assert.IsType<object?[]>(value);
        Assert.True(Items.Length % 2 == 0, $"name/value pairs expected, got {Items.Length} items");
    }

    public object?[] Items { get; }

    /// <summary>The names, in the order of the reply.</summary>
    public IReadOnlyList<string> Names =>
        [.. Items.Where((_, i) => i % 2 == 0).Select(name => Assert.IsType<string>(name))];

    public bool Has(string name) => Names.Contains(name);

    public object? this[string name]
    {
        get
        {
            for (var i = 0; i < Items.Length; i += 2)
            {
                if (Items[i] is string n && n == name)
                {
                    return Items[i + 1];
                }
            }
            throw new KeyNotFoundException($"no '{name}' among {string.Join(", ", Names)}");
        }
    }

    /// <summary>A nested map (RegistrationData, args).</summary>
    public Pairs Map(string name) => new(this[name]);

    /// <summary>An integer reply (not a string that looks like one).</summary>
    public long Integer(string name) => Assert.IsType<long>(this[name]);

    /// <summary>A bulk string reply, or null for nil.</summary>
    public string? Text(string name) => this[name] is { } value ? Assert.IsType<string>(value) : null;

    public override string ToString() => Show(Items);

    /// <summary>A value as text, for assertion messages.</summary>
    public static string Show(object? value) => value switch
    {
        null => "nil",
        string s => $"\"{s}\"",
        long l => l.ToString(System.Globalization.CultureInfo.InvariantCulture),
        object?[] items => "[" + string.Join(", ", items.Select(Show)) + "]",
        _ => value.ToString() ?? "",
    };
}
