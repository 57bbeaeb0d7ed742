using System.Text.Json.Nodes;

namespace Kizuna.Interop.Tests.Infrastructure;

/// <summary>Requests to cot-roundtrip.mjs (one JSON object per line) and its answers.</summary>
internal static class RoundTripRequests
{
    public static string Request(string op, string id, params (string Name, string Value)[] fields)
    {
        var request = new JsonObject { ["op"] = op, ["id"] = id };
        foreach (var (name, value) in fields)
        {
            request[name] = value;
        }

        return request.ToJsonString();
    }

    /// <summary>The answer to request <paramref name="id"/>; fails the test, showing the input, when node-cot refused it.</summary>
    public static JsonObject Parsed(ScriptResult result, string id, string input)
    {
        var answer = result.Answer(id);
        if (answer.Bool("ok") != true)
        {
            Assert.Fail($"node-cot refused Kizuna's output: {answer.Str("error")}{Environment.NewLine}{input}");
        }

        return answer;
    }
}
