using System.Text.Json;
using System.Text.Json.Nodes;

namespace Kizuna.Interop.Tests.Infrastructure;

/// <summary>
/// One run of a script in tests/interop under node. The scripts print one JSON object per
/// line on stdout; this reads them back and waits on them, always with a bound.
/// </summary>
public sealed class NodeScript : IAsyncDisposable
{
    /// <summary>Bound on every network wait in these tests.</summary>
    public static readonly TimeSpan NetworkTimeout = TimeSpan.FromSeconds(30);

    private NodeScript(ChildProcess process) => Process = process;

    public ChildProcess Process { get; }

    /// <summary>Starts <c>node tests/interop/SCRIPT ARGS</c>; stdin stays open for commands.</summary>
    public static NodeScript Start(string script, params string[] arguments) => Start(null, script, arguments);

    /// <summary>As <see cref="Start(string, string[])"/>; failures also show <paramref name="peer"/>'s last output.</summary>
    public static NodeScript Start(ChildProcess? peer, string script, params string[] arguments)
    {
        InteropPaths.RequireNodeModules();
        var path = Path.Combine(InteropPaths.NpmPackage, script);
        if (!File.Exists(path))
        {
            throw new InvalidOperationException($"No script {path}.");
        }

        var process = ChildProcess.Start(
            "node",
            [path, .. arguments],
            InteropPaths.NpmPackage,
            redirectStandardInput: true,
            environment: new Dictionary<string, string> { ["NODE_NO_WARNINGS"] = "1" });
        if (peer is not null)
        {
            process.FailureContext = () => $"--- {peer.Description} (last 40 lines) ---{Environment.NewLine}{peer.Tail(40)}";
        }

        return new NodeScript(process);
    }

    /// <summary>Runs a script to the end, feeding it <paramref name="inputLines"/> on stdin.</summary>
    public static Task<ScriptResult> RunAsync(string script, IEnumerable<string> inputLines, params string[] arguments) =>
        RunAsync(null, script, inputLines, arguments);

    /// <summary>As <see cref="RunAsync(string, IEnumerable{string}, string[])"/>; failures also show <paramref name="peer"/>'s last output.</summary>
    public static async Task<ScriptResult> RunAsync(ChildProcess? peer, string script, IEnumerable<string> inputLines, params string[] arguments)
    {
        await using var run = Start(peer, script, arguments);
        foreach (var line in inputLines)
        {
            await run.Process.WriteLineAsync(line);
        }

        run.Process.CloseStandardInput();
        var code = await run.Process.WaitForExitAsync(NetworkTimeout);
        return new ScriptResult(code, run.Messages, run.Process);
    }

    /// <summary>Every JSON line printed so far (lines that are not JSON objects are skipped).</summary>
    public IReadOnlyList<JsonObject> Messages => [.. Process.StandardOutputLines.Select(TryParse).OfType<JsonObject>()];

    /// <summary>The first message whose "event" is <paramref name="eventName"/> and that matches.</summary>
    public async Task<JsonObject> WaitForEventAsync(string eventName, Func<JsonObject, bool>? match = null)
    {
        var line = await Process.WaitForLineAsync(
            line => TryParse(line) is { } message && message.Event() == eventName && (match?.Invoke(message) ?? true),
            NetworkTimeout,
            $"\"{eventName}\" line");
        return TryParse(line)!;
    }

    public ValueTask DisposeAsync() => Process.DisposeAsync();

    internal static JsonObject? TryParse(string line)
    {
        if (!line.StartsWith('{'))
        {
            return null;
        }

        try
        {
            return JsonNode.Parse(line) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary>What a finished script printed.</summary>
public sealed record ScriptResult(int ExitCode, IReadOnlyList<JsonObject> Messages, ChildProcess Process)
{
    /// <summary>Fails with the script's output unless it exited with 0.</summary>
    public ScriptResult EnsureSuccess()
    {
        if (ExitCode != 0)
        {
            throw Process.Failure($"exited with code {ExitCode}");
        }

        return this;
    }

    /// <summary>The answer with this "id" (cot-roundtrip.mjs answers one line per request).</summary>
    public JsonObject Answer(string id) =>
        Messages.FirstOrDefault(m => m.Str("id") == id)
        ?? throw Process.Failure($"no answer for request {id}");
}

public static class JsonObjectExtensions
{
    public static string? Event(this JsonObject message) => message.Str("event");

    public static string? Str(this JsonObject message, string name) =>
        message[name] is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;

    public static double? Num(this JsonObject message, string name) =>
        message[name] is JsonValue value && value.TryGetValue<double>(out var number) ? number : null;

    public static bool? Bool(this JsonObject message, string name) =>
        message[name] is JsonValue value && value.TryGetValue<bool>(out var flag) ? flag : null;
}
