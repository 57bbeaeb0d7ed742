namespace Kizuna.Core.Alliance;

/// <summary>One thing wrong with a profile file: the 1-based line it is on (0 when it concerns the whole file) and a sentence saying what.</summary>
public sealed record ProfileProblem(int Line, string Message)
{
    /// <summary><c>{source}:{line}: {message}</c>, or <c>{source}: {message}</c> for a problem with the whole file.</summary>
    public string Format(string source) => Line > 0 ? $"{source}:{Line}: {Message}" : $"{source}: {Message}";
}

/// <summary>
/// A profile was refused. <see cref="Problems"/> holds every problem found (not just the first),
/// in line order; <see cref="Exception.Message"/> lists them one per line as <c>{source}:{line}: {message}</c>.
/// </summary>
public sealed class ProfileException : Exception
{
    public ProfileException(string source, IReadOnlyList<ProfileProblem> problems)
        : base(FormatMessage(source, problems))
    {
        ProfileSource = source;
        Problems = problems;
    }

    /// <summary>Where the refused profile came from (a file path, or <c>embedded:NAME</c>).</summary>
    public string ProfileSource { get; }

    public IReadOnlyList<ProfileProblem> Problems { get; }

    private static string FormatMessage(string source, IReadOnlyList<ProfileProblem> problems)
        => string.Join('\n', problems.Select(p => p.Format(source)));
}
