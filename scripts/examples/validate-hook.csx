// Validate writes before they reach Redis: a command hook on SET for keys user:*.
//
// Every client's SET user:... goes through this hook instead of straight to Redis. A value that is
// not a JSON object, or is too long, is refused with an error reply and never written; a good one
// goes on to Redis with CallNext, and the client gets Redis' own reply (OK, or the old value for
// SET ... GET). Other keys and other commands are not touched.
//
//   SET user:1 '{"name":"Ada"}'   → OK
//   SET user:1 'Ada'              → (error) ERR invalid value for user:1: not JSON (...)
//
// RG.CONFIGSET keys (read on every call):
//   UserMaxBytes  the longest value accepted, in UTF-8 bytes (default 4096)

GB(Readers.Command)
    .Map(args =>
    {
        // args: the command's name, then its arguments as the client sent them:
        // "set", key, value, and SET's options (EX, NX, GET, ...), passed on unchanged.
        if (args.Length < 3)
        {
            return CallNext(args[1..]); // let Redis answer its own arity error
        }
        var (key, value) = (args[1], args[2]);
        var max = int.Parse(GearsConfigGet("UserMaxBytes", "4096")!);
        if (System.Text.Encoding.UTF8.GetByteCount(value) > max)
        {
            // A GearsException's message is the client's error reply, as it is.
            throw new GearsException($"ERR invalid value for {key}: longer than {max} bytes");
        }
        try
        {
            using var json = JsonDocument.Parse(value);
            if (json.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new GearsException($"ERR invalid value for {key}: a JSON object expected, got {json.RootElement.ValueKind}");
            }
        }
        catch (JsonException e)
        {
            throw new GearsException($"ERR invalid value for {key}: not JSON ({e.Message})");
        }
        // Valid: on to Redis. Returning CallNext's result unchanged gives the client Redis' exact reply.
        return CallNext(args[1..]);
    })
    .Register(hook: "set", keyPrefix: "user:", mode: ExecutionMode.AsyncLocal);
