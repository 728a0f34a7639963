using System.Globalization;
using System.Text;
using ComputeGrid.Domain.Jobs;

namespace ComputeGrid.Domain.JobArrays;

/// <summary>
/// What a job array is made of: its size limits, its elements' ids and the specification each element runs with
/// (Slurm's <c>%a</c>/<c>%A</c> and <c>SLURM_ARRAY_TASK_ID</c>, HTCondor's <c>queue N</c>).
/// </summary>
public static class JobArrayRules
{
    /// <summary>Most elements in one array.</summary>
    public const int MaxCount = 100_000;

    /// <summary>Longest array id: an element's id (the array id, '-' and up to 5 digits) stays within 128 characters.</summary>
    public const int MaxArrayIdLength = 122;

    /// <summary>The environment variable that carries an element's index (0..size-1) to its command.</summary>
    public const string TaskIdVariable = "COMPUTEGRID_ARRAY_TASK_ID";

    /// <summary>The environment variable that carries the array's id to an element's command.</summary>
    public const string ArrayIdVariable = "COMPUTEGRID_ARRAY_ID";

    /// <summary>The id of element <paramref name="index"/> of <paramref name="arrayId"/>: <c>&lt;arrayId&gt;-&lt;index&gt;</c>.</summary>
    public static string ElementId(string arrayId, int index) => $"{arrayId}-{index.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>
    /// True when <paramref name="jobId"/> has an element's form, <c>&lt;arrayId&gt;-&lt;index&gt;</c> with the index as
    /// <see cref="ElementId"/> writes it (no sign, no leading zero, below <see cref="MaxCount"/>).
    /// </summary>
    public static bool TryParseElementId(string jobId, out string arrayId, out int index)
    {
        var dash = jobId.LastIndexOf('-');
        arrayId = dash > 0 ? jobId[..dash] : string.Empty;
        index = -1;
        var digits = dash > 0 ? jobId.AsSpan(dash + 1) : [];
        if (digits.Length is 0 or > 5 || (digits.Length > 1 && digits[0] == '0')
            || !int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) || parsed >= MaxCount)
        {
            arrayId = string.Empty;
            return false;
        }

        index = parsed;
        return true;
    }

    /// <summary>Checks an array's size and the room its elements need in the template's command.</summary>
    /// <summary>
    /// Every error of a new array's submission under <paramref name="arrayId"/>: the template and size, the id's length,
    /// and (when those hold) the shape of its first element as a job. Empty when it may be accepted.
    /// </summary>
    public static List<ValidationError> ValidateSubmission(JobSpec template, int count, string arrayId)
    {
        var errors = Validate(template, count);
        if (arrayId.Length > MaxArrayIdLength)
        {
            errors.Add(new ValidationError("arrayId", $"must be at most {MaxArrayIdLength} characters"));
        }

        if (errors.Count == 0)
        {
            errors.AddRange(JobSpecRules.ValidateShape(ElementSpec(template, arrayId, 0)));
        }

        // The one cycle an array's submission can name: itself, or one of its own elements.
        var deps = template.DependsOn ?? [];
        for (var i = 0; i < deps.Count; i++)
        {
            var d = deps[i];
            if (d is null)
            {
                continue;
            }

            var own = d.Target == DependencyTarget.Array
                ? d.TargetId == arrayId
                : TryParseElementId(d.TargetId, out var of, out _) && of == arrayId;
            if (own)
            {
                errors.Add(new(JobDependencies.TargetField(i, d, "template.dependsOn"), "an array cannot depend on itself or its own elements (a dependency cycle)"));
            }
        }

        return errors;
    }

    public static List<ValidationError> Validate(JobSpec template, int count)
    {
        var errors = new List<ValidationError>();
        if (count is < 1 or > MaxCount)
        {
            errors.Add(new("count", $"must be between 1 and {MaxCount}"));
        }

        if (template.Command is { } command && (command.Environment?.Count ?? 0) > JobCommand.MaxEnvironment - 2)
        {
            errors.Add(new("command.environment", $"must have at most {JobCommand.MaxEnvironment - 2} variables in an array (each element adds {TaskIdVariable} and {ArrayIdVariable})"));
        }

        if (template.ArrayId is not null)
        {
            errors.Add(new("arrayId", "a template must not itself be an array element"));
        }

        if (template.Reservation is not null)
        {
            errors.Add(new("reservation", "an array cannot run in an advance reservation (not supported yet); submit its jobs one by one"));
        }


        return errors;
    }

    /// <summary>
    /// The specification element <paramref name="index"/> runs with: the template marked as that element, and for a
    /// command, <c>%a</c> in its arguments replaced by the index, <c>%A</c> by the array id (<c>%%</c> is a literal '%'),
    /// and the index and array id added to its environment.
    /// </summary>
    public static JobSpec ElementSpec(JobSpec template, string arrayId, int index)
    {
        var spec = template with { ArrayId = arrayId, ArrayIndex = index };
        if (template.Command is not { } command)
        {
            return spec;
        }

        var taskId = index.ToString(CultureInfo.InvariantCulture);
        var environment = new Dictionary<string, string>(command.Environment ?? new Dictionary<string, string>(), StringComparer.Ordinal)
        {
            [TaskIdVariable] = taskId,
            [ArrayIdVariable] = arrayId,
        };
        return spec with
        {
            Command = command with
            {
                Arguments = [.. (command.Arguments ?? []).Select(a => Substitute(a, taskId, arrayId))],
                Environment = environment,
            },
        };
    }

    /// <summary>Replaces <c>%a</c> by <paramref name="taskId"/>, <c>%A</c> by <paramref name="arrayId"/> and <c>%%</c> by '%'; any other '%' stays.</summary>
    public static string Substitute(string argument, string taskId, string arrayId)
    {
        if (!argument.Contains('%', StringComparison.Ordinal))
        {
            return argument;
        }

        var text = new StringBuilder(argument.Length + 8);
        for (var i = 0; i < argument.Length; i++)
        {
            if (argument[i] != '%' || i + 1 == argument.Length)
            {
                text.Append(argument[i]);
                continue;
            }

            switch (argument[i + 1])
            {
                case 'a':
                    text.Append(taskId);
                    i++;
                    break;
                case 'A':
                    text.Append(arrayId);
                    i++;
                    break;
                case '%':
                    text.Append('%');
                    i++;
                    break;
                default:
                    text.Append('%');
                    break;
            }
        }

        return text.ToString();
    }
}
