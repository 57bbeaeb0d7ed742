using System.Text.Json;

namespace Kizuna.Core.Alliance;

/// <summary>The <c>federation</c> section: which organizations' nodes may link, and what flows on each link.</summary>
internal sealed partial class ProfileValidator
{
    private static readonly string[] FederationProperties = ["links"];

    private static readonly string[] FederationLinkProperties = ["a", "b", "flows", "maxClassification", "note"];

    private FederationTopology ReadFederation(ProfileJsonNode root)
    {
        if (root.Property("federation") is not { } section)
        {
            return FederationTopology.None;
        }

        if (!IsObject(section.Value, "\"federation\""))
        {
            return FederationTopology.None;
        }

        CheckProperties(section.Value, "\"federation\"", FederationProperties);
        var links = new List<FederationLink>();
        foreach (var item in RequiredArray(section.Value, "links", "\"federation\""))
        {
            if (ReadFederationLink(item, links) is { } link)
            {
                links.Add(link);
            }
        }

        return new FederationTopology(links);
    }

    private FederationLink? ReadFederationLink(ProfileJsonNode item, List<FederationLink> earlier)
    {
        const string Context = "a federation link";
        if (!IsObject(item, Context))
        {
            return null;
        }

        CheckProperties(item, Context, FederationLinkProperties);
        var a = OrganizationReference(item, "a", Context);
        var b = OrganizationReference(item, "b", Context);
        var flows = ReadFlows(item, Context);
        var classification = RequiredString(item, "maxClassification", Context);
        if (classification is not null && !_classifications.Contains(classification, StringComparer.Ordinal))
        {
            Problem(item.Property("maxClassification")!.Value.Line, $"\"maxClassification\" of {Context} is {classification}, which is not a classification of this profile ({string.Join(", ", _classifications)})");
            classification = null;
        }

        string? note = null;
        if (item.Property("note") is { } noteProperty)
        {
            note = StringValue(noteProperty.Value, "the note of a federation link");
        }

        if (a is null || b is null)
        {
            return null;
        }

        if (string.Equals(a, b, StringComparison.Ordinal))
        {
            Problem(item.Line, $"{a} is linked with itself: a federation link joins the nodes of two organizations");
            return null;
        }

        if (earlier.Any(l => l.Joins(a, b)))
        {
            Problem(item.Line, $"the federation link between {a} and {b} is listed twice");
            return null;
        }

        return flows is null || classification is null ? null : new FederationLink(a, b, flows, classification, note);
    }

    private List<FederationFlow>? ReadFlows(ProfileJsonNode item, string context)
    {
        if (item.Property("flows") is not { } property)
        {
            Problem(item.Line, $"{context} has no \"flows\": list what it carries (picture, warning, coordination)");
            return null;
        }

        if (property.Value.Kind != JsonValueKind.Array || property.Value.Items.Count == 0)
        {
            Problem(property.Value.Line, $"\"flows\" of {context} must be a non-empty array of picture, warning, coordination, but it is {property.Value.Describe()}");
            return null;
        }

        var flows = new List<FederationFlow>();
        var ok = true;
        foreach (var entry in property.Value.Items)
        {
            if (StringValue(entry, "a flow") is not { } name)
            {
                ok = false;
                continue;
            }

            if (!FederationTopology.TryParseFlow(name, out var flow))
            {
                Problem(entry.Line, $"unknown flow \"{name}\" in {context}: flows are picture, warning, coordination");
                ok = false;
                continue;
            }

            if (flows.Contains(flow))
            {
                Problem(entry.Line, $"flow {name} is listed twice in {context}");
                continue;
            }

            flows.Add(flow);
        }

        return ok ? flows : null;
    }
}
