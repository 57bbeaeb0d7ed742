namespace Kizuna.Core.Labels;

/// <summary>The outcome of an access decision: permitted, or the first rule that denies.</summary>
public enum AccessDecision
{
    Permit,

    /// <summary>The label belongs to a security policy the recipient is not cleared under.</summary>
    PolicyMismatch,

    /// <summary>The classification is above the recipient's clearance.</summary>
    AboveClearance,

    /// <summary>The recipient's nation is not among the nations the event is releasable to.</summary>
    NotReleasable,

    /// <summary>A permissive category where the recipient holds none of the values.</summary>
    PermissiveCategoryNotHeld,

    /// <summary>A restrictive category where the recipient lacks one of the values.</summary>
    RestrictiveCategoryNotHeld,
}

/// <summary>
/// The one access decision. Every exit (stream delivery, latest-state replay, directed
/// messages, the REST API and its queries, and everything built on them) asks here, and
/// nowhere else, whether a recipient may have an event.
/// </summary>
public static class AccessControl
{
    /// <summary>
    /// Policy must match; the classification must be at or under the recipient's clearance; a
    /// permissive category passes if any of its values is held, a restrictive one only if all
    /// are; informative categories are not checked. "Releasable to" is permissive over nations.
    /// </summary>
    public static AccessDecision Decide(Principal recipient, ConfidentialityLabel label)
    {
        if (!string.Equals(recipient.Policy, label.Policy, StringComparison.Ordinal))
        {
            return AccessDecision.PolicyMismatch;
        }

        if (label.Level > recipient.ClearanceLevel)
        {
            return AccessDecision.AboveClearance;
        }

        if ((label.ReleasableMask & recipient.NationBit) == 0)
        {
            return AccessDecision.NotReleasable;
        }

        foreach (var category in label.Categories)
        {
            switch (category.Type)
            {
                case CategoryType.Permissive when !HoldsAny(recipient, category):
                    return AccessDecision.PermissiveCategoryNotHeld;
                case CategoryType.Restrictive when !HoldsAll(recipient, category):
                    return AccessDecision.RestrictiveCategoryNotHeld;
            }
        }

        return AccessDecision.Permit;
    }

    public static bool Permits(Principal recipient, ConfidentialityLabel label) => Decide(recipient, label) == AccessDecision.Permit;

    /// <summary>A sentence for logs and refusals; it names rules and levels, never the event's content.</summary>
    public static string Describe(this AccessDecision decision) => decision switch
    {
        AccessDecision.Permit => "permitted",
        AccessDecision.PolicyMismatch => "the label belongs to another security policy",
        AccessDecision.AboveClearance => "the classification is above the clearance",
        AccessDecision.NotReleasable => "not releasable to the nation",
        AccessDecision.PermissiveCategoryNotHeld => "none of the values of a permissive category is held",
        AccessDecision.RestrictiveCategoryNotHeld => "a value of a restrictive category is not held",
        _ => decision.ToString(),
    };

    private static bool HoldsAny(Principal recipient, LabelCategory category)
    {
        foreach (var value in category.Values)
        {
            if (recipient.Holds(category.Name, value))
            {
                return true;
            }
        }

        return false;
    }

    private static bool HoldsAll(Principal recipient, LabelCategory category)
    {
        foreach (var value in category.Values)
        {
            if (!recipient.Holds(category.Name, value))
            {
                return false;
            }
        }

        return true;
    }
}
