using Kizuna.Core.Coordination;

namespace Kizuna.Core.Tests.Coordination;

/// <summary>
/// The merge rule's parts (docs/dev/coordination-federation.md): the total order of two steps made
/// on the same version, and a request rewound to the version where two histories part.
/// </summary>
public sealed class CoordinationMergeRuleTests
{
    private static readonly DateTime T = new(2026, 12, 8, 1, 0, 0, DateTimeKind.Utc);

    private static CoordinationTransition Step(string state, string by, string organization, DateTime at, string? note = null) => new(state, by, organization, at, note);

    [Fact]
    public void The_earlier_step_comes_first_whichever_organization_made_it()
    {
        var withdrawn = Step(CoordinationStates.Withdrawn, "usfj-j3", "USFJ", T);
        var countered = Step(CoordinationStates.Countered, "jjoc-j3", "JJOC", T.AddMilliseconds(1), "One hour");
        Assert.True(CoordinationTransition.Precedes(withdrawn, countered));
        Assert.False(CoordinationTransition.Precedes(countered, withdrawn));
    }

    [Fact]
    public void Within_one_millisecond_the_organization_then_the_identity_decides_as_CoT_carries_no_finer_time()
    {
        // A node holds its own step to the tick until it is stored; the partner sees it to the millisecond.
        var jjoc = Step(CoordinationStates.Withdrawn, "jjoc-j3", "JJOC", T.AddTicks(9_000));
        var usfj = Step(CoordinationStates.Countered, "usfj-j3", "USFJ", T, "One hour");
        Assert.True(CoordinationTransition.Precedes(jjoc, usfj));
        Assert.False(CoordinationTransition.Precedes(usfj, jjoc));

        var first = Step(CoordinationStates.Acknowledged, "usfj-a", "USFJ", T);
        var second = Step(CoordinationStates.Acknowledged, "usfj-b", "USFJ", T);
        Assert.True(CoordinationTransition.Precedes(first, second));
        Assert.False(CoordinationTransition.Precedes(second, first));
    }

    [Fact]
    public void Of_two_different_steps_exactly_one_comes_first_and_a_step_never_precedes_itself()
    {
        CoordinationTransition[] steps =
        [
            Step(CoordinationStates.Acknowledged, "usfj-j3", "USFJ", T),
            Step(CoordinationStates.Countered, "usfj-j3", "USFJ", T, "One hour"),
            Step(CoordinationStates.Countered, "usfj-j3", "USFJ", T, "Two hours"),
            Step(CoordinationStates.Withdrawn, "jjoc-j3", "JJOC", T),
            Step(CoordinationStates.Received, "node", string.Empty, T),
            Step(CoordinationStates.Withdrawn, "jjoc-j3", "JJOC", T.AddSeconds(1)),
        ];
        foreach (var a in steps)
        {
            Assert.False(CoordinationTransition.Precedes(a, a));
            foreach (var b in steps.Where(b => !ReferenceEquals(a, b)))
            {
                Assert.True(CoordinationTransition.Precedes(a, b) ^ CoordinationTransition.Precedes(b, a), $"{a} and {b}");
            }
        }
    }

    [Fact]
    public void A_request_rewound_to_where_two_histories_part_has_that_version_s_state_proposal_and_reason_and_keeps_counting_versions()
    {
        var request = new CoordinationRequest(
            "C-1", "JJOC", "USFJ", "counterparts", "Airspace", "Text", CoordinationPriorities.Immediate, T.AddHours(1), [], "CONFIDENTIAL//REL TO USA, JPN",
            CoordinationStates.Sent, null, null, 1, [Step(CoordinationStates.Sent, "jjoc-j3", "JJOC", T)], [])
            .With(CoordinationStates.Received, "node", string.Empty, T.AddSeconds(1), null)
            .With(CoordinationStates.Countered, "usfj-j3", "USFJ", T.AddSeconds(2), "One hour")
            .With(CoordinationStates.Declined, "jjoc-j3", "JJOC", T.AddSeconds(3), "No");

        var rewound = request.Rewound(3);
        Assert.Equal(CoordinationStates.Countered, rewound.State);
        Assert.Equal("One hour", rewound.Proposal);
        Assert.Null(rewound.Reason);
        Assert.Equal(request.Version, rewound.Version);
        Assert.Equal(request.History.Take(3), rewound.History);

        var back = request.Rewound(2);
        Assert.Equal((CoordinationStates.Received, (string?)null), (back.State, back.Proposal));
        Assert.Equal(request.Version + 1, back.With(CoordinationStates.Withdrawn, "jjoc-j3", "JJOC", T.AddSeconds(4), null).Version);
    }

    [Fact]
    public void A_step_is_kept_to_the_whole_millisecond_as_CoT_carries_it()
    {
        var request = new CoordinationRequest(
            "C-1", "JJOC", "USFJ", "counterparts", "Airspace", "Text", CoordinationPriorities.Immediate, T.AddHours(1), [], "CONFIDENTIAL//REL TO USA, JPN",
            CoordinationStates.Sent, null, null, 1, [Step(CoordinationStates.Sent, "jjoc-j3", "JJOC", T)], []);
        var at = request.With(CoordinationStates.Received, "node", string.Empty, T.AddTicks(12_345), null).History[^1].At;
        Assert.Equal(T.AddMilliseconds(1), at);
        Assert.Equal(DateTimeKind.Utc, at.Kind);
    }
}
