using Kizuna.Core.Warnings;

namespace Kizuna.Core.Storage;

/// <summary>What one recipient has done with one version of a warning.</summary>
/// <param name="Recipient">The principal's name (certificate CN).</param>
/// <param name="DeliveredAt">When the node wrote it to the recipient's connection.</param>
/// <param name="AcknowledgedAt">When the recipient acknowledged it (b-w-m-a).</param>
public sealed record WarningReceipt(
    string WarningId,
    int Version,
    string Recipient,
    string Organization,
    string Nation,
    DateTime? DeliveredAt,
    DateTime? AcknowledgedAt);

/// <summary>A version escalated up the national chain of an organization that had not acknowledged it.</summary>
public sealed record WarningEscalation(string WarningId, int Version, string Organization, DateTime EscalatedAt);

/// <summary>A warning as fusion left it: the newest version of each of its views and every report fused into it, to take fusion up again after a restart.</summary>
public sealed record StoredLaunch(IReadOnlyList<WarningVersion> Latest, IReadOnlyList<SensorReport> Reports);

/// <summary>
/// Durable history of missile warnings: every version, and every receipt. Unlike the event
/// history, nothing here is batched behind the caller's back: an append returns once the version
/// is on disk, and only then may anyone be told of it.
/// </summary>
/// <remarks>
/// <para><b>Who blocks where.</b> Every member may be called from any thread, concurrently with the
/// others; a store serializes its own writes.</para>
/// <list type="bullet">
/// <item>The two blocking members, <see cref="Append(IReadOnlyList{WarningVersion}, SensorReport, CancellationToken)"/>
/// and <see cref="RecordReport"/>, do their work and their wait on the calling thread and return
/// when it is durable: no continuation is queued to the thread pool, so their latency does not
/// depend on how busy the pool is. They exist for the warning desk's issuing thread, a dedicated
/// thread that may block; never call them from the thread pool or a request handler.</item>
/// <item>The asynchronous members may complete before they return, having done their I/O on the
/// calling thread (the SQLite store does: Microsoft.Data.Sqlite runs its asynchronous methods
/// synchronously), or complete later on the thread pool (when another operation holds the store,
/// or for a backend with truly asynchronous I/O). A caller must not assume either: do not block
/// on them (<c>.GetAwaiter().GetResult()</c>, <c>.Wait()</c>), and do not call them from a thread
/// that must never wait for a disk (the issuing thread uses the blocking members instead).</item>
/// </list>
/// </remarks>
public interface IWarningStore : IAsyncDisposable
{
    /// <summary>Opens the store and creates or upgrades its schema. Called once, before any other member; completes on any thread.</summary>
    Task InitializeAsync(CancellationToken cancellationToken);

    /// <summary>Stores a version durably (synchronous commit). A version already stored is an error.</summary>
    Task AppendAsync(WarningVersion version, CancellationToken cancellationToken);

    /// <summary>
    /// Stores the views issued at one version number and the report that caused them in one
    /// durable commit (one disk flush on the warning's way out). A report already stored is kept as
    /// it was; a version already stored is an error and nothing of the commit is kept.
    /// </summary>
    Task AppendAsync(IReadOnlyList<WarningVersion> views, SensorReport cause, CancellationToken cancellationToken);

    /// <summary>
    /// As <see cref="AppendAsync(IReadOnlyList{WarningVersion}, SensorReport, CancellationToken)"/>,
    /// blocking the calling thread until the commit is durable (or throws). Waits for the store and
    /// writes on the calling thread, with no hop to another thread: the warning desk's issuing path,
    /// whose latency is measured. Call it only from a thread that may block (see the remarks above).
    /// </summary>
    void Append(IReadOnlyList<WarningVersion> views, SensorReport cause, CancellationToken cancellationToken);

    /// <summary>Stores a report fused into a warning without changing what it says (it still counts for later versions).</summary>
    Task RecordReportAsync(string warningId, SensorReport report, CancellationToken cancellationToken);

    /// <summary>
    /// As <see cref="RecordReportAsync"/>, blocking the calling thread until it is durable, with
    /// no thread hop: for the warning desk's issuing thread only.
    /// </summary>
    void RecordReport(string warningId, SensorReport report, CancellationToken cancellationToken);

    /// <summary>
    /// Every warning with a report received at or after <paramref name="since"/>: its newest
    /// version of each view and all its reports, oldest warning first. What fusion needs to go on after a restart.
    /// </summary>
    Task<IReadOnlyList<StoredLaunch>> LaunchesSinceAsync(DateTime since, CancellationToken cancellationToken);

    /// <summary>Every version of every view of one warning, oldest first, the full view first within a number; empty when there is no such warning.</summary>
    Task<IReadOnlyList<WarningVersion>> VersionsAsync(string warningId, CancellationToken cancellationToken);

    /// <summary>The newest version of every view of every warning, newest first (<see cref="WarningViews.For"/> picks a recipient's).</summary>
    Task<IReadOnlyList<WarningVersion>> LatestVersionsAsync(CancellationToken cancellationToken);

    /// <summary>
    /// As <see cref="LatestVersionsAsync"/>, for the warnings with a version issued at or after
    /// <paramref name="since"/> only (every view of each): the current warnings, read on every
    /// connect and every sweep without reading the whole store.
    /// </summary>
    Task<IReadOnlyList<WarningVersion>> LatestVersionsIssuedSinceAsync(DateTime since, CancellationToken cancellationToken);

    /// <summary>The id of every stored warning (new ids must not repeat one).</summary>
    Task<IReadOnlyList<string>> WarningIdsAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Records that a version was written to a recipient (first time only). A store may gather
    /// receipts and commit them together; the task completes once this one is committed, usually
    /// on the thread pool, so a caller on a latency-critical path does not await it.
    /// </summary>
    Task RecordDeliveryAsync(WarningReceipt receipt, CancellationToken cancellationToken);

    /// <summary>Records a recipient's acknowledgement (first time only; a delivery is implied). Committed as <see cref="RecordDeliveryAsync"/> is.</summary>
    Task RecordAcknowledgementAsync(WarningReceipt receipt, CancellationToken cancellationToken);

    /// <summary>Every receipt of every version of one warning, including every receipt recorded before the call.</summary>
    Task<IReadOnlyList<WarningReceipt>> ReceiptsAsync(string warningId, CancellationToken cancellationToken);

    /// <summary>
    /// Records durably that a version was escalated because an organization had not acknowledged
    /// it; false when it already was (restarts included), so each organization is escalated once per version.
    /// </summary>
    Task<bool> RecordEscalationAsync(WarningEscalation escalation, CancellationToken cancellationToken);

    /// <summary>Every escalation of one warning, oldest first.</summary>
    Task<IReadOnlyList<WarningEscalation>> EscalationsAsync(string warningId, CancellationToken cancellationToken);
}
