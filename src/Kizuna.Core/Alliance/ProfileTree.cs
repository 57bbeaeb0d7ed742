using System.Globalization;
using System.Text;

namespace Kizuna.Core.Alliance;

/// <summary>
/// Renders an alliance profile as plain text as of one day: each nation's chains as an indented
/// tree with the relationship kind on every edge, then the combined commands, then what joins
/// the nations (counterpart pairs and coordination edges). Used by <c>kizuna profile show</c>.
/// </summary>
public static class ProfileTree
{
    /// <summary>The profile on <paramref name="date"/>; names in <paramref name="language"/> (ja, ko, en) where the profile has them.</summary>
    public static string Render(AllianceProfile profile, DateOnly date, string? language = null)
    {
        ArgumentNullException.ThrowIfNull(profile);
        var renderer = new Renderer(profile, date, language);
        return renderer.Render();
    }

    private sealed class Renderer(AllianceProfile profile, DateOnly date, string? language)
    {
        private readonly StringBuilder _text = new();
        private readonly List<string> _notes = [];
        private readonly List<CommandRelationship> _shown = [.. profile.Relationships.Where(r => r.Until is null || date < r.Until.Value)];

        public string Render()
        {
            Line($"{profile.Name}  (profile {profile.Id} {profile.Version}, {profile.Source})");
            Line($"Policy {profile.PolicyId}; classifications {string.Join(" < ", profile.Classifications)}");
            Line($"As of {Day(date)}. Each edge reads superior → subordinate; under SUPPORT the subordinate supports the superior.");

            foreach (var nation in profile.Nations)
            {
                RenderNation(nation);
            }

            RenderCombined();
            RenderBetweenNations();

            var ended = profile.Relationships.Count - _shown.Count;
            if (ended > 0 || _notes.Count > 0)
            {
                Line();
            }

            if (ended > 0)
            {
                Line($"{ended} relationship{(ended == 1 ? string.Empty : "s")} that ended before {Day(date)} not shown.");
            }

            for (var i = 0; i < _notes.Count; i++)
            {
                Line($"[{i + 1}] {_notes[i]}");
            }

            return _text.ToString();
        }

        private void RenderNation(Nation nation)
        {
            var members = profile.Organizations.Where(o => !o.IsCombined && string.Equals(o.Nation, nation.Code, StringComparison.Ordinal)).ToList();
            var ids = members.Select(o => o.Id).ToHashSet(StringComparer.Ordinal);
            var edges = _shown.Where(r => ids.Contains(r.Superior) && ids.Contains(r.Subordinate)).ToList();
            var placement = members.ToDictionary(o => o.Id, o => Placement(o.Id, edges), StringComparer.Ordinal);

            Line();
            Line($"{nation.Code}  {nation.Name}");
            var expanded = new HashSet<string>(StringComparer.Ordinal);
            foreach (var root in members.Where(o => placement[o.Id] is null))
            {
                Line($"{root.Id}  {NameOf(root)}  ({root.Kind})");
                expanded.Add(root.Id);
                RenderChildren(root.Id, edges, placement, expanded, string.Empty);
            }

            // Anything left is held only by a cycle of future edges; show it rather than lose it.
            foreach (var rest in members.Where(o => !expanded.Contains(o.Id)))
            {
                Line($"{rest.Id}  {NameOf(rest)}  ({rest.Kind})");
                expanded.Add(rest.Id);
                RenderChildren(rest.Id, edges, placement, expanded, string.Empty);
            }
        }

        /// <summary>
        /// The edge an organization hangs from in the tree: its strongest command relationship in
        /// force, else the first one still to come; null for the top of a chain.
        /// </summary>
        private CommandRelationship? Placement(string id, List<CommandRelationship> edges)
        {
            foreach (var kind in RelationshipKinds.Command)
            {
                var current = edges.FirstOrDefault(r => r.Kind == kind && r.HoldsOn(date) && string.Equals(r.Subordinate, id, StringComparison.Ordinal));
                if (current is not null)
                {
                    return current;
                }
            }

            return edges
                .Where(r => r.Kind.IsCommand() && string.Equals(r.Subordinate, id, StringComparison.Ordinal))
                .OrderBy(r => r.From)
                .FirstOrDefault();
        }

        private void RenderChildren(
            string superior,
            List<CommandRelationship> edges,
            Dictionary<string, CommandRelationship?> placement,
            HashSet<string> expanded,
            string indent)
        {
            var children = edges.Where(r => string.Equals(r.Superior, superior, StringComparison.Ordinal)).ToList();
            for (var i = 0; i < children.Count; i++)
            {
                var edge = children[i];
                var last = i == children.Count - 1;
                var subordinate = profile.FindOrganization(edge.Subordinate)!;
                var expand = ReferenceEquals(placement[edge.Subordinate], edge) && expanded.Add(edge.Subordinate);
                var seeAlso = string.Empty;
                if (!expand && placement[edge.Subordinate] is { } home && !string.Equals(home.Superior, superior, StringComparison.Ordinal) && edges.Any(r => string.Equals(r.Superior, edge.Subordinate, StringComparison.Ordinal)))
                {
                    seeAlso = $"  (see {home.Kind.ToProfileName()} under {home.Superior})";
                }

                Line($"{indent}{(last ? "└─ " : "├─ ")}{edge.Kind.ToProfileName()}  {subordinate.Id}  {NameOf(subordinate)}{When(edge)}{seeAlso}{Footnote(edge.Note)}");
                if (expand)
                {
                    RenderChildren(edge.Subordinate, edges, placement, expanded, indent + (last ? "   " : "│  "));
                }
            }
        }

        private void RenderCombined()
        {
            var combined = profile.Organizations.Where(o => o.IsCombined).ToList();
            if (combined.Count == 0)
            {
                return;
            }

            Line();
            Line("Combined commands");
            foreach (var command in combined)
            {
                Line($"{command.Id}  {NameOf(command)}  ({command.Kind}; {string.Join(", ", command.Nations)})");
                var edges = _shown
                    .Where(r => string.Equals(r.Superior, command.Id, StringComparison.Ordinal) || string.Equals(r.Subordinate, command.Id, StringComparison.Ordinal))
                    .ToList();
                for (var i = 0; i < edges.Count; i++)
                {
                    var edge = edges[i];
                    var above = string.Equals(edge.Subordinate, command.Id, StringComparison.Ordinal);
                    var other = profile.FindOrganization(above ? edge.Superior : edge.Subordinate)!;
                    Line($"{(i == edges.Count - 1 ? "└─ " : "├─ ")}{(above ? "from above: " : string.Empty)}{edge.Kind.ToProfileName()}  {other.Id}  {NameOf(other)} ({string.Join(", ", other.Nations)}){When(edge)}{Footnote(edge.Note)}");
                }
            }
        }

        private void RenderBetweenNations()
        {
            var across = _shown.Where(r => !ShareNation(r.Superior, r.Subordinate)).ToList();
            if (profile.Counterparts.Count == 0 && across.Count == 0)
            {
                return;
            }

            Line();
            Line("Between nations: coordination, never command");
            if (profile.Counterparts.Count > 0)
            {
                Line("Counterparts");
                foreach (var pair in profile.Counterparts)
                {
                    Line($"  {Labelled(pair.A)}  ↔  {Labelled(pair.B)}{Footnote(pair.Note)}");
                }
            }

            if (across.Count > 0)
            {
                Line("Coordination");
                foreach (var edge in across)
                {
                    Line($"  {Labelled(edge.Superior)}  ─ {edge.Kind.ToProfileName()} →  {Labelled(edge.Subordinate)}{When(edge)}{Footnote(edge.Note)}");
                }
            }
        }

        private bool ShareNation(string a, string b)
        {
            var first = profile.FindOrganization(a)!;
            var second = profile.FindOrganization(b)!;
            return first.IsCombined || second.IsCombined || first.Nations.Intersect(second.Nations, StringComparer.Ordinal).Any();
        }

        private string Labelled(string id)
        {
            var organization = profile.FindOrganization(id)!;
            return $"{organization.Id} {NameOf(organization)} ({string.Join(", ", organization.Nations)})";
        }

        private string NameOf(Organization organization)
            => language is not null && organization.LocalNames.TryGetValue(language, out var local) ? local : organization.Name;

        private string When(CommandRelationship edge)
        {
            if (edge.From is { } from && date < from)
            {
                return $"  (not yet in force: from {Day(from)})";
            }

            return (edge.From, edge.Until) switch
            {
                ({ } since, { } until) => $"  (since {Day(since)}, until {Day(until)})",
                ({ } since, null) => $"  (since {Day(since)})",
                (null, { } until) => $"  (until {Day(until)})",
                _ => string.Empty,
            };
        }

        private string Footnote(string? note)
        {
            if (note is null)
            {
                return string.Empty;
            }

            var index = _notes.IndexOf(note);
            if (index < 0)
            {
                _notes.Add(note);
                index = _notes.Count - 1;
            }

            return string.Create(CultureInfo.InvariantCulture, $"  [{index + 1}]");
        }

        private void Line(string text = "") => _text.Append(text).Append('\n');

        private static string Day(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
    }
}
