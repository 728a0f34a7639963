namespace ComputeGrid.Domain.Jobs;

/// <summary>
/// What a data-center agent runs for a job: a local process. A job without a command runs on the simulated executor
/// (for its declared run time); a job with one is placed only where an agent allows its tenant, and its declared run time
/// is its wall-time limit.
/// </summary>
/// <param name="Executable">The program: a path, or a name looked up on the agent's PATH.</param>
/// <param name="Arguments">Its arguments, passed as they are (no shell unless the executable is one).</param>
/// <param name="Environment">Variables added to the agent's minimal job environment.</param>
/// <param name="WorkingDirectory">Relative to the job's own directory under the agent's work root; null for that directory.</param>
/// <param name="RequeueIfLost">When the agent loses the process (its machine or the agent died), run it again elsewhere (true) or fail it (false).</param>
public sealed record JobCommand(
    string Executable,
    IReadOnlyList<string> Arguments,
    IReadOnlyDictionary<string, string> Environment,
    string? WorkingDirectory = null,
    bool RequeueIfLost = true)
{
    /// <summary>Most arguments.</summary>
    public const int MaxArguments = 256;

    /// <summary>Most environment variables.</summary>
    public const int MaxEnvironment = 128;

    /// <summary>Longest executable, argument, variable or directory, in characters.</summary>
    public const int MaxLength = 4096;

    /// <summary>Checks the command; field names start with <c>command.</c>.</summary>
    public static List<ValidationError> Validate(JobCommand command)
    {
        var errors = new List<ValidationError>();
        if (string.IsNullOrWhiteSpace(command.Executable))
        {
            errors.Add(new("command.executable", "must not be empty"));
        }
        else if (!IsText(command.Executable))
        {
            errors.Add(new("command.executable", $"must be at most {MaxLength} characters without control characters"));
        }

        var arguments = command.Arguments ?? [];
        if (arguments.Count > MaxArguments)
        {
            errors.Add(new("command.arguments", $"must have at most {MaxArguments} items"));
        }

        for (var i = 0; i < arguments.Count && i < MaxArguments; i++)
        {
            if (arguments[i] is null || arguments[i].Length > MaxLength || arguments[i].Contains('\0', StringComparison.Ordinal))
            {
                errors.Add(new($"command.arguments[{i}]", $"must be at most {MaxLength} characters without NUL"));
            }
        }

        var environment = command.Environment ?? new Dictionary<string, string>();
        if (environment.Count > MaxEnvironment)
        {
            errors.Add(new("command.environment", $"must have at most {MaxEnvironment} variables"));
        }

        foreach (var (name, value) in environment)
        {
            if (!IsVariableName(name))
            {
                errors.Add(new($"command.environment.{name}", "a variable name is letters, digits and '_', not starting with a digit"));
            }
            else if (value is null || value.Length > MaxLength || value.Contains('\0', StringComparison.Ordinal))
            {
                errors.Add(new($"command.environment.{name}", $"must be at most {MaxLength} characters without NUL"));
            }
        }

        if (command.WorkingDirectory is { } directory &&
            (!IsText(directory) || Path.IsPathRooted(directory) || directory.Split('/', '\\').Contains("..", StringComparer.Ordinal)))
        {
            errors.Add(new("command.workingDirectory", "must be a relative path inside the job's directory (no '..', not rooted)"));
        }

        return errors;
    }

    private static bool IsText(string value) => value.Length is > 0 and <= MaxLength && !value.Any(char.IsControl);

    private static bool IsVariableName(string name) =>
        name is { Length: > 0 and <= 256 } && !char.IsAsciiDigit(name[0]) && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');
}
