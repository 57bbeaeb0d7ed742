using System.Collections.Frozen;
using Kizuna.Cot;

namespace Kizuna.Core.Routing;

/// <summary>
/// The router's desks by event type: each inbound event goes to the desk registered for its type,
/// or to the picture desk when none is. Desks register at start, before the first connection
/// (<see cref="Register"/>); a type belongs to one desk only.
/// </summary>
public sealed class DeskRegistry
{
    private readonly Lock _gate = new();
    private IInboundDesk[] _desks;
    private FrozenDictionary<string, int> _byType = FrozenDictionary<string, int>.Empty;

    internal DeskRegistry(IInboundDesk picture)
    {
        _desks = [picture];
    }

    /// <summary>Every desk, the picture desk first, then in the order registered.</summary>
    public IReadOnlyList<IInboundDesk> All => Volatile.Read(ref _desks);

    /// <summary>
    /// Adds a desk for the types it names. A type another desk already takes is a mistake of the
    /// node's assembly and is refused, naming both desks.
    /// </summary>
    public void Register(IInboundDesk desk)
    {
        ArgumentNullException.ThrowIfNull(desk);
        lock (_gate)
        {
            var byType = new Dictionary<string, int>(_byType, StringComparer.Ordinal);
            var index = _desks.Length;
            foreach (var type in desk.Types)
            {
                if (byType.TryGetValue(type, out var taken))
                {
                    throw new InvalidOperationException($"{desk.GetType().Name} cannot take {type}: {_desks[taken].GetType().Name} takes it already");
                }

                byType[type] = index;
            }

            Volatile.Write(ref _desks, [.. _desks, desk]);
            Volatile.Write(ref _byType, byType.ToFrozenDictionary(StringComparer.Ordinal));
        }
    }

    /// <summary>The desks' windows for one connection's sender.</summary>
    public DeskWindows OpenFor(ClientSession session, WireFormat reads = WireFormat.CotXml)
        => new(Volatile.Read(ref _desks), Volatile.Read(ref _byType), new InboundSender(session, reads));

    /// <summary>Greets a recipient that has just attached, desk by desk (<see cref="IInboundDesk.GreetAsync"/>).</summary>
    public async Task GreetAsync(IRecipient recipient, CancellationToken cancellationToken)
    {
        foreach (var desk in Volatile.Read(ref _desks))
        {
            await desk.GreetAsync(recipient, cancellationToken).ConfigureAwait(false);
        }
    }
}

/// <summary>
/// One connection's windows at the router's desks, opened as events first arrive for each. The
/// read loop finds an event's desk (<see cref="DeskFor"/>), hands it the event (<see cref="Take"/>)
/// and, after each read, lets every desk that took something hand it on (<see cref="HandOnAsync"/>).
/// </summary>
public sealed class DeskWindows
{
    private readonly IInboundDesk[] _desks;
    private readonly FrozenDictionary<string, int> _byType;
    private readonly IDeskWindow?[] _windows;
    private readonly bool[] _took;
    private bool _tookAny;

    internal DeskWindows(IInboundDesk[] desks, FrozenDictionary<string, int> byType, InboundSender sender)
    {
        _desks = desks;
        _byType = byType;
        _windows = new IDeskWindow?[desks.Length];
        _took = new bool[desks.Length];
        Sender = sender;
    }

    public InboundSender Sender { get; }

    /// <summary>The desk for events of <paramref name="type"/> (the picture desk when no desk names it), and its number for <see cref="Take"/>.</summary>
    public IInboundDesk DeskFor(string type, out int desk)
    {
        desk = _byType.TryGetValue(type, out var found) ? found : 0;
        return _desks[desk];
    }

    /// <summary>Hands one event to desk number <paramref name="desk"/> (from <see cref="DeskFor"/>).</summary>
    public void Take(int desk, in LabelledEvent arrival)
    {
        var window = _windows[desk] ??= _desks[desk].Open(Sender);
        window.Take(arrival);
        _took[desk] = true;
        _tookAny = true;
    }

    /// <summary>
    /// After a read: each desk that took events hands them on, the picture first, in turn. Returns
    /// whether any of them is held by storage (<see cref="IInboundDesk.HeldByStorage"/>).
    /// </summary>
    public async ValueTask<bool> HandOnAsync(CancellationToken cancellationToken)
    {
        if (!_tookAny)
        {
            return false;
        }

        _tookAny = false;
        var held = false;
        for (var k = 0; k < _windows.Length; k++)
        {
            if (!_took[k])
            {
                continue;
            }

            _took[k] = false;
            held |= _desks[k].HeldByStorage;
            await _windows[k]!.HandOnAsync(leaving: false, cancellationToken).ConfigureAwait(false);
        }

        return held;
    }

    /// <summary>The connection is closing: what each desk took goes on without the connection waiting for it.</summary>
    public void HandOnLeaving()
    {
        if (!_tookAny)
        {
            return;
        }

        _tookAny = false;
        for (var k = 0; k < _windows.Length; k++)
        {
            if (!_took[k])
            {
                continue;
            }

            _took[k] = false;
            var handing = _windows[k]!.HandOnAsync(leaving: true, CancellationToken.None);
            if (!handing.IsCompleted)
            {
                _ = handing.AsTask();
            }
        }
    }
}
