using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text;
using Kizuna.Core.Diagnostics;
using Kizuna.Core.Labels;
using Kizuna.Core.Routing;
using Kizuna.Core.Storage;
using Kizuna.Core.Warnings;
using Kizuna.Cot;
using Kizuna.Federation.Wire;
using Microsoft.Extensions.Logging;

namespace Kizuna.Federation;

/// <summary>
/// What this node does with its federation links (<see cref="IFederationHandler"/>): one durable
/// outbox per partner (<see cref="FederationOutbox"/>), the inbox (de-duplication by origin and
/// sequence, the label checked again, stored, durable, acknowledged, then delivered), the
/// resume handshake (<see cref="Holdings"/>), vouched sensor reports, and the links' status
/// (<see cref="IFederationStatus"/>). See docs/federation.md.
/// </summary>
public sealed partial class FederationExchange : IFederationHandler, IFederationStatus, IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, FederationOutbox> _outboxes = new(StringComparer.Ordinal);
    private readonly ConditionalWeakTable<IFederationLink, Inbox> _inboxes = [];
    private readonly ConditionalWeakTable<CotEvent, FederatedSource> _reportSources = [];
    private readonly FederationHoldings _holdings = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly EventRouter _router;
    private readonly WarningDesk? _desk;
    private readonly KizunaMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly FederationMapper _mapper;
    private readonly System.Collections.Concurrent.BlockingCollection<Action> _vouched = [];
    private readonly Thread? _vouching;
    private int _disposed;
    private IReadOnlyDictionary<string, long> _cursors = new Dictionary<string, long>();

    public FederationExchange(
        string nodeId,
        string organization,
        LabelPolicy labels,
        Principal nodePrincipal,
        IEventStore store,
        EventRouter router,
        WarningDesk? desk,
        KizunaMetrics metrics,
        ILogger logger,
        TimeProvider? time = null)
    {
        NodeId = nodeId;
        Organization = organization;
        Labels = labels;
        NodePrincipal = nodePrincipal;
        Store = store;
        _router = router;
        _desk = desk;
        _metrics = metrics;
        Logger = logger;
        _time = time ?? TimeProvider.System;
        _mapper = new FederationMapper(labels);
        if (desk is not null)
        {
            _vouching = new Thread(VouchLoop) { IsBackground = true, Name = "kizuna-federation-vouch" };
            _vouching.Start();
            desk.ReportVouched += OnReportVouched;
            desk.ReceiptRecorded += OnReceiptRecorded;
        }

        // Receipt items are kept and relayed, never part of the picture.
        router.ExcludeFromPicture(WarningReceiptItem.Type);
    }

    public string NodeId { get; }

    public string Organization { get; }

    internal LabelPolicy Labels { get; }

    internal Principal NodePrincipal { get; }

    internal IEventStore Store { get; }

    internal ILogger Logger { get; }

    internal DateTime Now => _time.GetUtcNow().UtcDateTime;

    internal CancellationToken Stopping => _stopping.Token;

    /// <summary>Reads the outboxes' cursors and rebuilds the holdings from the history. Call once, after the store is initialized.</summary>
    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        _cursors = await Store.FederationCursorsAsync(cancellationToken).ConfigureAwait(false);
        var sequences = await Store.OriginSequencesAsync(cancellationToken).ConfigureAwait(false);
        _holdings.Restore(sequences.Where(s => !string.Equals(s.Key, NodeId, StringComparison.Ordinal)));
        FederationLog.HoldingsRestored(Logger, _holdings.OriginCount, sequences.Count);
        await RestoreReceiptsAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The partners whose trust bundles were imported: each has an outbox (and a status line,
    /// <c>down</c> until its link is up) from the start, so an operator sees a partner that never linked.
    /// </summary>
    public void KnowPartners(IEnumerable<(string NodeId, string Organization)> partners)
    {
        ArgumentNullException.ThrowIfNull(partners);
        foreach (var (nodeId, organization) in partners)
        {
            Outbox(nodeId, organization);
        }
    }

    /// <inheritdoc />
    public KizunaHoldings Holdings() => _holdings.ToWire();

    /// <inheritdoc />
    public IReadOnlyList<FederationLinkStatus> Links() => [.. _outboxes.Values.Select(o => o.Status()).OrderBy(s => s.PartnerOrganization, StringComparer.Ordinal)];

    /// <inheritdoc />
    public ValueTask OnLinkUpAsync(IFederationLink link, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(link);
        var inbox = new Inbox(this, link);
        _inboxes.AddOrUpdate(link, inbox);
        inbox.Start();
        Outbox(link.Peer.NodeId, link.Peer.Organization).Start(link);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public void OnLinkDown(IFederationLink link, string reason)
    {
        ArgumentNullException.ThrowIfNull(link);
        if (_outboxes.TryGetValue(link.Peer.NodeId, out var outbox))
        {
            outbox.Stop(link);
        }

        if (_inboxes.TryGetValue(link, out var inbox))
        {
            inbox.Stop();
            _inboxes.Remove(link);
        }
    }

    /// <inheritdoc />
    public ValueTask OnReceivedAsync(IFederationLink link, FederatedEvent message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(link);
        ArgumentNullException.ThrowIfNull(message);
        if (message.Event is null)
        {
            if (message.Kizuna?.Ack is { } ack && _outboxes.TryGetValue(link.Peer.NodeId, out var outbox))
            {
                outbox.OnAck(ack);
            }

            return ValueTask.CompletedTask;
        }

        return _inboxes.TryGetValue(link, out var inbox) ? inbox.ReceiveAsync(message, cancellationToken) : ValueTask.CompletedTask;
    }

    private FederationOutbox Outbox(string nodeId, string organization)
    {
        var outbox = _outboxes.GetOrAdd(nodeId, id => new FederationOutbox(this, id, _cursors.GetValueOrDefault(id)));
        outbox.Describe(organization);
        return outbox;
    }

    /// <summary>
    /// A report the sensor authority accepted: kept in history as vouched by its origin (this
    /// node for a local sensor feed), which is what an outbox carrying <c>warning</c> forwards.
    /// </summary>
    private void OnReportVouched(CotEvent evt, ConfidentialityLabel label, Principal sender)
    {
        // Raised on the warning desk's issuing thread before its own warning goes out: the
        // history's locks are taken on a thread of the exchange's own, never on that one.
        try
        {
            _vouched.Add(() => KeepVouched(evt, label, sender));
        }
        catch (InvalidOperationException)
        {
            // The node is stopping.
        }
    }

    private void VouchLoop()
    {
        foreach (var keep in _vouched.GetConsumingEnumerable())
        {
            keep();
        }
    }

    /// <summary>
    /// Completes once every vouched report raised so far has been kept (handed to the history's
    /// batch): the inbox waits for it before its flush, so it never acknowledges a partner's report
    /// whose relayed copy a crash could still lose.
    /// </summary>
    internal Task VouchedKeptAsync()
    {
        if (_vouching is null)
        {
            return Task.CompletedTask;
        }

        var kept = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        try
        {
            _vouched.Add(() => kept.TrySetResult());
        }
        catch (InvalidOperationException)
        {
            // The node is stopping: nothing more is kept.
            kept.TrySetResult();
        }

        return kept.Task;
    }

    private void KeepVouched(CotEvent evt, ConfidentialityLabel label, Principal sender)
    {
        FederatedSource source;
        if (sender.Kind == PrincipalKind.PartnerNode)
        {
            if (!_reportSources.TryGetValue(evt, out var federated))
            {
                return;
            }

            source = federated;
        }
        else
        {
            source = new FederatedSource("node", Organization, NodeId, 0, string.Empty);
        }

        try
        {
            _router.ArchiveFederated(new LabelledEvent(evt, label), source);
            CommitNow();
        }
        catch (ObjectDisposedException)
        {
            // The node is stopping.
        }
    }

    /// <summary>
    /// Warning traffic does not wait for the history's batch to fill: what was archived is
    /// committed now, which wakes the outboxes (the store's batch delay would otherwise be paid
    /// at every hop). Not awaited: the issuing thread never waits for the disk here.
    /// </summary>
    private void CommitNow() => _ = CommitAsync();

    private async Task CommitAsync()
    {
        try
        {
            await Store.FlushAsync(Stopping).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or InvalidOperationException)
        {
            // The node is stopping, or the store's writer stopped (it logged why).
        }
    }

    /// <summary>Provenance as the history keeps it: <c>nodeId/ORG</c> entries separated by spaces, the origin first.</summary>
    internal static List<FederateProvenance> ParseProvenance(string? text)
    {
        var list = new List<FederateProvenance>();
        if (string.IsNullOrEmpty(text))
        {
            return list;
        }

        foreach (var entry in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var slash = entry.IndexOf('/', StringComparison.Ordinal);
            list.Add(slash < 0
                ? new FederateProvenance { FederationServerId = entry, FederationServerName = string.Empty }
                : new FederateProvenance { FederationServerId = entry[..slash], FederationServerName = entry[(slash + 1)..] });
        }

        return list;
    }

    internal static string FormatProvenance(IEnumerable<FederateProvenance> provenance)
    {
        var text = new StringBuilder();
        foreach (var p in provenance)
        {
            if (p.FederationServerId.Length == 0 || p.FederationServerId.Contains(' ', StringComparison.Ordinal) || p.FederationServerId.Contains('/', StringComparison.Ordinal))
            {
                continue;
            }

            if (text.Length > 0)
            {
                text.Append(' ');
            }

            text.Append(p.FederationServerId).Append('/').Append(p.FederationServerName.Replace(" ", string.Empty, StringComparison.Ordinal));
        }

        return text.ToString();
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        if (_desk is not null)
        {
            _desk.ReportVouched -= OnReportVouched;
            _vouched.CompleteAdding();
            _desk.ReceiptRecorded -= OnReceiptRecorded;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        foreach (var outbox in _outboxes.Values)
        {
            try
            {
                await outbox.SaveNowAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                FederationLog.CursorSaveFailed(Logger, outbox.PartnerNodeId, ex.Message);
            }
        }

        _vouching?.Join(TimeSpan.FromSeconds(5));
        _stopping.Dispose();
    }
}
