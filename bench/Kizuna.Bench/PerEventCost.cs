using System.Buffers;
using BenchmarkDotNet.Attributes;
using Kizuna.Core.Alliance;
using Kizuna.Core.Diagnostics;
using Kizuna.Core.Labels;
using Kizuna.Core.Routing;
using Kizuna.Core.Storage;
using Kizuna.Cot;
using Kizuna.Storage.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kizuna.Bench;

/// <summary>
/// Where one picture event's time goes on the node, stage by stage, in process and without
/// sockets (issue 18, "cheaper paths"): the label door, one read's run of events published to S
/// sessions (ownership, encoding once for the history and XML clients, latest state, the access
/// decision and the enqueue per copy, then each writer's dequeue), a writer packing copies into
/// its transport buffer, and the SQLite history's append per event. Decode is
/// <see cref="CotXmlDecode"/>. One operation is one read of <see cref="Run"/> events (or the
/// batch named); bench/README.md divides into per event and per copy.
/// </summary>
[MemoryDiagnoser]
public class PerEventCost
{
    /// <summary>Events in one read (the flood's write of 8).</summary>
    public const int Run = 8;

    private static readonly LabelPolicy Labels = new(ProfileLoader.LoadDefault());
    private readonly List<OutboundItem> _batch = new(4096);
    private readonly ArrayBufferWriter<byte> _transport = new(1 << 20);
    private KizunaMetrics _metrics = null!;
    private EventRouter _router = null!;
    private ClientSession _publisher = null!;
    private ClientSession[] _subscribers = [];
    private LabelledEvent[] _read = [];
    private CotEvent _event = null!;
    private Principal _sender = null!;
    private SharedEvent[] _copies = [];
    private SqliteEventStore _store = null!;
    private string _dir = "";

    [Params(10, 100)]
    public int Sessions { get; set; }

    [GlobalSetup]
    public async Task Setup()
    {
        _metrics = new KizunaMetrics();
        _event = SampleEvents.PositionReport();
        _sender = Labels.Anonymous("JJOC", "tcp:bench");
        _router = new EventRouter(new NoHistory(), new LatestState(), new UidOwners(), _metrics, NullLogger<EventRouter>.Instance, TimeProvider.System);
        _publisher = Attach("publisher");
        _subscribers = [.. Enumerable.Range(0, Sessions).Select(i => Attach($"s{i}"))];
        var label = Labels.Accept(_event, _sender).Label ?? throw new InvalidOperationException("the sample event is refused");
        _read = [.. Enumerable.Range(0, Run).Select(_ => new LabelledEvent(_event, label))];
        _copies = [.. Enumerable.Range(0, 64).Select(_ => new SharedEvent(_event, label, "bench", DateTime.UtcNow))];
        _dir = Directory.CreateTempSubdirectory("kizuna-bench-").FullName;
        _store = new SqliteEventStore(new SqliteStoreOptions { DatabasePath = Path.Combine(_dir, "kizuna.db") });
        await _store.InitializeAsync(CancellationToken.None);
    }

    [GlobalCleanup]
    public async Task Cleanup()
    {
        await _store.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
        _metrics.Dispose();
    }

    private ClientSession Attach(string name)
    {
        var session = new ClientSession(Labels.Anonymous("JJOC", "tcp:" + name), name, "bench", new OutboundQueue(256, 4096), _metrics, _ => { });
        _router.AttachLive(session);
        return session;
    }

    /// <summary>The label door for one event: what the sender may send, then its label.</summary>
    [Benchmark]
    public LabelVerdict Label_door_per_event() => Labels.Accept(_event, _sender);

    /// <summary>One read's run published to every session, and every session's writer taking it.</summary>
    [Benchmark]
    public int Publish_one_read_and_dequeue()
    {
        _router.Publish(_read, _publisher);
        var taken = 0;
        foreach (var s in _subscribers)
        {
            _batch.Clear();
            taken += s.Queue.DequeueBatch(_batch, 256);
        }

        return taken;
    }

    /// <summary>A writer packing 64 queued copies (XML, encoded once already) into its transport buffer.</summary>
    [Benchmark]
    public int Writer_packs_64_copies()
    {
        _transport.ResetWrittenCount();
        foreach (var copy in _copies)
        {
            var encoded = copy.Encoded(WireFormat.CotXml);
            encoded.Span.CopyTo(_transport.GetSpan(encoded.Length));
            _transport.Advance(encoded.Length);
        }

        return _transport.WrittenCount;
    }

    /// <summary>The history: 512 events appended (one writer batch) and made durable.</summary>
    [Benchmark]
    public async Task History_appends_512()
    {
        var now = DateTime.UtcNow;
        var xml = _copies[0].Encoded(WireFormat.CotXml);
        var label = StoredLabel.Of(_copies[0].Label);
        for (var i = 0; i < 512; i++)
        {
            _store.Append(new StoredEvent(_event, now, "bench") { EncodedXml = xml, Label = label });
        }

        await _store.FlushAsync(CancellationToken.None);
    }

    /// <summary>A history that keeps nothing: the router's own cost, without storage's.</summary>
    private sealed class NoHistory : IEventStore
    {
        public Task InitializeAsync(CancellationToken cancellationToken) => Task.CompletedTask;
        public void Append(StoredEvent stored) { }
        public ValueTask WaitForRoomAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;
        public Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;
        public void RecordOwner(string uid, string owner) { }
        public Task<IReadOnlyList<StoredEvent>> QueryAsync(EventQuery query, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task<IReadOnlyList<StoredEvent>> StateAtAsync(DateTime at, TimeSpan staleFor, AccessFilter? filter, Func<StoredEvent, bool>? visible, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task<IReadOnlyList<KeyValuePair<string, string>>> OwnersAsync(CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task<IReadOnlyList<StoredEvent>> LatestAsync(DateTime utcNow, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task<IReadOnlyList<StoredEvent>> ReadAfterAsync(long position, AccessFilter? filter, int limit, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task WaitForPositionAsync(long position, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task<IReadOnlyList<KeyValuePair<string, long>>> OriginSequencesAsync(CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task<IReadOnlyDictionary<string, long>> FederationCursorsAsync(CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task SaveFederationCursorAsync(string partnerNodeId, long position, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task<long> PruneAsync(DateTime cutoff, CancellationToken cancellationToken) => throw new NotSupportedException();
        public long LastPosition => 0;
        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
