namespace SharpGears.Runtime.Protocol;

/// <summary>
/// Splits an inline request line into arguments with the rules of Redis' <c>sdssplitargs</c>:
/// spaces separate, "double quotes" understand \n \r \t \b \a \xHH escapes, 'single quotes' only \',
/// and a closing quote must be followed by a space or the end of the line.
/// </summary>
internal static class InlineArguments
{
    /// <summary>Returns the arguments, or null when the quotes are unbalanced.</summary>
    public static List<byte[]>? Split(ReadOnlySpan<byte> line)
    {
        // sdssplitargs works on a C string: a NUL ends the line.
        var nul = line.IndexOf((byte)0);
        if (nul >= 0)
        {
            line = line[..nul];
        }
        var args = new List<byte[]>();
        var current = new List<byte>();
        var p = 0;
        while (true)
        {
            while (p < line.Length && IsSpace(line[p]))
            {
                p++;
            }
            if (p >= line.Length)
            {
                return args;
            }
            bool inDouble = false, inSingle = false, done = false;
            current.Clear();
            while (!done)
            {
                var c = p < line.Length ? line[p] : (byte)0;
                var next = p + 1 < line.Length ? line[p + 1] : (byte)0;
                if (inDouble)
                {
                    if (c == '\\' && next == 'x' && p + 3 < line.Length && IsHex(line[p + 2]) && IsHex(line[p + 3]))
                    {
                        current.Add((byte)((HexValue(line[p + 2]) * 16) + HexValue(line[p + 3])));
                        p += 3;
                    }
                    else if (c == '\\' && next != 0)
                    {
                        p++;
                        current.Add(next switch
                        {
                            (byte)'n' => (byte)'\n',
                            (byte)'r' => (byte)'\r',
                            (byte)'t' => (byte)'\t',
                            (byte)'b' => (byte)'\b',
                            (byte)'a' => (byte)'\a',
                            _ => next,
                        });
                    }
                    else if (c == '"')
                    {
                        if (next != 0 && !IsSpace(next))
                        {
                            return null;
                        }
                        done = true;
                    }
                    else if (c == 0)
                    {
                        return null;
                    }
                    else
                    {
                        current.Add(c);
                    }
                }
                else if (inSingle)
                {
                    if (c == '\\' && next == '\'')
                    {
                        p++;
                        current.Add((byte)'\'');
                    }
                    else if (c == '\'')
                    {
                        if (next != 0 && !IsSpace(next))
                        {
                            return null;
                        }
                        done = true;
                    }
                    else if (c == 0)
                    {
                        return null;
                    }
                    else
                    {
                        current.Add(c);
                    }
                }
                else
                {
                    switch (c)
                    {
                        case (byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t' or 0:
                            done = true;
                            break;
                        case (byte)'"':
                            inDouble = true;
                            break;
                        case (byte)'\'':
                            inSingle = true;
                            break;
                        default:
                            current.Add(c);
                            break;
                    }
                }
                if (p < line.Length)
                {
                    p++;
                }
            }
            args.Add([.. current]);
        }
    }

    private static bool IsSpace(byte c) => c is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\v' or (byte)'\f' or (byte)'\r';

    private static bool IsHex(byte c) => char.IsAsciiHexDigit((char)c);

    private static int HexValue(byte c) => c switch
    {
        >= (byte)'0' and <= (byte)'9' => c - '0',
        >= (byte)'a' and <= (byte)'f' => c - 'a' + 10,
        _ => c - 'A' + 10,
    };
}
