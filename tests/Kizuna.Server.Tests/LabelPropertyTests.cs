using System.Net.Http.Json;
using Kizuna.Core.Alliance;
using Kizuna.Core.Identity;
using Kizuna.Core.Labels;
using Kizuna.Server.Api;
using Kizuna.Server.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Kizuna.Server.Tests;

/// <summary>
/// The label property, through the real server: random identities send randomly labelled events
/// over TLS, and every exit (live delivery, replay on connect, the REST API) must give each
/// recipient exactly the events a simple, independent oracle says it may see: nothing more (a
/// leak) and nothing less (a loss). The oracle is written here from the rules, not by calling
/// the server's decision function, so a wrong decision cannot agree with itself.
/// </summary>
public sealed class LabelPropertyTests(ITestOutputHelper output)
{
    private const int Identities = 7;
    private const int EventsPerSender = 8;

    private static readonly string[] CategoryPool = ["SAP:MWX", "SAP:SEA", "EXER:FE24"];

    /// <summary>Seeds 1-4 use the default US-Japan-ROK profile; 5-8 each a random alliance of their own.</summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    [InlineData(8)]
    public async Task No_recipient_ever_receives_an_event_its_decision_denies_and_every_permitted_one_does(int seed)
    {
        var random = new Random(seed);
        string? profilePath = null;
        var nodeOrg = "JJOC";
        if (seed > 4)
        {
            (profilePath, nodeOrg) = RandomProfile.Write(random, seed);
        }

        await using var node = await TestNode.StartAsync(profile: profilePath, nodeOrg: nodeOrg);
        var profile = node.Node.Labels.Profile;

        var people = Enumerable.Range(0, Identities).Select(i => Person.Random(random, profile, $"p{seed}-{i}")).ToList();
        var clients = new List<CotTestClient>();
        foreach (var person in people)
        {
            person.Files = node.Issue(person.Name, person.Organization.Id, person.Nation, person.Clearance, person.Authorizations);
            clients.Add(await node.ConnectTlsAsync(person.Files));
        }

        try
        {
            // Every identity sends; some labels it may not apply (refused), some it may.
            var sent = new List<Sent>();
            for (var round = 0; round < EventsPerSender; round++)
            {
                for (var s = 0; s < people.Count; s++)
                {
                    var label = WireLabel.Random(random, profile);
                    var uid = $"prop-{seed}-{s}-{round}";
                    var expected = Oracle.Accepts(profile, people[s], label, out var effective);
                    sent.Add(new Sent(uid, s, expected ? effective : null));
                    await clients[s].SendAsync(label.Event(uid, profile));
                }
            }

            await BarrierAsync(clients, clients, people, profile, seed, "live");
            var checks = 0;

            // Live delivery: exactly the accepted events the oracle permits, never one's own.
            for (var r = 0; r < people.Count; r++)
            {
                var expected = sent.Where(e => e.SenderIndex != r && e.Label is not null && Oracle.Permits(profile, people[r], e.Label)).Select(e => e.Uid).ToHashSet();
                var got = clients[r].Received.Select(e => e.Uid).Where(u => u.StartsWith("prop-", StringComparison.Ordinal)).ToHashSet();
                AssertSame(expected, got, seed, $"live delivery to {people[r]}");
                checks += sent.Count(e => e.SenderIndex != r);
            }

            // Refusals: every refused event came back to its sender as a notice, none was delivered.
            for (var s = 0; s < people.Count; s++)
            {
                var refusedUids = sent.Where(e => e.SenderIndex == s && e.Label is null).Select(e => e.Uid).ToHashSet();
                var notices = clients[s].Received.Where(e => e.Type == RefusalNotice.Type).Select(e => e.Detail.Element("__refusal")!.Attribute("uid")!)
                    .Where(u => u.StartsWith("prop-", StringComparison.Ordinal)).ToHashSet();
                AssertSame(refusedUids, notices, seed, $"refusal notices to {people[s]}");
            }

            // Replay on connect: a second connection of each identity is replayed what it may see (its own events too).
            var late = new List<CotTestClient>();
            foreach (var person in people)
            {
                late.Add(await node.ConnectTlsAsync(person.Files!));
            }

            await BarrierAsync(clients, late, people, profile, seed, "replay");
            for (var r = 0; r < people.Count; r++)
            {
                var expected = sent.Where(e => e.Label is not null && Oracle.Permits(profile, people[r], e.Label)).Select(e => e.Uid).ToHashSet();
                var got = late[r].Received.Select(e => e.Uid).Where(u => u.StartsWith("prop-", StringComparison.Ordinal)).ToHashSet();
                AssertSame(expected, got, seed, $"replay to {people[r]}");
                checks += sent.Count;
            }

            foreach (var client in late)
            {
                await client.DisposeAsync();
            }

            // The REST API: history queries answer each identity with exactly what it may see.
            await node.Node.Store.FlushAsync(CancellationToken.None);
            for (var r = 0; r < people.Count; r++)
            {
                using var http = node.CreateHttpsClient(people[r].Files);
                var events = await http.GetFromJsonAsync("/api/events?limit=10000", ApiJsonContext.Default.ListEventJson);
                var expected = sent.Where(e => e.Label is not null && Oracle.Permits(profile, people[r], e.Label)).Select(e => e.Uid).ToHashSet();
                var got = events!.Select(e => e.Uid).Where(u => u.StartsWith("prop-", StringComparison.Ordinal)).ToHashSet();
                AssertSame(expected, got, seed, $"/api/events for {people[r]}");
                checks += sent.Count;
            }

            var accepted = sent.Count(e => e.Label is not null);
            output.WriteLine($"seed {seed} ({profile.Id}: {profile.Nations.Count} nations, {profile.Classifications.Count} levels, {profile.Organizations.Count} organizations): {people.Count} identities, {sent.Count} events ({accepted} accepted, {sent.Count - accepted} refused); {checks} access decisions checked over live delivery, replay and the API");
        }
        finally
        {
            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }

            if (profilePath is not null)
            {
                File.Delete(profilePath);
            }
        }
    }

    private static void AssertSame(HashSet<string> expected, HashSet<string> got, int seed, string exit)
    {
        var leaked = got.Except(expected).Order().ToList();
        var lost = expected.Except(got).Order().ToList();
        Assert.True(leaked.Count == 0 && lost.Count == 0,
            $"seed {seed}, {exit}: leaked [{string.Join(", ", leaked)}], lost [{string.Join(", ", lost)}]");
    }

    /// <summary>
    /// Each sender sends a barrier at the lowest level, released as widely as its organization
    /// may; each receiver waits for every barrier it may see (not its own connection's). Events
    /// from one sender arrive in order, and a sender can reach a receiver only if its barrier
    /// can, so after this everything a receiver was going to get from anyone has arrived.
    /// Refusal notices go back to the sender on its own connection, unordered with the others'
    /// barriers, so each sender also sends an event no one may label (an unknown level) and
    /// waits for its notice: notices keep the order of the reads, so every earlier one is in.
    /// </summary>
    private static async Task BarrierAsync(
        IReadOnlyList<CotTestClient> senders, IReadOnlyList<CotTestClient> receivers, IReadOnlyList<Person> people, AllianceProfile profile, int seed, string name)
    {
        var barriers = new List<(string Uid, HashSet<string> Nations, CotTestClient Sender)>();
        for (var i = 0; i < senders.Count; i++)
        {
            var uid = $"barrier-{name}-{seed}-{i}";
            var nations = new HashSet<string>(people[i].Organization.MayReleaseTo, StringComparer.Ordinal) { people[i].Nation };
            barriers.Add((uid, nations, senders[i]));
            await senders[i].SendAsync(CotText.Labelled(uid, "BARRIER", profile.Classifications[0], string.Join(",", nations)));
            await senders[i].SendAsync(CotText.Labelled($"refused-{uid}", "BARRIER", "NO-SUCH-LEVEL", null));
        }

        for (var r = 0; r < receivers.Count; r++)
        {
            var visible = barriers.Where(b => b.Nations.Contains(people[r].Nation) && !ReferenceEquals(b.Sender, receivers[r])).Select(b => b.Uid).ToArray();
            await receivers[r].ExpectUidsAsync(visible);
        }

        for (var i = 0; i < senders.Count; i++)
        {
            var uid = $"refused-{barriers[i].Uid}";
            await senders[i].ExpectOrSeenAsync(e => e.Type == RefusalNotice.Type && e.Detail.Element("__refusal")?.Attribute("uid") == uid, $"refusal notice for {uid}");
        }
    }

    private sealed record Sent(string Uid, int SenderIndex, OracleLabel? Label);

    /// <summary>
    /// A random alliance as a profile file: 2-5 nations, 2-4 classification levels, 3-6
    /// organizations (the first combined when there are three nations or more) with random
    /// release limits and default levels.
    /// </summary>
    private static class RandomProfile
    {
        public static (string Path, string NodeOrg) Write(Random random, int seed)
        {
            var nations = Enumerable.Range(0, random.Next(2, 6)).Select(i => "N" + (char)('A' + i) + (char)('A' + random.Next(26))).ToList();
            var levels = Enumerable.Range(0, random.Next(2, 5)).Select(i => $"LEVEL-{i}").ToList();
            var organizations = new List<string>();
            for (var i = 0; i < random.Next(3, 7); i++)
            {
                var combined = i == 0 && nations.Count > 2;
                var own = combined ? nations.Take(2).ToList() : [nations[random.Next(nations.Count)]];
                var release = nations.Where(n => own.Contains(n) || random.Next(2) == 0).ToList();
                var json = $"{{\"id\": \"ORG-{i}\", \"name\": \"Organization {i}\", "
                           + (combined ? $"\"nations\": [{Quoted(own)}], \"kind\": \"combined-command\", " : $"\"nation\": \"{own[0]}\", \"kind\": \"headquarters\", ")
                           + $"\"defaultClassification\": \"{levels[random.Next(levels.Count)]}\", \"mayReleaseTo\": [{Quoted(release)}]}}";
                organizations.Add(json);
            }

            var nationsJson = string.Join(", ", nations.Select(n => $"{{\"code\": \"{n}\", \"name\": \"Nation {n}\"}}"));
            var text = $$"""
                {
                  "format": "kizuna-alliance-profile",
                  "formatVersion": 1,
                  "id": "random-{{seed}}",
                  "name": "Random alliance {{seed}}",
                  "version": "1",
                  "policy": "urn:kizuna:policy:random-{{seed}}",
                  "classifications": [{{Quoted(levels)}}],
                  "nations": [{{nationsJson}}],
                  "organizations": [
                    {{string.Join(",\n    ", organizations)}}
                  ],
                  "relationships": [],
                  "counterparts": []
                }
                """;
            var path = Path.Combine(Path.GetTempPath(), $"kizuna-random-profile-{seed}-{Guid.NewGuid():N}.json");
            File.WriteAllText(path, text);
            return (path, "ORG-0");
        }

        private static string Quoted(IEnumerable<string> values) => string.Join(", ", values.Select(v => $"\"{v}\""));
    }

    /// <summary>A random identity, consistent with the profile (the CA would not issue anything else).</summary>
    private sealed class Person
    {
        public required string Name { get; init; }
        public required Organization Organization { get; init; }
        public required string Nation { get; init; }
        public required string Clearance { get; init; }
        public required int ClearanceLevel { get; init; }
        public required string[] Authorizations { get; init; }
        public ClientCertificateFiles? Files { get; set; }

        public static Person Random(Random random, AllianceProfile profile, string name)
        {
            var organization = profile.Organizations[random.Next(profile.Organizations.Count)];
            var floor = profile.ClassificationLevel(organization.DefaultClassification);
            var level = random.Next(floor, profile.Classifications.Count);
            return new Person
            {
                Name = name,
                Organization = organization,
                Nation = organization.Nations[random.Next(organization.Nations.Count)],
                Clearance = profile.Classifications[level],
                ClearanceLevel = level,
                Authorizations = CategoryPool.Where(_ => random.Next(2) == 0).ToArray(),
            };
        }

        public override string ToString() => $"{Name} {Nation}/{Organization.Id} cleared {Clearance} holding [{string.Join(" ", Authorizations)}]";
    }

    /// <summary>A label as a client writes it: any part may be missing, and it may claim more than the sender may.</summary>
    private sealed record WireLabel(string? Classification, string[]? ReleasableTo, (string Name, string Type, string[] Values)[] Categories)
    {
        public static WireLabel Random(Random random, AllianceProfile profile)
        {
            var classification = random.Next(4) == 0 ? null : profile.Classifications[random.Next(profile.Classifications.Count)];
            var releasable = random.Next(4) == 0 ? null : profile.Nations.Select(n => n.Code).Where(_ => random.Next(2) == 0).ToArray();
            var categories = new List<(string, string, string[])>();
            if (random.Next(3) == 0)
            {
                // One or more values of one category: with two, "any of" and "all of" differ.
                var name = CategoryPool[random.Next(CategoryPool.Length)].Split(':')[0];
                var values = CategoryPool.Where(c => c.StartsWith(name + ":", StringComparison.Ordinal)).Select(c => c.Split(':')[1]).ToArray();
                var chosen = values.Where(_ => random.Next(2) == 0).ToArray();
                categories.Add((name, random.Next(2) == 0 ? "restrictive" : "permissive", chosen.Length > 0 ? chosen : values));
            }

            return new WireLabel(classification, releasable is { Length: 0 } ? null : releasable, [.. categories]);
        }

        /// <summary>Attributes only when there are no categories; the label element when there are.</summary>
        public string Event(string uid, AllianceProfile profile)
        {
            if (Categories.Length == 0)
            {
                return CotText.Labelled(uid, "C-" + uid, Classification, ReleasableTo is null ? null : string.Join(",", ReleasableTo));
            }

            var element = $"<__label policy=\"{profile.PolicyId}\" classification=\"{Classification ?? profile.Classifications[0]}\""
                          + (ReleasableTo is null ? "" : $" releasableTo=\"{string.Join(",", ReleasableTo)}\"") + ">"
                          + string.Concat(Categories.Select(c => $"<category name=\"{c.Name}\" type=\"{c.Type}\" values=\"{string.Join(",", c.Values)}\"/>"))
                          + "</__label>";
            return CotText.Labelled(uid, "C-" + uid, null, null, extraDetail: element);
        }
    }

    private sealed record OracleLabel(int Level, HashSet<string> ReleasableTo, (string Name, string Type, string[] Values)[] Categories);

    /// <summary>The rules of the labels issue, written out plainly.</summary>
    private static class Oracle
    {
        public static bool Accepts(AllianceProfile profile, Person sender, WireLabel wire, out OracleLabel label)
        {
            var classification = wire.Classification ?? (wire.Categories.Length > 0 ? profile.Classifications[0] : null) ?? sender.Organization.DefaultClassification;
            var releasable = new HashSet<string>(wire.ReleasableTo ?? [], StringComparer.Ordinal) { sender.Nation };
            label = new OracleLabel(profile.ClassificationLevel(classification), releasable, wire.Categories);
            var mayRelease = new HashSet<string>(sender.Organization.MayReleaseTo, StringComparer.Ordinal) { sender.Nation };
            return label.Level <= sender.ClearanceLevel
                   && releasable.IsSubsetOf(mayRelease)
                   && HoldsCategories(sender.Authorizations, label.Categories);
        }

        public static bool Permits(AllianceProfile profile, Person recipient, OracleLabel label)
            => label.Level <= recipient.ClearanceLevel
               && label.ReleasableTo.Contains(recipient.Nation)
               && HoldsCategories(recipient.Authorizations, label.Categories);

        private static bool HoldsCategories(string[] held, (string Name, string Type, string[] Values)[] categories)
            => categories.All(c => c.Type == "restrictive"
                ? c.Values.All(v => held.Contains($"{c.Name}:{v}"))
                : c.Values.Any(v => held.Contains($"{c.Name}:{v}")));
    }
}
