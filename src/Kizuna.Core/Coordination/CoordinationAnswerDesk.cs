using Kizuna.Core.Diagnostics;
using Kizuna.Core.Labels;
using Kizuna.Core.Routing;
using Kizuna.Cot;
using Microsoft.Extensions.Logging;

namespace Kizuna.Core.Coordination;

/// <summary>
/// Answers from TAK clients over CoT (docs/coordination.md, "Answers over CoT"): a GeoChat
/// message (<c>b-t-f</c>) whose <c>__coordination</c> names a request's <c>id</c> and an
/// <c>answer</c> (ack, accept, decline, counter, complete, withdraw; a decline's reason or a
/// counter's proposal in <c>note</c>) is a transition by the sending identity, checked by the same
/// state table and organization rule as the API. Every other GeoChat message goes on to the
/// picture desk unchanged. A client never puts a <c>__coordination</c> event into the picture or
/// the history: only the desk's own versions are there, which is what federation relies on.
/// </summary>
public sealed class CoordinationAnswerDesk(CoordinationDesk desk, EventRouter router, TimeProvider time, ILogger<CoordinationAnswerDesk> logger) : IInboundDesk
{
    /// <summary>The reason name of a refused answer in the refusal notice's <c>__refusal</c> element is the desk's refusal (<see cref="CoordinationRefusal"/>).</summary>
    public IReadOnlyCollection<string> Types { get; } = [CoordinationCot.Type];

    public DeskDoor Door => DeskDoor.AfterLabel;

    public bool AtWarningIntake => false;

    // The GeoChat it hands on is picture.
    public bool HeldByStorage => true;

    private ILogger Logger => logger;

    public IDeskWindow Open(InboundSender sender) => new Window(this, sender, router.Desks.All[0].Open(sender));

    private async Task AnswerAsync(InboundSender sender, List<CotEvent> answers, CancellationToken cancellationToken)
    {
        foreach (var evt in answers)
        {
            CoordinationOutcome outcome;
            if (!CoordinationCotReader.TryReadAnswer(evt, out var answer))
            {
                const string why = "a client answers a request (__coordination with id and answer: ack, accept, decline, counter, complete, withdraw); only a node sends versions";
                Log.CoordinationAnswerRefused(logger, sender.Principal.Name, sender.Principal.Organization, why);
                outcome = CoordinationOutcome.Refused(CoordinationRefusal.Malformed, why);
            }
            else
            {
                outcome = await desk.ActAsync(sender.Principal, answer!.Id, answer.Action, answer.Note, cancellationToken).ConfigureAwait(false);
            }

            // A refusal is told to the sender alone; an accepted answer is told to both
            // headquarters by the desk, the sender's own clients included.
            if (outcome.Refusal is { } refusal)
            {
                var now = time.GetUtcNow().UtcDateTime;
                var notice = RefusalNotice.Create(evt.Uid, refusal.ToString(), outcome.Reason ?? refusal.ToString(), now);
                sender.Session.Deliver(new SharedEvent(notice, sender.Principal.DefaultLabel, "node", now), Lane.Control);
            }
        }
    }

    private sealed class Window(CoordinationAnswerDesk desk, InboundSender sender, IDeskWindow picture) : IDeskWindow
    {
        private List<CotEvent> _answers = [];
        private bool _pictureTook;

        public void Take(in LabelledEvent arrival)
        {
            if (CoordinationCotReader.IsCoordination(arrival.Event))
            {
                _answers.Add(arrival.Event);
                return;
            }

            picture.Take(arrival);
            _pictureTook = true;
        }

        public async ValueTask HandOnAsync(bool leaving, CancellationToken cancellationToken)
        {
            if (_pictureTook)
            {
                _pictureTook = false;
                await picture.HandOnAsync(leaving, cancellationToken).ConfigureAwait(false);
            }

            if (_answers.Count > 0)
            {
                var answers = _answers;
                _answers = [];
                try
                {
                    await desk.AnswerAsync(sender, answers, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    Log.ConnectionFailed(desk.Logger, ex, sender.Session.Id, sender.Session.RemoteEndpoint);
                }
            }
        }
    }
}
