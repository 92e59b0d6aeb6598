using System.Runtime.InteropServices;

namespace SharpGears.Api.Pipeline;

/// <summary>
/// The groups of a synchronous <see cref="AccumulateByStep"/>, typed: one dictionary look-up per
/// record, keys and values kept as they are (a count stays a <c>long</c>, never boxed). A null key
/// is a group too; a group whose every fold failed (a Run goes on past failing records) is not
/// passed on.
/// </summary>
internal sealed class GroupFolder<T, TKey, TValue>(Func<T, TKey> extractor, Func<TKey, TValue?, T, TValue> reducer, Func<TValue>? zero) : IGroupFolder
{
#pragma warning disable CS8714 // a null key never enters the dictionary: it has a slot of its own
    private readonly Dictionary<TKey, int> _slots = [];
#pragma warning restore CS8714
    private int _nullKeySlot = -1;
    private readonly List<Group> _groups = [];

    public void Fold(object? record)
    {
        var item = (T)record!;
        var key = extractor(item);
        var slot = key is null ? _nullKeySlot : _slots.GetValueOrDefault(key, -1);
        if (slot < 0)
        {
            // zero runs before the group exists: if it throws, there is no group without a value.
            var start = zero is null ? default : zero();
            slot = _groups.Count;
            _groups.Add(new Group(key, start, Folded: false));
            if (key is null)
            {
                _nullKeySlot = slot;
            }
            else
            {
                _slots.Add(key, slot);
            }
        }
        ref var group = ref CollectionsMarshal.AsSpan(_groups)[slot];
        group = group with { Value = reducer(group.Key, group.Value, item), Folded = true };
    }

    public List<object?> Results()
    {
        var results = new List<object?>(_groups.Count);
        foreach (var group in _groups)
        {
            if (group.Folded)
            {
                results.Add(new KeyValue<TKey, TValue>(group.Key, group.Value!));
            }
        }
        return results;
    }

    private readonly record struct Group(TKey Key, TValue? Value, bool Folded);
}
