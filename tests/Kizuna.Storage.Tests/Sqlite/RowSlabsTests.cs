using System.Text;
using Kizuna.Core.Storage;
using Kizuna.Cot;
using Kizuna.Storage.Sqlite;

namespace Kizuna.Storage.Tests.Sqlite;

public sealed class RowSlabsTests
{
    private static readonly DateTime T0 = new(2025, 6, 1, 12, 0, 0, DateTimeKind.Utc);

    [Fact]
    public void A_packed_row_reads_back_the_same_values_unicode_included()
    {
        var slabs = new RowSlabs();
        var evt = Event("JJOC-護衛艦-1", "a-f-S-X", T0, 35.6895, 139.6917);
        var xml = Encoding.UTF8.GetBytes("<event uid=\"JJOC-護衛艦-1\"><detail><remarks>ミサイル</remarks></detail></event>");

        var packed = slabs.Pack(new StoredEvent(evt, T0.AddMilliseconds(250), "tls:村田"), xml);
        var row = RowSlabs.Read(packed);

        Assert.Equal("JJOC-護衛艦-1", Encoding.UTF8.GetString(row.Uid));
        Assert.Equal("a-f-S-X", Encoding.UTF8.GetString(row.Type));
        Assert.Equal(StoredTime.ToUnixMilliseconds(T0), row.Time);
        Assert.Equal(StoredTime.ToUnixMilliseconds(T0), row.Start);
        Assert.Equal(StoredTime.ToUnixMilliseconds(T0.AddMinutes(5)), row.Stale);
        Assert.Equal(StoredTime.ToUnixMilliseconds(T0.AddMilliseconds(250)), row.ReceivedAt);
        Assert.Equal("tls:村田", Encoding.UTF8.GetString(row.Sender));
        Assert.Equal(35.6895, row.Lat);
        Assert.Equal(139.6917, row.Lon);
        Assert.Equal(xml, row.Xml.ToArray());
    }

    [Fact]
    public void Rows_spanning_many_slabs_read_back_intact_and_released_slabs_are_reused()
    {
        var slabs = new RowSlabs();
        var xml = new byte[900];
        Array.Fill(xml, (byte)'x');
        // About three slabs' worth, all packed before any is taken: a writer far behind.
        var count = (3 * RowSlabs.SlabBytes) / 1000;
        var packed = Enumerable.Range(0, count)
            .Select(i => slabs.Pack(new StoredEvent(Event($"u{i}", "a-f-G", T0.AddMilliseconds(i), 1, 2), T0, "tcp:1"), xml))
            .ToList();
        Assert.True(packed.Select(p => p.Slab).Distinct().Count() >= 3, "the rows must span several slabs");
        Assert.Equal(0, slabs.FreeCount);

        var uids = new List<string>();
        foreach (var p in packed)
        {
            uids.Add(Encoding.UTF8.GetString(RowSlabs.Read(p).Uid));
            slabs.Release(p);
        }

        Assert.Equal(Enumerable.Range(0, count).Select(i => $"u{i}"), uids);
        // Every full slab whose rows were all released is back in the pool (the current one stays in use).
        Assert.Equal(packed.Select(p => p.Slab).Distinct().Count() - 1, slabs.FreeCount);
        var next = slabs.Pack(new StoredEvent(Event("again", "a-f-G", T0, 1, 2), T0, "tcp:1"), xml);
        Assert.Contains(next.Slab, packed.Select(p => p.Slab));
    }

    [Fact]
    public void A_row_larger_than_a_slab_gets_one_of_its_own_and_it_is_not_kept()
    {
        var slabs = new RowSlabs();
        var xml = new byte[RowSlabs.SlabBytes + 10];
        Array.Fill(xml, (byte)'y');

        var packed = slabs.Pack(new StoredEvent(Event("big", "b-t-f", T0, 1, 2), T0, "tcp:1"), xml);
        Assert.Equal(xml.Length, RowSlabs.Read(packed).Xml.Length);
        slabs.Release(packed);

        Assert.Equal(0, slabs.FreeCount);
    }

    private static CotEvent Event(string uid, string type, DateTime time, double lat, double lon) => new()
    {
        Uid = uid,
        Type = type,
        How = "h-e",
        Time = time,
        Start = time,
        Stale = time.AddMinutes(5),
        Point = new CotPoint(lat, lon, 10, 5, 5),
    };
}
