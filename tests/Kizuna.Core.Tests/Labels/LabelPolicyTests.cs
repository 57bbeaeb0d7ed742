using Kizuna.Core.Alliance;
using Kizuna.Core.Labels;
using Kizuna.Cot;

namespace Kizuna.Core.Tests.Labels;

/// <summary>What a sender may apply, how a label is read from CoT, and how it is stamped back on.</summary>
public sealed class LabelPolicyTests
{
    private static readonly LabelPolicy Policy = new(ProfileLoader.LoadDefault());

    private static Principal Who(string org, string clearance, params string[] authorizations)
    {
        var organization = Policy.Profile.FindOrganization(org)!;
        Assert.True(Policy.TryCreatePrincipal(new IdentityClaims("t", organization.Nation, org, "operator", clearance, authorizations), out var principal, out var reason), reason);
        return principal;
    }

    private static CotEvent Event(string? access = null, string? releasableTo = null, string? caveat = null, string detail = "")
    {
        var now = DateTime.UtcNow;
        return new CotEvent
        {
            Uid = "u",
            Type = "a-f-G",
            Time = now,
            Start = now,
            Stale = now.AddMinutes(1),
            Access = access,
            ReleasableTo = releasableTo,
            Caveat = caveat,
            Detail = CotDetail.FromXml("<contact callsign=\"X\"/>" + detail),
        };
    }

    [Fact]
    public void An_unlabelled_event_gets_the_organizations_default_classification_released_to_its_nation_only()
    {
        var evt = Event();
        var verdict = Policy.Accept(evt, Who("USFJ", "SECRET"));
        Assert.True(verdict.Accepted, verdict.Reason);
        Assert.Equal(Policy.Profile.FindOrganization("USFJ")!.DefaultClassification, verdict.Label.Classification);
        Assert.Equal(["USA"], verdict.Label.ReleasableTo);
    }

    [Theory]
    [InlineData("Undefined")]
    [InlineData("")]
    public void ATAKs_undefined_access_counts_as_no_label(string access)
    {
        var verdict = Policy.Accept(Event(access), Who("JJOC", "SECRET"));
        Assert.True(verdict.Accepted, verdict.Reason);
        Assert.Equal(["JPN"], verdict.Label.ReleasableTo);
    }

    [Theory]
    [InlineData("USA,JPN")]
    [InlineData("USA, JPN")]
    [InlineData("JPN USA")]
    [InlineData("USA")]
    public void ReleasableTo_accepts_commas_and_spaces_and_always_includes_the_originators_nation(string releasableTo)
    {
        var verdict = Policy.Accept(Event("secret", releasableTo), Who("JJOC", "SECRET"));
        Assert.True(verdict.Accepted, verdict.Reason);
        Assert.Equal("SECRET", verdict.Label.Classification);
        Assert.Equal(["USA", "JPN"], verdict.Label.ReleasableTo);
    }

    [Fact]
    public void A_plain_label_is_stamped_in_the_attributes_alone()
    {
        var evt = Event("CONFIDENTIAL", "KOR", caveat: "EXERCISE");
        var verdict = Policy.Accept(evt, Who("ROK-JCS", "SECRET"));
        Assert.True(verdict.Accepted, verdict.Reason);
        Assert.Equal("CONFIDENTIAL", evt.Access);
        Assert.Equal("KOR", evt.ReleasableTo);
        Assert.Equal("EXERCISE", evt.Caveat);
        Assert.Null(evt.Detail.Label);
        Assert.Equal(verdict.Label, Policy.Read(evt));
    }

    [Fact]
    public void A_label_with_categories_is_stamped_with_attributes_and_the_label_element()
    {
        var evt = Event(detail: $"<__label policy=\"{Policy.PolicyId}\" classification=\"SECRET\" releasableTo=\"USA\"><category name=\"SAP\" type=\"restrictive\" values=\"MWX\"/></__label>");
        var verdict = Policy.Accept(evt, Who("JJOC", "SECRET", "SAP:MWX"));
        Assert.True(verdict.Accepted, verdict.Reason);
        Assert.Equal("SECRET", evt.Access);
        Assert.Equal("USA,JPN", evt.ReleasableTo);
        var element = evt.Detail.Label!;
        Assert.Equal(Policy.PolicyId, element.Attribute("policy"));
        Assert.Equal("SECRET", element.Attribute("classification"));
        Assert.Equal("USA,JPN", element.Attribute("releasableTo"));
        Assert.Equal("restrictive", Assert.Single(element.Children).Attribute("type"));
        Assert.Equal("X", evt.Detail.ContactCallsign);

        // Read back, the stamped event gives the same label, and stamping again changes nothing.
        Assert.Equal(verdict.Label, Policy.Read(evt));
        var detail = evt.Detail;
        Assert.True(Policy.Accept(evt, Who("JJOC", "SECRET", "SAP:MWX")).Accepted);
        Assert.Same(detail, evt.Detail);
    }

    [Fact]
    public void A_stale_label_element_is_replaced_in_place_not_duplicated()
    {
        var evt = Event(detail: $"<__label policy=\"{Policy.PolicyId}\" classification=\"UNCLASSIFIED\" releasableTo=\"USA\"/><remarks>r</remarks>");
        var verdict = Policy.Accept(evt, Who("JJOC", "SECRET"));
        Assert.True(verdict.Accepted, verdict.Reason);
        Assert.Equal(["USA", "JPN"], verdict.Label.ReleasableTo);
        Assert.Single(evt.Detail.Elements, e => e.Name == CotDetail.LabelElementName);
        Assert.Equal(["contact", "__label", "remarks"], evt.Detail.Elements.Select(e => e.Name).ToArray());
    }

    public static TheoryData<string?, string?, string, string, LabelRefusal> Refusals => new()
    {
        // access, releasableTo, extra detail, sender clearance, refusal
        { "TOP SECRET", null, "", "SECRET", LabelRefusal.MalformedLabel },
        { "SECRET", "JPN,XXX", "", "SECRET", LabelRefusal.MalformedLabel },
        { "SECRET", "JPN,JP", "", "SECRET", LabelRefusal.MalformedLabel },
        { "SECRET", null, "", "CONFIDENTIAL", LabelRefusal.AboveClearance },
        { null, null, "<__label policy=\"urn:x\" classification=\"SECRET\"/>", "SECRET", LabelRefusal.ForeignPolicy },
        { null, null, "<__label classification=\"SECRET\"/>", "SECRET", LabelRefusal.MalformedLabel },
        { "SECRET", null, "<__label policy=\"urn:kizuna:policy:us-jpn-kor\" classification=\"UNCLASSIFIED\"/>", "SECRET", LabelRefusal.MalformedLabel },
        { null, "USA", "<__label policy=\"urn:kizuna:policy:us-jpn-kor\" classification=\"SECRET\" releasableTo=\"KOR\"/>", "SECRET", LabelRefusal.MalformedLabel },
        { null, null, "<__label policy=\"urn:kizuna:policy:us-jpn-kor\" classification=\"SECRET\"><x/></__label>", "SECRET", LabelRefusal.MalformedLabel },
        { null, null, "<__label policy=\"urn:kizuna:policy:us-jpn-kor\" classification=\"SECRET\"><category name=\"SAP\" type=\"restrictive\" values=\"MWX\"/></__label>", "SECRET", LabelRefusal.CategoryNotHeld },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public void A_label_the_sender_may_not_apply_is_refused_with_its_reason(string? access, string? releasableTo, string detail, string clearance, LabelRefusal expected)
    {
        var evt = Event(access, releasableTo, detail: detail);
        var before = evt.Detail;
        var verdict = Policy.Accept(evt, Who("JJOC", clearance));
        Assert.False(verdict.Accepted);
        Assert.Equal(expected, verdict.Refusal);
        Assert.False(string.IsNullOrWhiteSpace(verdict.Reason));
        Assert.Same(before, evt.Detail);
    }

    [Fact]
    public void The_plain_tcp_listener_may_release_only_to_the_hosting_nation()
    {
        var anonymous = Policy.Anonymous("JJOC", "tcp:127.0.0.1:1");
        Assert.True(Policy.Accept(Event(null, "JPN"), anonymous).Accepted);
        var wide = Policy.Accept(Event(null, "USA,JPN"), anonymous);
        Assert.Equal(LabelRefusal.ReleaseTooWide, wide.Refusal);
        Assert.Contains("USA", wide.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("NOPE", "JPN", "SECRET", "unknown organization")]
    [InlineData("JJOC", "KOR", "SECRET", "not a nation of organization JJOC")]
    [InlineData("JJOC", "XYZ", "SECRET", "unknown nation")]
    [InlineData("JJOC", "JPN", "COSMIC", "unknown clearance")]
    [InlineData("JJOC", "JPN", "UNCLASSIFIED", "below JJOC's default classification")]
    public void An_identity_the_profile_does_not_allow_is_refused_with_a_reason(string org, string nation, string clearance, string reason)
    {
        Assert.False(Policy.TryCreatePrincipal(new IdentityClaims("t", nation, org, "operator", clearance, []), out _, out var why));
        Assert.Contains(reason, why, StringComparison.Ordinal);
    }
}
