using Grpc.Core;
using Kizuna.Federation.Wire;

namespace Kizuna.Federation;

/// <summary>
/// gRPC metadata by which Kizuna nodes recognise each other. A TAK Server sends none and ignores
/// ours; a node sends acknowledgements and envelope-only messages only to a peer that sent
/// <see cref="NodeIdHeader"/>.
/// </summary>
public static class FederationMetadata
{
    /// <summary>The sender's node id; present only between Kizuna nodes.</summary>
    public const string NodeIdHeader = "kizuna-node-id";

    /// <summary>
    /// On the response headers of ServerEventStream: what the listening node holds per origin
    /// (serialized <see cref="KizunaHoldings"/>), so the dialling node resumes after it.
    /// </summary>
    public const string HoldingsHeader = "kizuna-holdings-bin";

    public static Metadata For(string nodeId) => new() { { NodeIdHeader, nodeId } };

    public static bool IsKizuna(Metadata? headers) => headers?.Get(NodeIdHeader) is { Value.Length: > 0 };

    public static KizunaHoldings? Holdings(Metadata? headers)
        => headers?.Get(HoldingsHeader) is { IsBinary: true } entry ? KizunaHoldings.Parser.ParseFrom(entry.ValueBytes) : null;
}
