using Kizuna.Core.Diagnostics;
using Kizuna.Core.Routing;
using Microsoft.Extensions.Logging;

namespace Kizuna.Core.Warnings;

/// <summary>
/// The warning desk's counter on the way in: sensor reports (<c>b-w-m-r</c>: kept in history, and
/// fused on the issuing thread) and acknowledgements (<c>b-w-m-a</c>), taken after the label door
/// on every listener, the warning intake included, and never held while picture storage is
/// behind. It greets every recipient that attaches with the current warnings it has not
/// acknowledged. It sees senders only as recipients: what it sends goes through the router.
/// </summary>
public sealed class WarningInputDesk(WarningDesk desk, EventRouter router, ILogger<WarningInputDesk> logger) : IInboundDesk
{
    public IReadOnlyCollection<string> Types { get; } = [SensorReportReader.ReportType, WarningCot.AcknowledgementType];

    public DeskDoor Door => DeskDoor.AfterLabel;

    public bool AtWarningIntake => true;

    public bool HeldByStorage => false;

    public IDeskWindow Open(InboundSender sender) => new Window(this, sender.Recipient);

    public Task GreetAsync(IRecipient recipient, CancellationToken cancellationToken) => desk.ResendAsync(recipient, cancellationToken);

    /// <summary>Sensor reports (kept in history, then fused) and acknowledgements, in the order they came.</summary>
    private async Task HandOnAsync(IRecipient sender, List<LabelledEvent> input, CancellationToken cancellationToken)
    {
        try
        {
            foreach (var (evt, label) in input)
            {
                if (WarningDesk.IsReport(evt))
                {
                    // Handed to the issuing thread first: the history's append takes locks that
                    // picture threads hold too, and the warning must not wait behind them.
                    var issuing = desk.ReportAsync(evt, label, sender, cancellationToken);
                    try
                    {
                        router.Archive(new LabelledEvent(evt, label), sender);
                    }
                    finally
                    {
                        await issuing.ConfigureAwait(false);
                    }
                }
                else
                {
                    await desk.AcknowledgeAsync(evt, sender, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Log.ConnectionFailed(logger, ex, sender.Id, sender.RemoteEndpoint);
        }
    }

    private sealed class Window(WarningInputDesk desk, IRecipient sender) : IDeskWindow
    {
        private List<LabelledEvent> _input = [];

        public void Take(in LabelledEvent arrival) => _input.Add(arrival);

        public ValueTask HandOnAsync(bool leaving, CancellationToken cancellationToken)
        {
            // Handed over whole: a closing connection does not wait, and a warning is never lost to it.
            var input = _input;
            _input = [];
            return new ValueTask(desk.HandOnAsync(sender, input, cancellationToken));
        }
    }
}
