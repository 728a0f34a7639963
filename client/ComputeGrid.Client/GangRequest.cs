using ComputeGrid.Domain;
using ComputeGrid.Domain.Gangs;

namespace ComputeGrid.Client;

/// <summary>
/// A gang to submit: <see cref="Members"/> members of one shape that run together, such as distributed training on 64
/// 910B GPUs as 8 members of 8. It is placed all or nothing, in one data center or over the data centers of one hub
/// within its latency class, never partly, and holds nothing while it waits. Member <c>i</c> is the job
/// <c>&lt;GangId&gt;+&lt;i&gt;</c> (<c>.r&lt;n&gt;</c> appended after the n-th restart); its command gets
/// <c>COMPUTEGRID_GANG_MEMBER</c>, <c>COMPUTEGRID_GANG_MEMBERS</c> and <c>COMPUTEGRID_GANG_ID</c>.
/// </summary>
public sealed record GangRequest
{
    /// <summary>The gang's id: 1-119 characters of letters, digits, '.', '_' and '-'. Null: the SDK generates one.</summary>
    public string? GangId { get; init; }

    /// <summary>Every member's shape; its <see cref="JobRequest.JobId"/> must be null (members are named by the gang).</summary>
    public JobRequest Template { get; init; } = new();

    /// <summary>How many members; 1..256.</summary>
    public int Members { get; init; }

    /// <summary>How many times a member's failure restarts the whole gang (0..10; default 0: the gang fails).</summary>
    public int MaxRestarts { get; init; }

    /// <summary>Checks everything that can be checked without the pool; an empty list means the shape is valid.</summary>
    public IReadOnlyList<ValidationError> Validate()
    {
        var errors = new List<ValidationError>();
        if (GangId is not null && !IsValidGangId(GangId))
        {
            errors.Add(new ValidationError("gangId", $"must be 1-{GangRules.MaxGangIdLength} characters of letters, digits, '.', '_' and '-'"));
        }

        if (Template is null)
        {
            errors.Add(new ValidationError("template", "is required"));
            return errors;
        }

        if (Template.JobId is not null)
        {
            errors.Add(new ValidationError("template.jobId", "must be null: members are named <gangId>+<index>"));
        }

        errors.AddRange(GangRules.Validate(Template.ToSpec(), Members, MaxRestarts, GangId ?? "g"));
        return errors;
    }

    /// <summary>True for a well-formed gang id.</summary>
    public static bool IsValidGangId(string? gangId) => gangId is { Length: > 0 and <= GangRules.MaxGangIdLength } && JobRequest.IsValidJobId(gangId);
}
