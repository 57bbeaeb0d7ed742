using System.Text;
using Kizuna.Fuzz;
using Xunit.Abstractions;

namespace Kizuna.Cot.Tests.Fuzz;

/// <summary>
/// A short, deterministic fuzz in the test command: seeded mutations (bit flips, byte changes,
/// insertions, deletions, cuts, splices) of sample events and frames run through the same targets
/// as fuzz/run.sh. The long run with afl-fuzz is fuzz/README.md; what it finds goes to FuzzRegressionTests.
/// </summary>
public sealed class SmokeFuzzTests(ITestOutputHelper output)
{
    private const int Mutations = 3000;

    [Fact]
    public void Mutated_xml_events_are_decoded_or_refused_and_the_stream_reader_always_moves_on()
    {
        var seeds = new[] { Sample.Position, Sample.Minimal(), Sample.WithDetail("<marti><dest callsign=\"A\"/></marti><remarks>r &amp; s</remarks>") }
            .Select(Encoding.UTF8.GetBytes).ToArray();
        Run(FuzzTargets.Xml, seeds, seed: 41);
    }

    [Fact]
    public void Mutated_tak_frames_are_decoded_or_refused_and_the_stream_reader_always_moves_on()
    {
        var events = new[] { Sample.Position, Sample.Minimal(), Sample.WithDetail("<contact callsign=\"A\"/><status battery=\"5\"/><track speed=\"1.5\" course=\"2.5\"/>") }
            .Select(x => CotXml.Decode(x)).ToArray();
        var seeds = events.Select(TakProto.EncodeStreamFrame)
            .Concat(events.Select(TakProto.EncodeMeshDatagram))
            .Append([TakProto.Magic, .. ProtoBytes.Varint(9), .. TakProto.EncodeMessage(null, new TakControl(1, 1, "x"))])
            .ToArray();
        Run(FuzzTargets.Tak, seeds, seed: 42);
    }

    private void Run(Action<ReadOnlySpan<byte>> target, byte[][] seeds, int seed)
    {
        var random = new Random(seed);
        for (var n = 0; n < Mutations; n++)
        {
            var input = Mutate(random, seeds[random.Next(seeds.Length)], seeds[random.Next(seeds.Length)]);
            try
            {
                target(input);
            }
            catch (Exception e)
            {
                Assert.Fail($"mutation {n} ({Convert.ToHexString(input)}): {e}");
            }
        }

        output.WriteLine($"{Mutations} mutations of {seeds.Length} seeds (seed {seed}): none escaped");
    }

    private static byte[] Mutate(Random random, byte[] input, byte[] other)
    {
        var bytes = new List<byte>(input);
        for (var k = random.Next(1, 6); k > 0; k--)
        {
            var at = random.Next(bytes.Count + 1);
            switch (random.Next(7))
            {
                case 0 when at < bytes.Count: bytes[at] ^= (byte)(1 << random.Next(8)); break;
                case 1 when at < bytes.Count: bytes[at] = Interesting[random.Next(Interesting.Length)]; break;
                case 2: bytes.Insert(at, Interesting[random.Next(Interesting.Length)]); break;
                case 3 when at < bytes.Count: bytes.RemoveRange(at, Math.Min(bytes.Count - at, random.Next(1, 16))); break;
                case 4: bytes.RemoveRange(at, bytes.Count - at); break;
                case 5:
                    var from = random.Next(other.Length);
                    bytes.InsertRange(at, other.Skip(from).Take(random.Next(1, 64)));
                    break;
                default:
                    if (at < bytes.Count)
                    {
                        bytes.InsertRange(at, bytes.Skip(at).Take(random.Next(1, 32)).ToList());
                    }

                    break;
            }
        }

        return [.. bytes];
    }

    private static readonly byte[] Interesting = [0x00, 0x01, 0x7F, 0x80, 0xBF, 0xFF, (byte)'<', (byte)'>', (byte)'&', (byte)'"', (byte)'/', (byte)';', (byte)'#', (byte)'\n', 0x0A, 0x12, 0x7A, 0xC3, 0xE3];
}
