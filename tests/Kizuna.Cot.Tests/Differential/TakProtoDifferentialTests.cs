using Google.Protobuf;
using Xunit.Abstractions;
using Gen = Atakmap.Commoncommo.Protobuf.V1;

namespace Kizuna.Cot.Tests.Differential;

/// <summary>
/// The node's TAK codec (<see cref="TakProto"/>: generated code, wire check and mapping) against the
/// hand-written codec it replaced (<see cref="HandWrittenTak"/>), an implementation written
/// independently from the published field table, over seeded generated messages, damaged bytes
/// and events. Either disagreeing with the other is a bug in one of them.
/// </summary>
public sealed class TakProtoDifferentialTests(ITestOutputHelper output)
{
    private const int Messages = 3000;
    private const int Events = 1000;

    private static readonly CotLimits Limits = CotLimits.Default;

    [Fact]
    public void Generated_messages_decode_alike_in_both_codecs_or_are_refused_by_both_for_the_same_reason()
    {
        var generator = new TakMessageGenerator(seed: 16);
        var outcomes = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var n = 0; n < Messages; n++)
        {
            var message = generator.Message();
            var bytes = message.ToByteArray();
            var expected = HandDecode(bytes);
            var actual = NodeDecode(bytes);
            var context = $"message {n}: {message}";
            Assert.True(expected.Reject == actual.Reject, $"{context}\nhand-written refusal {expected.Reject}, node {actual.Reject}");
            Assert.True(expected.Control == actual.Control, $"{context}\nhand-written control {expected.Control}, node {actual.Control}");
            Assert.True(Same(expected.Event, actual.Event), $"{context}\nhand-written:\n{Show(expected.Event)}\nnode:\n{Show(actual.Event)}");
            var key = actual.Reject?.ToString() ?? (actual.Event is null ? "Control" : "Event");
            outcomes[key] = outcomes.GetValueOrDefault(key) + 1;
        }

        var summary = $"{Messages} generated messages: " + string.Join(", ", outcomes.OrderBy(o => o.Key, StringComparer.Ordinal).Select(o => $"{o.Key} {o.Value}"));
        output.WriteLine(summary);
        Assert.True(outcomes.GetValueOrDefault("Event") > Messages / 2, "most generated messages should be accepted events; " + summary);
        Assert.True(outcomes.Count >= 4, "the generator should reach several refusals too; " + summary);
    }

    [Fact]
    public void Damaged_bytes_are_refused_by_both_codecs_or_decode_alike_in_both()
    {
        // Where protobuf is lenient and the node is not (a known field with the wrong wire type, a
        // string that is not UTF-8 or holds control characters, a length past the end) only the wire
        // check stands between the generated parser and the node; the hand-written codec checked
        // each as it read. The reason may differ when a message has two faults: each codec meets
        // them in its own order.
        var generator = new TakMessageGenerator(seed: 61);
        var random = new Random(62);
        int refused = 0, accepted = 0, sameReason = 0;
        for (var n = 0; n < Messages; n++)
        {
            var bytes = generator.Message().ToByteArray();
            if (bytes.Length == 0)
            {
                continue;
            }

            var damaged = Damage(bytes, random);
            var expected = HandDecode(damaged);
            var actual = NodeDecode(damaged);
            var context = $"damaged message {n}: {Convert.ToHexString(damaged)}";
            Assert.True(expected.Reject is null == actual.Reject is null, $"{context}\nhand-written refusal {expected.Reject}, node {actual.Reject}");
            if (expected.Reject is null)
            {
                Assert.True(expected.Control == actual.Control, $"{context}\nhand-written control {expected.Control}, node {actual.Control}");
                Assert.True(Same(expected.Event, actual.Event), $"{context}\nhand-written:\n{Show(expected.Event)}\nnode:\n{Show(actual.Event)}");
                accepted++;
            }
            else
            {
                refused++;
                sameReason += expected.Reject == actual.Reject ? 1 : 0;
            }
        }

        output.WriteLine($"damaged messages: {refused} refused by both ({sameReason} for the same reason), {accepted} accepted alike");
        Assert.True(refused > Messages / 4 && accepted > 0, $"the damage should make both outcomes: {refused} refused, {accepted} accepted");
    }

    [Fact]
    public void Events_the_node_encodes_decode_by_hand_to_the_same_event_and_each_element_is_typed_or_in_xml_detail_never_both()
    {
        var count = 0;
        foreach (var evt in SourceEvents())
        {
            var bytes = TakProto.EncodeMessage(evt);
            var parsed = Gen.TakMessage.Parser.ParseFrom(bytes);
            Assert.Null(parsed.TakControl);
            if (parsed.CotEvent.Detail is { } detail)
            {
                var inXml = detail.XmlDetail.Length == 0 ? [] : CotDetail.FromXml(detail.XmlDetail).Elements.Select(e => e.Name).ToHashSet(StringComparer.Ordinal);
                Assert.False(detail.Contact is not null && inXml.Contains("contact"));
                Assert.False(detail.Group is not null && inXml.Contains("__group"));
                Assert.False(detail.PrecisionLocation is not null && inXml.Contains("precisionlocation"));
                Assert.False(detail.Status is not null && inXml.Contains("status"));
                Assert.False(detail.Takv is not null && inXml.Contains("takv"));
                Assert.False(detail.Track is not null && inXml.Contains("track"));
            }

            var seen = HandWrittenTak.DecodeMessage(bytes, CotLimits.NodeWritten, TakMessageGenerator.Now).Event!;
            Assert.Equal(Sample.Canonical(evt, milliseconds: true, extraAttributes: false, unsignedZero: true), Sample.Canonical(seen, unsignedZero: true));
            count++;
        }

        output.WriteLine($"{count} events encoded by the node decoded by hand to the same event");
    }

    [Fact]
    public void The_node_writes_the_same_bytes_as_the_hand_written_encoder()
    {
        var count = 0;
        // Left out: a -0 in the point (proto3 does not write it), and a detail not in canonical form
        // (whitespace between elements, <x></x> for <x/>), which the hand-written encoder keeps verbatim
        // only when no element could be typed (a shortcut that looks for the typed names as text).
        foreach (var evt in SourceEvents().Where(e => !HasNegativeZero(e.Point) && e.Detail.InnerXml == string.Concat(e.Detail.Elements.Select(x => x.ToXml()))))
        {
            // Same bytes, not only the same fields: both write fields in number order and make the
            // same split between typed messages and xmlDetail.
            var hand = HandWrittenTak.EncodeMessage(evt);
            var generated = TakProto.EncodeMessage(evt);
            Assert.True(generated.AsSpan().SequenceEqual(hand), $"event {count}:\n{Sample.Canonical(evt)}\ngenerated: {Gen.TakMessage.Parser.ParseFrom(generated)}\nhand:      {Gen.TakMessage.Parser.ParseFrom(hand)}");
            count++;
        }

        output.WriteLine($"{count} events written byte for byte alike");
        Assert.True(count > Events, $"only {count} events compared");
    }

    [Fact]
    public void An_event_round_trips_alike_through_either_codec_in_either_order()
    {
        var count = 0;
        foreach (var evt in SourceEvents())
        {
            var expected = Sample.Canonical(evt, milliseconds: true, extraAttributes: false, unsignedZero: true);

            // hand encode → node decode → node encode → hand decode
            var viaNode = NodeDecode(HandWrittenTak.EncodeMessage(evt));
            Assert.Null(viaNode.Reject);
            Assert.Equal(expected, Sample.Canonical(viaNode.Event!, unsignedZero: true));
            Assert.Equal(expected, Sample.Canonical(HandWrittenTak.DecodeMessage(TakProto.EncodeMessage(viaNode.Event!), CotLimits.NodeWritten, TakMessageGenerator.Now).Event!, unsignedZero: true));

            // node encode → hand decode → hand encode → node decode
            var viaHand = HandDecode(TakProto.EncodeMessage(evt));
            Assert.Null(viaHand.Reject);
            Assert.Equal(expected, Sample.Canonical(TakProto.DecodeMessage(HandWrittenTak.EncodeMessage(viaHand.Event!), CotLimits.NodeWritten, TakMessageGenerator.Now).Event!, unsignedZero: true));
            count++;
        }

        output.WriteLine($"{count} events round-tripped alike through both codecs");
    }

    [Fact]
    public void A_control_message_round_trips_alike_through_either_codec()
    {
        var random = new Random(5);
        for (var n = 0; n < 500; n++)
        {
            var control = new TakControl((uint)random.NextInt64(0, 1L + uint.MaxValue), n % 7 == 0 ? uint.MaxValue : (uint)random.Next(), n % 3 == 0 ? null : "ANDROID-" + n + "-さくら");
            Assert.Equal(HandWrittenTak.EncodeMessage(null, control), TakProto.EncodeMessage(null, control));
            Assert.Equal((null, control), TakProto.DecodeMessage(HandWrittenTak.EncodeMessage(null, control)));
            Assert.Equal((null, control), HandWrittenTak.DecodeMessage(TakProto.EncodeMessage(null, control)));
        }
    }

    /// <summary>Events from the XML generator of the property tests, and every generated message the decoder accepts.</summary>
    private static IEnumerable<CotEvent> SourceEvents()
    {
        var random = new Random(1116);
        for (var n = 0; n < Events; n++)
        {
            yield return CotXml.Decode(RoundTripPropertyTests.GenerateEvent(random, canonical: random.Next(2) == 0, extraAttributes: false), CotLimits.NodeWritten);
        }

        var generator = new TakMessageGenerator(seed: 1117);
        for (var n = 0; n < Events; n++)
        {
            if (HandDecode(generator.Message().ToByteArray()).Event is { } evt)
            {
                yield return evt;
            }
        }
    }

    private static (CotEvent? Event, TakControl? Control, CotRejectReason? Reject) HandDecode(byte[] bytes)
        => Outcome(() => HandWrittenTak.DecodeMessage(bytes, Limits, TakMessageGenerator.Now));

    private static (CotEvent? Event, TakControl? Control, CotRejectReason? Reject) NodeDecode(byte[] bytes)
        => Outcome(() => TakProto.DecodeMessage(bytes, Limits, TakMessageGenerator.Now));

    private static (CotEvent? Event, TakControl? Control, CotRejectReason? Reject) Outcome(Func<(CotEvent?, TakControl?)> decode)
    {
        try
        {
            var (evt, control) = decode();
            return (evt, control, null);
        }
        catch (CotFormatException e)
        {
            return (null, null, e.Reason);
        }
    }

    /// <summary>One fault: a byte changed, a wire type bit flipped, the message cut short, or bytes appended.</summary>
    private static byte[] Damage(byte[] bytes, Random random)
    {
        var damaged = (byte[])bytes.Clone();
        var at = random.Next(damaged.Length);
        switch (random.Next(4))
        {
            case 0:
                damaged[at] = (byte)random.Next(256);
                return damaged;
            case 1:
                damaged[at] ^= (byte)(1 << random.Next(3));
                return damaged;
            case 2:
                return damaged[..at];
            default:
                var tail = new byte[1 + random.Next(4)];
                random.NextBytes(tail);
                return [.. damaged, .. tail];
        }
    }

    private static bool Same(CotEvent? a, CotEvent? b)
        => a is null ? b is null : b is not null && Sample.Canonical(a) == Sample.Canonical(b);

    private static string Show(CotEvent? e) => e is null ? "(none)" : Sample.Canonical(e);

    private static bool HasNegativeZero(CotPoint p)
        => new[] { p.Lat, p.Lon, p.Hae, p.Ce, p.Le }.Any(v => v == 0 && double.IsNegative(v));
}
