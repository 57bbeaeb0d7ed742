using Kizuna.Core.Alliance;
using Kizuna.Core.Labels;

namespace Kizuna.Core.Tests.Labels;

/// <summary><see cref="LabelPolicy.Combine"/>: the label of data fused from several labelled inputs.</summary>
public sealed class LabelCombineTests
{
    private static readonly LabelPolicy Policy = new(ProfileLoader.LoadDefault());

    [Fact]
    public void The_highest_classification_and_only_the_nations_every_input_is_releasable_to()
    {
        var combined = Policy.Combine([
            Policy.Create("UNCLASSIFIED", ["USA", "JPN", "KOR"]),
            Policy.Create("CONFIDENTIAL", ["USA", "JPN"]),
        ]);

        Assert.Equal("CONFIDENTIAL", combined.Classification);
        Assert.Equal(["USA", "JPN"], combined.ReleasableTo);
    }

    [Fact]
    public void A_japan_only_input_makes_the_result_japan_only()
    {
        var combined = Policy.Combine([Policy.Create("UNCLASSIFIED", ["USA", "JPN", "KOR"]), Policy.Create("UNCLASSIFIED", ["JPN"])]);
        Assert.Equal(["JPN"], combined.ReleasableTo);
        Assert.Equal("UNCLASSIFIED//REL TO JPN", combined.Banner);
    }

    [Fact]
    public void Inputs_released_to_disjoint_nations_give_a_label_nobody_may_read()
    {
        var combined = Policy.Combine([Policy.Create("UNCLASSIFIED", ["JPN"]), Policy.Create("UNCLASSIFIED", ["KOR"])]);
        Assert.Empty(combined.ReleasableTo);
    }

    [Fact]
    public void Restrictive_values_are_united_permissive_ones_intersected_informative_ones_united()
    {
        var a = Policy.Create("SECRET", ["USA", "JPN"], [
            new LabelCategory("SAP", CategoryType.Restrictive, ["MWX"]),
            new LabelCategory("MISSION", CategoryType.Permissive, ["A", "B"]),
            new LabelCategory("NOTE", CategoryType.Informative, ["x"]),
        ]);
        var b = Policy.Create("SECRET", ["USA", "JPN"], [
            new LabelCategory("SAP", CategoryType.Restrictive, ["SEA"]),
            new LabelCategory("MISSION", CategoryType.Permissive, ["B", "C"]),
            new LabelCategory("NOTE", CategoryType.Informative, ["y"]),
        ]);

        var combined = Policy.Combine([a, b]);

        Assert.Equal(["MWX", "SEA"], combined.Categories.Single(c => c.Name == "SAP").Values);
        Assert.Equal(["B"], combined.Categories.Single(c => c.Name == "MISSION").Values);
        Assert.Equal(["x", "y"], combined.Categories.Single(c => c.Name == "NOTE").Values);
    }

    [Fact]
    public void A_category_name_used_with_two_types_takes_the_stricter()
    {
        var a = Policy.Create("UNCLASSIFIED", ["JPN"], [new LabelCategory("C", CategoryType.Permissive, ["A"])]);
        var b = Policy.Create("UNCLASSIFIED", ["JPN"], [new LabelCategory("C", CategoryType.Restrictive, ["B"])]);

        var combined = Policy.Combine([a, b]);

        var category = Assert.Single(combined.Categories);
        Assert.Equal(CategoryType.Restrictive, category.Type);
        Assert.Equal(["A", "B"], category.Values);
    }

    [Fact]
    public void Caveats_are_joined_once_each_in_a_fixed_order()
    {
        var combined = Policy.Combine([
            Policy.Create("UNCLASSIFIED", ["JPN"], caveat: "EXERCISE"),
            Policy.Create("UNCLASSIFIED", ["JPN"], caveat: "DRILL"),
            Policy.Create("UNCLASSIFIED", ["JPN"], caveat: "EXERCISE"),
        ]);
        Assert.Equal("DRILL/EXERCISE", combined.Caveat);
    }

    [Fact]
    public void The_order_of_the_inputs_does_not_matter_and_one_label_combines_to_itself()
    {
        var a = Policy.Create("CONFIDENTIAL", ["USA", "JPN"], [new LabelCategory("SAP", CategoryType.Restrictive, ["MWX"])], "EXERCISE");
        var b = Policy.Create("UNCLASSIFIED", ["JPN", "KOR"], [new LabelCategory("SAP", CategoryType.Restrictive, ["SEA"])]);

        Assert.Equal(Policy.Combine([a, b]), Policy.Combine([b, a]));
        Assert.Equal(a, Policy.Combine([a]));
    }

    [Fact]
    public void No_labels_or_a_label_of_another_policy_cannot_be_combined()
    {
        Assert.Throws<ArgumentException>(() => Policy.Combine([]));

        var other = new LabelPolicy(ProfileLoader.Parse(TestProfiles.Minimal(), TestProfiles.Source));
        Assert.Throws<ArgumentException>(() => Policy.Combine([Policy.Create("UNCLASSIFIED", ["JPN"]), other.Create("UNCLASSIFIED", ["JPN"])]));
    }
}
