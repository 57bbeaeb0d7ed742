using System.Diagnostics.CodeAnalysis;
using Kizuna.Core.Alliance;
using Kizuna.Cot;

namespace Kizuna.Core.Labels;

/// <summary>Why an event's label was refused at the door. Stable names: they are metric labels.</summary>
public enum LabelRefusal
{
    /// <summary>The label cannot be read: an unknown classification or nation, a bad label element, attributes and element disagreeing.</summary>
    MalformedLabel,

    /// <summary>The label element names another security policy.</summary>
    ForeignPolicy,

    /// <summary>The classification is above the sender's own clearance.</summary>
    AboveClearance,

    /// <summary>The event is released to a nation the sender's organization may not release to.</summary>
    ReleaseTooWide,

    /// <summary>The label applies a category value the sender does not hold itself.</summary>
    CategoryNotHeld,
}

/// <summary>An event's label as accepted from its sender, or the reason it was refused.</summary>
public readonly record struct LabelVerdict(ConfidentialityLabel? Label, LabelRefusal Refusal, string? Reason)
{
    [MemberNotNullWhen(true, nameof(Label))]
    [MemberNotNullWhen(false, nameof(Reason))]
    public bool Accepted => Label is not null;
}

/// <summary>
/// The alliance's labelling rules, built from its profile: which classifications and nations
/// exist, how a label is read from and written to CoT (the <c>access</c>, <c>releasableTo</c> and
/// <c>caveat</c> attributes, and the <c>__label</c> detail element for everything richer), what a
/// sender may apply, and the principals the access decision is made for. See docs/labels.md.
/// </summary>
public sealed partial class LabelPolicy
{
    /// <summary>Values of the CoT <c>access</c> attribute that mean "no classification given" (ATAK writes "Undefined").</summary>
    private static readonly string[] UnsetAccess = ["", "Undefined", "undefined", "UNDEFINED"];

    private const int MaxCategories = 16;
    private const int MaxCaveatLength = 128;

    private const int MaxCachedLabels = 4096;

    private readonly Dictionary<string, int> _nationIndex;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(int Level, ulong Mask, string? Caveat), ConfidentialityLabel> _plainLabels = new();

    public LabelPolicy(AllianceProfile profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        if (profile.Nations.Count > 64)
        {
            throw new ArgumentException("A profile may have at most 64 nations.", nameof(profile));
        }

        Profile = profile;
        _nationIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < profile.Nations.Count; i++)
        {
            _nationIndex[profile.Nations[i].Code] = i;
        }

        Scheme = SchemeOf(profile);
    }

    /// <summary>
    /// A number naming this labelling scheme: the policy, its classifications and its nations in
    /// order, which give a label's level and nation bits their meaning. Stored with each event's
    /// label columns, so a store compares levels and bits only between labels of the same scheme
    /// (FNV-1a over the names; never 0, which stands for "unknown").
    /// </summary>
    public int Scheme { get; }

    /// <summary>The access decision for <paramref name="caller"/> as a value a store can query by (<see cref="Storage.AccessFilter"/>).</summary>
    public Storage.AccessFilter FilterFor(Principal caller)
    {
        ArgumentNullException.ThrowIfNull(caller);
        return new Storage.AccessFilter(
            string.Equals(caller.Policy, PolicyId, StringComparison.Ordinal) ? Scheme : -1,
            caller.ClearanceLevel,
            unchecked((long)caller.NationBit),
            caller.Authorizations.Count > 0);
    }

    private static int SchemeOf(AllianceProfile profile)
    {
        var hash = 2166136261u;
        void Add(string text)
        {
            foreach (var c in text)
            {
                hash = (hash ^ c) * 16777619u;
            }

            hash = (hash ^ '|') * 16777619u;
        }

        Add(profile.PolicyId);
        foreach (var classification in profile.Classifications)
        {
            Add(classification);
        }

        foreach (var nation in profile.Nations)
        {
            Add(nation.Code);
        }

        var scheme = (int)(hash & 0x7FFFFFFF);
        return scheme == 0 ? 1 : scheme;
    }

    public AllianceProfile Profile { get; }

    public string PolicyId => Profile.PolicyId;

    // ---- principals ----

    /// <summary>Checks a certificate's claims against the profile; the reason says what does not fit.</summary>
    public bool TryCreatePrincipal(IdentityClaims claims, [NotNullWhen(true)] out Principal? principal, [NotNullWhen(false)] out string? reason)
    {
        ArgumentNullException.ThrowIfNull(claims);
        principal = null;
        var organization = Profile.FindOrganization(claims.Organization);
        if (organization is null)
        {
            reason = $"unknown organization '{claims.Organization}': it is not in the alliance profile {Profile.Id}";
            return false;
        }

        if (!_nationIndex.ContainsKey(claims.Nation))
        {
            reason = $"unknown nation '{claims.Nation}': the profile {Profile.Id} has {string.Join(", ", Profile.Nations.Select(n => n.Code))}";
            return false;
        }

        if (!organization.Nations.Contains(claims.Nation, StringComparer.Ordinal))
        {
            reason = $"nation {claims.Nation} is not a nation of organization {organization.Id} ({string.Join(", ", organization.Nations)})";
            return false;
        }

        var level = Profile.ClassificationLevel(claims.Clearance);
        if (level < 0)
        {
            reason = $"unknown clearance '{claims.Clearance}': the profile has {string.Join(", ", Profile.Classifications)}";
            return false;
        }

        var defaultLevel = Profile.ClassificationLevel(organization.DefaultClassification);
        if (level < defaultLevel)
        {
            reason = $"clearance {claims.Clearance} is below {organization.Id}'s default classification {organization.DefaultClassification}: the holder could not read what the organization marks by default";
            return false;
        }

        foreach (var held in claims.Authorizations)
        {
            var colon = held.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0 || colon == held.Length - 1)
            {
                reason = $"authorization '{held}' is not CATEGORY:VALUE";
                return false;
            }
        }

        principal = Build(PrincipalKind.Certificate, claims.Name, claims.Nation, organization, claims.Role, level, claims.Authorizations, MaskOf(organization.MayReleaseTo));
        reason = null;
        return true;
    }

    /// <summary>
    /// A client of the plain-TCP listener, which has no identity (anyone on the network can be
    /// one): a member of the hosting organization's nation, cleared to the lowest classification
    /// of the policy whatever the organization's default, so the access decision withholds
    /// everything above it on every exit; what it sends is labelled at that classification,
    /// releasable to its nation only. What it may send at all: <see cref="SenderRights"/>.
    /// </summary>
    public Principal Anonymous(string hostOrganization, string name)
    {
        var organization = RequireOrganization(hostOrganization);
        var principal = Build(PrincipalKind.Anonymous, name, organization.Nation, organization, "anonymous", 0, [], NationBit(organization.Nation));
        principal.DefaultLabel = Label(0, principal.NationBit, [], null);
        return principal;
    }

    /// <summary>The node itself: cleared to the highest level, releasing as its hosting organization may.</summary>
    public Principal Node(string hostOrganization)
    {
        var organization = RequireOrganization(hostOrganization);
        return Build(PrincipalKind.Node, "node:" + organization.Id, organization.Nation, organization, "node", Profile.Classifications.Count - 1, [], MaskOf(organization.MayReleaseTo));
    }

    /// <summary>
    /// A partner node as the access decision sees it: its hosting organization's nation, cleared
    /// to <paramref name="maxClassification"/> (the federation link's highest), holding no
    /// categories. What leaves for the partner passes as this principal.
    /// </summary>
    public Principal PartnerNode(string organization, string maxClassification)
    {
        var org = RequireOrganization(organization);
        var level = Profile.ClassificationLevel(maxClassification);
        if (level < 0)
        {
            throw new ArgumentException($"unknown classification '{maxClassification}'", nameof(maxClassification));
        }

        return Build(PrincipalKind.PartnerNode, "partner:" + org.Id, org.Nation, org, "partner-node", level, [], MaskOf(org.MayReleaseTo));
    }

    // ---- labels ----

    /// <summary>The label of an event that comes without one: the sender's organization's default classification, releasable to the sender's nation only.</summary>
    public ConfidentialityLabel DefaultFor(Principal sender) => sender.DefaultLabel;

    /// <summary>Builds a label; throws <see cref="ArgumentException"/> for a classification or nation the profile does not have.</summary>
    public ConfidentialityLabel Create(string classification, IEnumerable<string> releasableTo, IReadOnlyList<LabelCategory>? categories = null, string? caveat = null)
    {
        var level = Profile.ClassificationLevel(classification);
        if (level < 0)
        {
            throw new ArgumentException($"'{classification}' is not a classification of {Profile.Id}.", nameof(classification));
        }

        ulong mask = 0;
        foreach (var nation in releasableTo)
        {
            mask |= NationBit(nation) is var bit and not 0 ? bit : throw new ArgumentException($"'{nation}' is not a nation of {Profile.Id}.", nameof(releasableTo));
        }

        return Label(level, mask, categories ?? [], caveat);
    }

    /// <summary>
    /// Decides the label of an event a sender offers: the label it carries, or the sender's
    /// default; the originator's nation is always among the releasable nations. Refused when the
    /// label is malformed, above the sender's clearance, releases wider than the sender's
    /// organization may, or applies a category the sender does not hold. On acceptance the event
    /// is stamped with the label (attributes, and the label element when the label has
    /// categories or the event came with one), so every copy carries it.
    /// </summary>
    public LabelVerdict Accept(CotEvent evt, Principal sender)
    {
        var verdict = AcceptLabel(evt, sender);
        if (!verdict.Accepted)
        {
            Refused?.Invoke(sender, verdict);
        }

        return verdict;
    }

    /// <summary>Raised for every label <see cref="Accept"/> refuses, with the sender (the audit trail records it).</summary>
    public event Action<Principal, LabelVerdict>? Refused;

    private LabelVerdict AcceptLabel(CotEvent evt, Principal sender)
    {
        ArgumentNullException.ThrowIfNull(evt);
        ArgumentNullException.ThrowIfNull(sender);
        if (!TryReadWire(evt, out var wire, out var refusal, out var error))
        {
            return new LabelVerdict(null, refusal, error);
        }

        ConfidentialityLabel label;
        if (wire.IsEmpty)
        {
            label = sender.DefaultLabel;
        }
        else
        {
            var level = wire.Level ?? sender.DefaultLabel.Level;
            var mask = (wire.ReleasableMask ?? 0) | sender.NationBit;
            label = Label(level, mask, wire.Categories ?? [], wire.Caveat);
        }

        if (label.Level > sender.ClearanceLevel)
        {
            return new LabelVerdict(null, LabelRefusal.AboveClearance,
                $"the classification {label.Classification} is above the sender's clearance {sender.Clearance}");
        }

        var beyond = label.ReleasableMask & ~sender.MayReleaseToMask;
        if (beyond != 0)
        {
            var who = sender.Kind == PrincipalKind.Anonymous ? "the plain-TCP listener (no identity, national only)" : $"organization {sender.Organization}";
            return new LabelVerdict(null, LabelRefusal.ReleaseTooWide,
                $"releasable to {string.Join(", ", NationsOf(beyond))}, which {who} may not release to");
        }

        var decision = AccessControl.Decide(sender, label);
        if (decision is AccessDecision.PermissiveCategoryNotHeld or AccessDecision.RestrictiveCategoryNotHeld)
        {
            return new LabelVerdict(null, LabelRefusal.CategoryNotHeld, $"the label applies a category the sender does not hold ({decision.Describe()})");
        }

        Stamp(evt, label, wire.Element);
        return new LabelVerdict(label, default, null);
    }

    /// <summary>
    /// Reads the label an event carries (one this node stamped, from history or a trusted
    /// source). Null when the event carries none or it cannot be read under this profile:
    /// the caller then decides the fallback, which must be restrictive.
    /// </summary>
    public ConfidentialityLabel? Read(CotEvent evt)
    {
        if (!TryReadWire(evt, out var wire, out _, out _) || wire.IsEmpty || wire.Level is null)
        {
            return null;
        }

        return Label(wire.Level.Value, wire.ReleasableMask ?? 0, wire.Categories ?? [], wire.Caveat);
    }

    /// <summary>
    /// The label of an event from history: the one it was stamped with, or, when it has none this
    /// profile can read (history from before labels, or another profile), the most restrictive
    /// label there is: the highest classification, releasable to the node's nation only.
    /// </summary>
    public ConfidentialityLabel ReadStored(CotEvent evt, Principal node)
        => Read(evt) ?? Label(Profile.Classifications.Count - 1, node.NationBit, [], null);

    /// <summary>
    /// The most restrictive combination of labels, for data fused from several inputs (a missile
    /// warning fused from several sensors' reports): the highest classification; releasable only
    /// to nations every input is releasable to; per further category name, the union of a
    /// restrictive category's values (the reader must hold all of them), the intersection of a
    /// permissive one's over the inputs that carry it, the union of an informative one's (a name
    /// used with several types takes the strictest: restrictive, then permissive); the distinct
    /// caveats in ordinal order joined with "/". The result does not depend on the order of the inputs. The
    /// releasable nations may come out empty (one input JPN only, another KOR only): then nobody
    /// may read the result, which is the point. Throws <see cref="ArgumentException"/> for no
    /// labels, or a label of another policy.
    /// </summary>
    public ConfidentialityLabel Combine(IEnumerable<ConfidentialityLabel> labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        var level = -1;
        var mask = ulong.MaxValue;
        var caveats = new SortedSet<string>(StringComparer.Ordinal);
        var categories = new SortedDictionary<string, List<LabelCategory>>(StringComparer.Ordinal);
        foreach (var label in labels)
        {
            ArgumentNullException.ThrowIfNull(label);
            if (!string.Equals(label.Policy, PolicyId, StringComparison.Ordinal))
            {
                throw new ArgumentException($"A label of policy {label.Policy} cannot be combined under {PolicyId}.", nameof(labels));
            }

            level = Math.Max(level, label.Level);
            mask &= label.ReleasableMask;
            if (label.Caveat is { Length: > 0 } caveat)
            {
                caveats.Add(caveat);
            }

            foreach (var category in label.Categories)
            {
                if (!categories.TryGetValue(category.Name, out var list))
                {
                    categories[category.Name] = list = [];
                }

                list.Add(category);
            }
        }

        if (level < 0)
        {
            throw new ArgumentException("There is no label to combine.", nameof(labels));
        }

        var combined = new List<LabelCategory>(categories.Count);
        foreach (var (name, list) in categories)
        {
            var type = list.Any(c => c.Type == CategoryType.Restrictive) ? CategoryType.Restrictive
                : list.Any(c => c.Type == CategoryType.Permissive) ? CategoryType.Permissive
                : CategoryType.Informative;
            IEnumerable<string> values;
            if (type == CategoryType.Permissive)
            {
                var permissive = list.Where(c => c.Type == CategoryType.Permissive).ToList();
                var common = new HashSet<string>(permissive[0].Values, StringComparer.Ordinal);
                foreach (var other in permissive.Skip(1))
                {
                    common.IntersectWith(other.Values);
                }

                values = common;
            }
            else
            {
                values = list.SelectMany(c => c.Values);
            }

            combined.Add(new LabelCategory(name, type, values.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray()));
        }

        return Label(level, mask, combined, caveats.Count == 0 ? null : string.Join('/', caveats));
    }

    /// <summary>Writes the label onto the event: the three attributes, and the label element when needed (kept when it already says the same).</summary>
    public void Stamp(CotEvent evt, ConfidentialityLabel label) => Stamp(evt, label, Read(evt) is { } carried && carried.Equals(label) ? label : null);

    /// <summary>The label element: <c>&lt;__label policy classification releasableTo caveat&gt;</c> with a <c>&lt;category name type values/&gt;</c> per further category.</summary>
    public static CotElement ToElement(ConfidentialityLabel label)
    {
        var element = new CotElement(CotDetail.LabelElementName);
        element.Attributes.Add(new("policy", label.Policy));
        element.Attributes.Add(new("classification", label.Classification));
        element.Attributes.Add(new("releasableTo", label.ReleasableToAttribute));
        if (label.Caveat is not null)
        {
            element.Attributes.Add(new("caveat", label.Caveat));
        }

        foreach (var category in label.Categories)
        {
            var child = new CotElement("category");
            child.Attributes.Add(new("name", category.Name));
            child.Attributes.Add(new("type", LabelCategory.TypeName(category.Type)));
            child.Attributes.Add(new("values", string.Join(',', category.Values)));
            element.Content.Add(child);
        }

        return element;
    }

    /// <summary>Nation trigraphs of a mask, in profile order.</summary>
    public IReadOnlyList<string> NationsOf(ulong mask)
    {
        var nations = new List<string>();
        for (var i = 0; i < Profile.Nations.Count; i++)
        {
            if ((mask & (1UL << i)) != 0)
            {
                nations.Add(Profile.Nations[i].Code);
            }
        }

        return nations;
    }

    /// <remarks>
    /// The element is written when the label has categories the attributes cannot carry, or when
    /// the event came with one (which is then made to say the same as the attributes). A plain
    /// label rides in the attributes alone: the element makes every event larger, and fan-out
    /// multiplies those bytes into lost throughput (docs/dev/encode-once.md has the measurement).
    /// The policy of an element-less label is the node's own.
    /// </remarks>
    private void Stamp(CotEvent evt, ConfidentialityLabel label, ConfidentialityLabel? elementSays)
    {
        evt.Access = label.Classification;
        evt.ReleasableTo = label.ReleasableToAttribute;
        evt.Caveat = label.Caveat;
        if (label.Categories.Count == 0 && evt.Detail.Label is null)
        {
            return;
        }

        if (elementSays is null || !elementSays.Equals(label))
        {
            if (label.Element is null)
            {
                var element = ToElement(label);
                label.ElementXml = element.ToXml();
                label.Element = element;
            }

            evt.Detail = evt.Detail.WithLabel(label.Element, label.ElementXml);
        }
    }

    private ConfidentialityLabel Label(int level, ulong mask, IReadOnlyList<LabelCategory> categories, string? caveat)
    {
        // Most traffic carries a handful of plain labels: one instance each, so the banner and the
        // label element are built once. The cache is bounded (caveats are client text).
        if (categories.Count == 0 && _plainLabels.TryGetValue((level, mask, caveat), out var known))
        {
            return known;
        }

        var label = new ConfidentialityLabel(PolicyId, Profile.Classifications[level], level, NationsOf(mask), mask, categories, caveat, Scheme);
        if (categories.Count == 0 && _plainLabels.Count < MaxCachedLabels)
        {
            _plainLabels.TryAdd((level, mask, caveat), label);
        }

        return label;
    }

    private Principal Build(PrincipalKind kind, string name, string nation, Organization organization, string role, int clearanceLevel, IReadOnlyList<string> authorizations, ulong mayReleaseTo)
    {
        var nationBit = NationBit(nation);
        var principal = new Principal(kind, name, nation, organization.Id, role, Profile.Classifications[clearanceLevel], clearanceLevel, PolicyId, authorizations, nationBit, mayReleaseTo | nationBit);
        var defaultLevel = Math.Max(0, Profile.ClassificationLevel(organization.DefaultClassification));
        principal.DefaultLabel = Label(defaultLevel, nationBit, [], null);
        return principal;
    }

    private Organization RequireOrganization(string id)
        => Profile.FindOrganization(id) ?? throw new ArgumentException($"'{id}' is not an organization of the alliance profile {Profile.Id}.", nameof(id));

    private ulong NationBit(string nation) => _nationIndex.TryGetValue(nation, out var i) ? 1UL << i : 0;

    private ulong MaskOf(IReadOnlyList<string> nations)
    {
        ulong mask = 0;
        foreach (var nation in nations)
        {
            mask |= NationBit(nation);
        }

        return mask;
    }
}
