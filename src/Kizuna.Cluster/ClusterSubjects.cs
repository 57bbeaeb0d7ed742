using System.Text;
using Kizuna.Core.Alliance;
using Kizuna.Core.Storage;

namespace Kizuna.Cluster;

/// <summary>
/// The subjects of the bus. An event goes on <c>kizuna.{cluster}.ev.{level}.{n0}.{n1}…</c>: its
/// classification level, then one token per nation of the profile, in the profile's order, that
/// is <c>1</c> when the event is releasable to that nation. An instance that serves some nations
/// subscribes, per nation, to the subject with <c>1</c> at that nation's place and <c>*</c>
/// elsewhere: the server sends it only what its clients may be released, and the rest of the
/// access decision (level, categories) is made per client as always.
/// </summary>
public sealed class ClusterSubjects
{
    private readonly string _prefix;
    private readonly IReadOnlyList<Nation> _nations;

    public ClusterSubjects(string cluster, AllianceProfile profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        Cluster = Token(cluster);
        _prefix = $"kizuna.{Cluster}.ev";
        _nations = profile.Nations;
    }

    /// <summary>The cluster's name as a subject token.</summary>
    public string Cluster { get; }

    /// <summary>The stream that carries every event of the cluster.</summary>
    public string Stream => $"KIZUNA_{Cluster.ToUpperInvariant()}";

    /// <summary>Every event subject of the cluster.</summary>
    public string All => $"{_prefix}.>";

    /// <summary>The subject of warning notices (a version issued by one instance, to be read from the shared store by the others).</summary>
    public string Warnings => $"kizuna.{Cluster}.warning";

    /// <summary>Everything the cluster's stream keeps.</summary>
    public string StreamSubjects => $"kizuna.{Cluster}.>";

    public string For(StoredLabel label)
    {
        var subject = new StringBuilder(_prefix.Length + 4 + 2 * _nations.Count).Append(_prefix).Append('.').Append(label.Level);
        for (var n = 0; n < _nations.Count; n++)
            subject.Append('.').Append((label.Nations & (1L << n)) != 0 ? '1' : '0');
        return subject.ToString();
    }

    /// <summary>The subjects releasable to <paramref name="nation"/> (a code of the profile).</summary>
    public string ReleasableTo(string nation)
    {
        var index = -1;
        for (var n = 0; n < _nations.Count; n++)
        {
            if (string.Equals(_nations[n].Code, nation, StringComparison.Ordinal))
                index = n;
        }

        if (index < 0)
            throw new ArgumentException($"{nation} is not a nation of the profile ({string.Join(", ", _nations.Select(n => n.Code))})", nameof(nation));
        var subject = new StringBuilder(_prefix).Append(".*");
        for (var n = 0; n < _nations.Count; n++)
            subject.Append('.').Append(n == index ? '1' : '*');
        return subject.ToString();
    }

    /// <summary>
    /// Whether <paramref name="subject"/> is one <paramref name="filter"/> names, by NATS's rules
    /// (<c>*</c> one token, <c>&gt;</c> one or more at the end). A consumer checks what it is given:
    /// nats-server before 2.10 ignores a consumer's <c>filter_subjects</c> (the list NATS.Net's
    /// ordered consumer sends) and delivers the whole stream, which made every instance deliver
    /// each event once per consumer it had.
    /// </summary>
    public static bool Matches(string filter, string subject)
    {
        ArgumentNullException.ThrowIfNull(filter);
        ArgumentNullException.ThrowIfNull(subject);
        var f = filter.AsSpan();
        var s = subject.AsSpan();
        while (true)
        {
            var fEnd = f.IndexOf('.');
            var fToken = fEnd < 0 ? f : f[..fEnd];
            if (fToken is ">")
                return s.Length > 0;
            var sEnd = s.IndexOf('.');
            var sToken = sEnd < 0 ? s : s[..sEnd];
            if (sToken.Length == 0 || (fToken is not "*" && !fToken.SequenceEqual(sToken)))
                return false;
            if (fEnd < 0 || sEnd < 0)
                return fEnd < 0 && sEnd < 0;
            f = f[(fEnd + 1)..];
            s = s[(sEnd + 1)..];
        }
    }

    private static string Token(string name)
    {
        var token = new string([.. name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '_')]);
        return token.Length == 0 ? "kizuna" : token;
    }
}
