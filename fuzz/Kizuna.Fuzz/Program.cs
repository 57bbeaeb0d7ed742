using Kizuna.Fuzz;
using SharpFuzz;

// fuzz/run.sh xml|tak [seconds]: afl-fuzz runs this with the target's name; each input arrives on stdin.
// With a file argument after the target, runs that one input (to replay a finding).
if (args is ["seeds", var directory])
{
    Seeds.Write(directory);
    return 0;
}

if (args.Length == 0 || args[0] is not ("xml" or "tak"))
{
    Console.Error.WriteLine("usage: Kizuna.Fuzz xml|tak [input-file] | seeds DIR");
    return 2;
}

Action<ReadOnlySpan<byte>> target = args[0] == "xml" ? FuzzTargets.Xml : FuzzTargets.Tak;
if (args.Length > 1)
{
    target(File.ReadAllBytes(args[1]));
    return 0;
}

Fuzzer.OutOfProcess.Run(stream =>
{
    using var memory = new MemoryStream();
    stream.CopyTo(memory);
    target(memory.GetBuffer().AsSpan(0, (int)memory.Length));
});
return 0;
