using System.Text;
using Kizuna.Storage.Sqlite;

namespace Kizuna.Storage.Tests.Sqlite;

/// <summary>The uid index of the newest events, in memory until its segment is written.</summary>
public sealed class UidTailTests
{
    private static void Add(UidTail tail, string uid, long time, long id, long stale = 1000)
        => tail.Add(Encoding.UTF8.GetBytes(uid), time, stale, id);

    [Fact]
    public void A_uids_entries_come_newest_first_from_the_segment_being_written_and_the_open_one()
    {
        var tail = new UidTail();
        Add(tail, "alpha", time: 10, id: 1);
        Add(tail, "bravo", time: 11, id: 2);
        Add(tail, "alpha", time: 5, id: 3);
        var (_, inOrder) = tail.Cut();
        Add(tail, "alpha", time: 12, id: 4);

        Assert.Equal(["alpha", "bravo"], inOrder.Select(e => e.Uid));
        Assert.Equal([new UidTail.Entry(5, 3), new UidTail.Entry(10, 1)], inOrder[0].Entries);
        Assert.Equal([4L, 1L, 3L], tail.EntriesOf("alpha").Select(e => e.Id));
        Assert.Equal([1L], tail.EntriesOf("alpha", since: 6, until: 11).Select(e => e.Id));
        Assert.Equal(new UidTail.Entry(12, 4), tail.NewestByUid()["alpha"].Entry);
    }

    [Fact]
    public void A_released_segment_is_reused_and_a_uid_quiet_for_a_whole_segment_leaves_it()
    {
        var tail = new UidTail();
        Add(tail, "alpha", time: 1, id: 1);
        Add(tail, "bravo", time: 1, id: 2);
        tail.Cut();
        tail.Release();
        Add(tail, "alpha", time: 2, id: 3);
        tail.Cut();
        tail.Release();

        // The first segment came back for reuse with empty lists for alpha and bravo.
        Assert.Equal(0, tail.OpenCount);
        Assert.Empty(tail.Uids());
        Add(tail, "charlie", time: 3, id: 4);
        var (segment, inOrder) = tail.Cut();
        Assert.Equal(["charlie"], inOrder.Select(e => e.Uid));
        Assert.Equal(["charlie"], tail.Uids());
        Assert.DoesNotContain("alpha", tail.NewestByUid().Keys);

        // Released again: the uids that stayed quiet through it leave it.
        tail.Release();
        Assert.Equal(["charlie"], segment.ByUid.Keys);
    }
}
