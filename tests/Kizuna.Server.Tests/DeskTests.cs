using Kizuna.Core.Routing;
using Kizuna.Core.Warnings;
using Kizuna.Server.Tests.Infrastructure;

namespace Kizuna.Server.Tests;

/// <summary>
/// Inbound events go to the router's desk for their type (docs/architecture.md): a desk registered
/// at start takes its type on every connection without the connection knowing it.
/// </summary>
public sealed class DeskTests
{
    private const string TestType = "t-x-kizuna-desk-test";

    [Fact]
    public async Task A_desk_registered_at_start_takes_its_type_labelled_and_the_picture_never_sees_it()
    {
        await using var node = await TestNode.StartAsync();
        var desk = new RecordingDesk(TestType);
        node.Node.Router.Desks.Register(desk);
        await using var sender = await node.ConnectTlsAsync("jjoc-desk-sender");
        await using var witness = await node.ConnectTlsAsync("jjoc-desk-witness");

        await sender.SendAsync(CotText.Position("desk-1", "DESK", type: TestType));
        await sender.SendAsync(CotText.Position("after-desk", "AFTER"));
        var taken = await desk.Taken.Task.WaitAsync(TestNode.Timeout);

        // The picture's barrier came after the desk's event on the same stream: had the picture taken it, it would be here.
        await witness.ExpectUidAsync("after-desk");
        Assert.DoesNotContain(witness.Received, e => e.Uid == "desk-1");
        Assert.Equal("desk-1", taken.Event.Uid);
        Assert.Equal("jjoc-desk-sender", desk.Sender!.Principal.Name);
        Assert.NotNull(taken.Label);
    }

    [Fact]
    public async Task Every_desk_greets_a_client_that_attaches()
    {
        await using var node = await TestNode.StartAsync();
        var desk = new RecordingDesk(TestType);
        node.Node.Router.Desks.Register(desk);

        await using var client = await node.ConnectTlsAsync("jjoc-greeted");

        var greeted = await desk.Greeted.Task.WaitAsync(TestNode.Timeout);
        Assert.Equal("jjoc-greeted", greeted.Principal.Name);
    }

    [Fact]
    public async Task A_type_another_desk_takes_cannot_be_registered_twice()
    {
        await using var node = await TestNode.StartAsync();

        var refused = Assert.Throws<InvalidOperationException>(() => node.Node.Router.Desks.Register(new RecordingDesk(WarningCot.AcknowledgementType)));

        Assert.Contains(nameof(WarningInputDesk), refused.Message, StringComparison.Ordinal);
        Assert.Contains(WarningCot.AcknowledgementType, refused.Message, StringComparison.Ordinal);
    }

    private sealed class RecordingDesk(string type) : IInboundDesk
    {
        public TaskCompletionSource<LabelledEvent> Taken { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public TaskCompletionSource<IRecipient> Greeted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public InboundSender? Sender { get; private set; }

        public IReadOnlyCollection<string> Types => [type];
        public DeskDoor Door => DeskDoor.AfterLabel;
        public bool AtWarningIntake => false;
        public bool HeldByStorage => false;

        public IDeskWindow Open(InboundSender sender)
        {
            Sender = sender;
            return new Window(this);
        }

        public Task GreetAsync(IRecipient recipient, CancellationToken cancellationToken)
        {
            Greeted.TrySetResult(recipient);
            return Task.CompletedTask;
        }

        private sealed class Window(RecordingDesk desk) : IDeskWindow
        {
            private LabelledEvent? _taken;

            public void Take(in LabelledEvent arrival) => _taken ??= arrival;

            public ValueTask HandOnAsync(bool leaving, CancellationToken cancellationToken)
            {
                if (_taken is { } taken)
                {
                    desk.Taken.TrySetResult(taken);
                }

                return ValueTask.CompletedTask;
            }
        }
    }
}
