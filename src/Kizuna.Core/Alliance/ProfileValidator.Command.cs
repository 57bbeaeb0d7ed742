using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Kizuna.Core.Alliance;

/// <summary>The checks of the chain of command as a whole: command stays within a nation, one commander at a time, no cycles.</summary>
internal sealed partial class ProfileValidator
{
    /// <summary>Orders travel only down a national chain: a command edge needs a nation common to both ends.</summary>
    private void CheckCommandAcrossNations()
    {
        foreach (var (relationship, line) in _relationships)
        {
            if (!relationship.Kind.IsCommand())
            {
                continue;
            }

            var superior = _organizationIndex[relationship.Superior].Organization;
            var subordinate = _organizationIndex[relationship.Subordinate].Organization;
            if (superior.Nations.Count == 0 || subordinate.Nations.Count == 0
                || superior.Nations.Intersect(subordinate.Nations, StringComparer.Ordinal).Any())
            {
                continue;
            }

            Problem(
                line,
                $"{relationship.Kind.ToProfileName()} of {superior.Id} ({string.Join(", ", superior.Nations)}) over {subordinate.Id} ({string.Join(", ", subordinate.Nations)}) crosses nations: "
                + "orders travel only down a national chain, so between nations use COORDINATING-AUTHORITY, DIRLAUTH or SUPPORT "
                + "(a command relationship may cross only into or out of a combined command that includes the other side's nation)");
        }
    }

    /// <summary>An organization has at most one commander of each command kind at any time.</summary>
    private void CheckTwoCommanders()
    {
        var command = _relationships.Where(r => r.Relationship.Kind.IsCommand()).ToList();
        for (var i = 0; i < command.Count; i++)
        {
            for (var j = 0; j < i; j++)
            {
                var (later, laterLine) = command[i];
                var (earlier, earlierLine) = command[j];
                if (later.Kind != earlier.Kind
                    || !string.Equals(later.Subordinate, earlier.Subordinate, StringComparison.Ordinal)
                    || !Overlap(later, earlier, out var overlap))
                {
                    continue;
                }

                var kind = later.Kind.ToProfileName();
                if (string.Equals(later.Superior, earlier.Superior, StringComparison.Ordinal))
                {
                    Problem(laterLine, $"{kind} of {later.Superior} over {later.Subordinate} is given twice for overlapping periods (also on line {earlierLine}){overlap}");
                }
                else
                {
                    Problem(laterLine, $"{later.Subordinate} has two {kind} commanders at the same time: {earlier.Superior} (line {earlierLine}) and {later.Superior} (line {laterLine}){overlap}");
                }
            }
        }
    }

    /// <summary>
    /// The command relationships (COCOM, OPCON, TACON, ADCON) in force on any one day must not form a
    /// cycle. Which relationships hold changes only on their from/until days, so checking the first
    /// day of time and each of those days covers every day.
    /// </summary>
    private void CheckCycles()
    {
        var command = _relationships.Where(r => r.Relationship.Kind.IsCommand()).ToList();
        var days = new SortedSet<DateOnly> { DateOnly.MinValue };
        foreach (var (relationship, _) in command)
        {
            if (relationship.From is { } from)
            {
                days.Add(from);
            }

            if (relationship.Until is { } until)
            {
                days.Add(until);
            }
        }

        var reported = new HashSet<string>(StringComparer.Ordinal);
        foreach (var day in days)
        {
            var edges = new Dictionary<string, List<int>>(StringComparer.Ordinal);
            for (var i = 0; i < command.Count; i++)
            {
                if (command[i].Relationship.HoldsOn(day))
                {
                    var superior = command[i].Relationship.Superior;
                    if (!edges.TryGetValue(superior, out var list))
                    {
                        edges[superior] = list = [];
                    }

                    list.Add(i);
                }
            }

            foreach (var cycle in FindCycles(edges, command))
            {
                var key = string.Join(',', cycle.Order());
                if (reported.Add(key))
                {
                    ReportCycle(cycle, command);
                }
            }
        }
    }

    private static List<List<int>> FindCycles(Dictionary<string, List<int>> edges, List<(CommandRelationship Relationship, int Line)> command)
    {
        var cycles = new List<List<int>>();
        var state = new Dictionary<string, bool>(StringComparer.Ordinal); // false: on the path; true: done
        var path = new List<int>(); // edge indices from the start of the search to the current organization

        void Visit(string organization)
        {
            state[organization] = false;
            foreach (var edge in edges.GetValueOrDefault(organization) ?? [])
            {
                var next = command[edge].Relationship.Subordinate;
                if (!state.TryGetValue(next, out var done))
                {
                    path.Add(edge);
                    Visit(next);
                    path.RemoveAt(path.Count - 1);
                }
                else if (!done)
                {
                    // Back to an organization on the path: the cycle is the path from there, plus this edge.
                    var start = path.FindIndex(e => string.Equals(command[e].Relationship.Superior, next, StringComparison.Ordinal));
                    cycles.Add([.. path.Skip(start < 0 ? path.Count : start), edge]);
                }
            }

            state[organization] = true;
        }

        foreach (var organization in edges.Keys)
        {
            if (!state.ContainsKey(organization))
            {
                Visit(organization);
            }
        }

        return cycles;
    }

    private void ReportCycle(List<int> cycle, List<(CommandRelationship Relationship, int Line)> command)
    {
        var edges = cycle.Select(i => command[i]).ToList();
        var names = string.Join(" → ", edges.Select(e => e.Relationship.Superior).Append(edges[0].Relationship.Superior));
        var lines = string.Join(", ", edges.Select(e => $"{e.Relationship.Kind.ToProfileName()} on line {e.Line}"));
        var together = edges.Select(e => e.Relationship.From).Max() is { } from ? $", in force together from {Day(from)}" : string.Empty;
        Problem(edges.Min(e => e.Line), $"cycle in the chain of command: {names} ({lines}{together})");
    }

    private static bool Overlap(CommandRelationship a, CommandRelationship b, out string description)
    {
        var start = Later(a.From, b.From);
        var end = Earlier(a.Until, b.Until);
        description = (start, end) switch
        {
            ({ } s, { } e) => $", from {Day(s)} until {Day(e)}",
            ({ } s, null) => $", from {Day(s)}",
            (null, { } e) => $", until {Day(e)}",
            _ => string.Empty,
        };
        return start is null || end is null || start.Value < end.Value;
    }

    private static DateOnly? Later(DateOnly? a, DateOnly? b) => a is null ? b : b is null ? a : a.Value > b.Value ? a : b;

    private static DateOnly? Earlier(DateOnly? a, DateOnly? b) => a is null ? b : b is null ? a : a.Value < b.Value ? a : b;

    private static string Day(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}
