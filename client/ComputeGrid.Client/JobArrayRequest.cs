using ComputeGrid.Domain;
using ComputeGrid.Domain.JobArrays;

namespace ComputeGrid.Client;

/// <summary>
/// A job array to submit: <see cref="Count"/> jobs of one shape, like Slurm's <c>--array</c> or HTCondor's <c>queue N</c>.
/// Element <c>i</c> (0..Count-1) is the job <c>&lt;ArrayId&gt;-&lt;i&gt;</c>; its command gets <c>%a</c> in its arguments
/// replaced by <c>i</c> and <c>%A</c> by the array id, and the variables <c>COMPUTEGRID_ARRAY_TASK_ID</c> and
/// <c>COMPUTEGRID_ARRAY_ID</c> in its environment.
/// </summary>
public sealed record JobArrayRequest
{
    /// <summary>
    /// The array's id: 1-122 characters of letters, digits, '.', '_' and '-'. Submitting again with the same id, template
    /// and count returns the same array (safe retries). Null: the SDK generates one.
    /// </summary>
    public string? ArrayId { get; init; }

    /// <summary>The shape of every element; its <see cref="JobRequest.JobId"/> must be null (elements are named by the array).</summary>
    public JobRequest Template { get; init; } = new();

    /// <summary>How many elements; 1..100,000.</summary>
    public int Count { get; init; }

    /// <summary>Checks everything that can be checked without the pool; an empty list means the shape is valid.</summary>
    public IReadOnlyList<ValidationError> Validate()
    {
        var errors = new List<ValidationError>();
        if (ArrayId is not null && !IsValidArrayId(ArrayId))
        {
            errors.Add(new ValidationError("arrayId", $"must be 1-{JobArrayRules.MaxArrayIdLength} characters of letters, digits, '.', '_' and '-'"));
        }

        if (Template is null)
        {
            errors.Add(new ValidationError("template", "is required"));
            return errors;
        }

        if (Template.JobId is not null)
        {
            errors.Add(new ValidationError("template.jobId", "must be null: elements are named <arrayId>-<index>"));
        }

        errors.AddRange(JobArrayRules.Validate(Template.ToSpec(), Count));
        errors.AddRange(Template.Validate());
        return errors;
    }

    /// <summary>True for a well-formed array id.</summary>
    public static bool IsValidArrayId(string? arrayId) => arrayId is { Length: > 0 and <= JobArrayRules.MaxArrayIdLength } && JobRequest.IsValidJobId(arrayId);
}
