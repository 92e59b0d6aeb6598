// Word count over documents (RedisGears' classic batch job): every string key doc:* holds a text;
// the reply gives each word and how often it occurs across all of them, the most frequent first.
//
//   SET doc:1 "The cat sat"   SET doc:2 "the dog, the cat"
//   RG.CSEXECUTE "$(cat scripts/examples/word-count.csx)"
//     → 1) 1) "the=3" 2) "cat=2" 3) "sat=1" 4) "dog=1"     (words of equal count in any order)
//       2) (empty array)                                     (errors: a key that is not a string, ...)
//
// The run reads the keys in batches (SCAN MATCH, then MGET per page): the gateway holds one batch of
// documents at a time, plus one counter per distinct word, however many documents there are.
//
// RG.CONFIGSET keys (read when the script is submitted):
//   WordCountPattern  the documents' keys, in SCAN MATCH syntax (default doc:*)

char[] separators = [' ', '\t', '\r', '\n', '.', ',', ';', ':', '!', '?', '"', '(', ')'];

GB()
    // One record per word; a key that is not a string (a hash, ...) fails here: its error is in the
    // reply's second part, and the run goes on.
    .FlatMap(r => ((string)r.Value!).ToLowerInvariant().Split(separators, StringSplitOptions.RemoveEmptyEntries))
    .CountBy(word => word)                   // one KeyValue(word, count) per distinct word
    .Sort(pair => pair.Value)                // largest count first
    .Map(pair => $"{pair.Key}={pair.Value}")
    .Run(GearsConfigGet("WordCountPattern", "doc:*")!);
