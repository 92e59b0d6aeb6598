// Audit deletes: a command hook on DEL for keys user:* that records what was deleted and when.
//
// The hook runs DEL itself with CallNext, then appends an entry to an audit stream, and returns
// DEL's reply unchanged: clients see exactly what Redis answered. DELs of other keys are not touched
// (a DEL naming user:* among other keys goes through the hook whole, and is recorded whole).
// A hook is not told which client called it, so the entry says what and when, not who.
//
//   DEL user:1 user:2   → (integer) 2
//   XRANGE audit:user-deletes - +
//     1) 1) "1718000000000-0"
//        2) "command" "del"  "keys" "[\"user:1\",\"user:2\"]"  "deleted" "2"  "at" "2024-06-10T06:13:20.000+00:00"
//
// RG.CONFIGSET keys (read on every call):
//   AuditStream  the stream the entries go to (default audit:user-deletes)

GB(Readers.Command)
    .Map(args =>
    {
        // args: "del", then the keys. CallNext runs the real DEL (on the client's own connection);
        // if Redis refuses it, the error goes to the client and nothing is recorded.
        var reply = CallNext(args[1..]);
        Execute("XADD", GearsConfigGet("AuditStream", "audit:user-deletes"),
            "MAXLEN", "~", "100000", "*", // a bounded trail: old entries go first
            "command", args[0].ToLowerInvariant(),
            "keys", JsonSerializer.Serialize(args[1..]), // a JSON array: unambiguous whatever the key names
            "deleted", reply,             // how many of them existed
            "at", DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffzzz"));
        return reply; // unchanged: the client gets Redis' exact reply
    })
    .Register(hook: "del", keyPrefix: "user:", mode: ExecutionMode.AsyncLocal);
