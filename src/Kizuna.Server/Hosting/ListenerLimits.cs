namespace Kizuna.Server.Hosting;

/// <summary>
/// Every limit a listener keeps before a connection is a CoT session or an HTTP request, each
/// with its default, written here and nowhere else (the settings, their help and the tests read
/// them from here, as Kestrel's <c>KestrelServerLimits</c> keeps its own). The per-connection
/// limits after that are <see cref="Kizuna.Core.Sessions.ConnectionOptions"/>; the decoder's are
/// <see cref="Kizuna.Cot.CotLimits"/>.
/// </summary>
public sealed class ListenerLimits
{
    public static ListenerLimits Default { get; } = new();

    /// <summary>A TLS handshake (CoT TLS, HTTPS, enrollment, the warning intake) must finish within this, whole, however its bytes trickle.</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Connections one remote address may have open at once on each CoT listener, the HTTPS listener and the warning intake.</summary>
    public int MaxConnectionsPerAddress { get; init; } = 32;

    /// <summary>
    /// Of the warning intake's <see cref="WarningIntakeListener.MaxConnections"/> slots, at most this
    /// many may be still handshaking; the oldest unfinished handshake gives way to a new connection.
    /// </summary>
    public int IntakeHandshakeSlots { get; init; } = 16;
}
