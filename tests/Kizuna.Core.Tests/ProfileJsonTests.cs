using Kizuna.Core.Alliance;

namespace Kizuna.Core.Tests;

public class ProfileJsonTests
{
    [Theory]
    [InlineData("")]
    [InlineData("   \n")]
    public void An_empty_file_is_refused(string json)
    {
        var ex = Assert.Throws<ProfileException>(() => ProfileLoader.Parse(json, "empty.json"));
        Assert.StartsWith("empty.json:", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_UTF8_in_a_string_is_refused_with_its_line()
    {
        byte[] bytes = [.. "{\n  \"format\": \""u8, 0xC3, 0x28, .. "\"\n}\n"u8];
        var ex = Assert.Throws<ProfileException>(() => ProfileLoader.Parse(bytes, "bad.json"));
        Assert.Equal(2, Assert.Single(ex.Problems).Line);
    }

    [Fact]
    public void Nesting_deeper_than_64_levels_is_refused()
    {
        var json = new string('[', 100) + new string(']', 100);
        var ex = Assert.Throws<ProfileException>(() => ProfileLoader.Parse(json, "deep.json"));
        Assert.Contains("JSON syntax error", Assert.Single(ex.Problems).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_profile_that_is_not_an_object_is_refused()
    {
        var ex = Assert.Throws<ProfileException>(() => ProfileLoader.Parse("\n[1, 2]", "array.json"));
        Assert.Equal("array.json:2: a profile is a JSON object, but the file holds an array", ex.Message);
    }

    [Fact]
    public void Lines_are_counted_after_a_byte_order_mark_and_CRLF_line_ends()
    {
        var json = "\uFEFF{\r\n  \"format\": \"kizuna-alliance-profile\",\r\n  \"formatVersion\": 7\r\n}\r\n";
        var ex = Assert.Throws<ProfileException>(() => ProfileLoader.Parse(json, "crlf.json"));
        Assert.Equal(3, Assert.Single(ex.Problems).Line);
    }
}
