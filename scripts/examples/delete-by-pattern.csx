// Delete every key matching a pattern, in batches: one UNLINK per DeleteBatch keys, never one per key
// and never all at once. The reply says how many keys were deleted.
//
//   RG.CONFIGSET DeletePattern 'session:*'
//   RG.CSEXECUTE "$(cat scripts/examples/delete-by-pattern.csx)"
//     → 1) 1) "deleted 12000"
//       2) (empty array)
//     (no key matched: 1) (empty array), as RedisGears' Count gives nothing for no records)
//
// How the batches are made: the KeysOnly reader gives key names only (no values are read), a SCAN
// page at a time. ForEach adds each name to a buffer and sends UNLINK whenever the buffer is full;
// Count gathers, so the Map after it runs once, after the last key: it sends the last, partial
// batch. The gateway holds at most one batch of names (plus the SCAN pages read ahead), whatever
// the number of keys. (BatchGroupBy on index / 500 would batch too, but holds every key until the
// end.) UNLINK frees the values in the background; SCAN still returns every key that existed when
// the run began, deleting the ones it has returned does not make it skip others.
//
// RG.CONFIGSET keys (read when the script is submitted):
//   DeletePattern  the keys to delete, in SCAN MATCH syntax (default tmp:*; '*' deletes everything)
//   DeleteBatch    keys per UNLINK, also keys per SCAN page (default 500)

var batchSize = int.Parse(GearsConfigGet("DeleteBatch", "500")!);
var pending = new List<string>(batchSize);
long deleted = 0;

// UNLINK the buffered keys; its reply counts those that still existed.
void Flush()
{
    if (pending.Count > 0)
    {
        deleted += (long)Execute("UNLINK", [.. pending])!;
        pending.Clear();
    }
}

GB(Readers.KeysOnly)
    .ForEach(key =>
    {
        pending.Add(key);
        if (pending.Count == batchSize)
        {
            Flush();
        }
    })
    .Count()                                 // one record at the end: the number of keys scanned
    .Map(scanned =>
    {
        Flush();                             // the last, partial batch
        return $"deleted {deleted}";
    })
    .Run(GearsConfigGet("DeletePattern", "tmp:*")!, count: batchSize);
