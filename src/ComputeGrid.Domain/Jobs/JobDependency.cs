using System.Text.RegularExpressions;

namespace ComputeGrid.Domain.Jobs;

/// <summary>When a dependency is met, after Slurm's <c>--dependency</c> conditions of the same names.</summary>
public enum DependencyCondition
{
    /// <summary>After the target succeeded (every element, for an array).</summary>
    AfterOk,

    /// <summary>After the target ended in any way.</summary>
    AfterAny,

    /// <summary>After the target ended without succeeding (for an array: every element ended and one did not succeed).</summary>
    AfterNotOk,

    /// <summary>After the target started running, or ended without running (every element, for an array).</summary>
    After,
}

/// <summary>What a dependency names: one job (an array element is a job) or a whole job array.</summary>
public enum DependencyTarget
{
    /// <summary>A job of the same tenant, by id.</summary>
    Job,

    /// <summary>A job array of the same tenant, by id: the condition holds over all its elements.</summary>
    Array,
}

/// <summary>One dependency of a job: it may not start before <paramref name="Condition"/> holds for <paramref name="TargetId"/>.</summary>
/// <param name="Condition">The condition.</param>
/// <param name="TargetId">The job or array id.</param>
/// <param name="Target">Whether <paramref name="TargetId"/> names a job or an array.</param>
public sealed record JobDependency(DependencyCondition Condition, string TargetId, DependencyTarget Target = DependencyTarget.Job)
{
    /// <summary>Slurm's form: <c>afterok:job-1</c>, or <c>afterok:array:nightly</c> for a whole array.</summary>
    public override string ToString() =>
        $"{JobDependencies.Name(Condition)}:{(Target == DependencyTarget.Array ? "array:" : string.Empty)}{TargetId}";
}

/// <summary>
/// A target as a condition sees it: how many jobs it stands for (1 for a job, its size for an array), and how many of
/// them started (ran, or ended without running), ended, and succeeded. Every count only grows, so a verdict once Met or
/// Never stays so.
/// </summary>
/// <param name="Total">Jobs the target stands for.</param>
/// <param name="Started">Jobs that started running or ended.</param>
/// <param name="Ended">Jobs in a terminal state.</param>
/// <param name="Succeeded">Jobs that succeeded.</param>
public sealed record DependencyStatus(int Total, int Started, int Ended, int Succeeded)
{
    /// <summary>One job in <paramref name="state"/>; <paramref name="ran"/> when its history has a run.</summary>
    public static DependencyStatus OfJob(JobState state, bool ran) => new(
        1,
        ran || state == JobState.Running || state.IsTerminal() ? 1 : 0,
        state.IsTerminal() ? 1 : 0,
        state == JobState.Succeeded ? 1 : 0);

    /// <summary>An array from its counts by state.</summary>
    public static DependencyStatus OfArray(int size, IReadOnlyDictionary<JobState, int> counts)
    {
        var ended = counts.Where(c => c.Key.IsTerminal()).Sum(c => c.Value);
        return new(size, ended + counts.GetValueOrDefault(JobState.Running), ended, counts.GetValueOrDefault(JobState.Succeeded));
    }

    /// <summary>True when nothing about the target can change any condition any more.</summary>
    public bool IsFinal => Ended == Total;
}

/// <summary>Where one dependency stands.</summary>
public enum DependencyVerdict
{
    /// <summary>Not yet decided.</summary>
    Waiting,

    /// <summary>Holds, for good.</summary>
    Met,

    /// <summary>Can never hold.</summary>
    Never,
}

/// <summary>What a blocked job does after reading its targets.</summary>
/// <param name="Verdict">Met when every dependency is met (the job may be placed), Never when one never will be (it ends Unsatisfiable), else Waiting.</param>
/// <param name="Reason">For Never: which dependency and why; for Waiting: what it waits for.</param>
public sealed record DependencyDecision(DependencyVerdict Verdict, string Reason);

/// <summary>
/// The dependency rules: Slurm's syntax, the shape a submission must have, and the verdicts. A job may depend only on
/// jobs and arrays of its tenant that exist when it is submitted, so a dependency always points at an older submission
/// and no cycle can form; the one cycle a submission could name, itself, is refused.
/// </summary>
public static partial class JobDependencies
{
    /// <summary>Most dependencies one job may have.</summary>
    public const int MaxDependencies = 64;

    /// <summary>Longest id a dependency may name (the SDK's job id limit).</summary>
    public const int MaxTargetIdLength = 128;

    /// <summary>The condition's Slurm name.</summary>
    public static string Name(DependencyCondition condition) => condition switch
    {
        DependencyCondition.AfterOk => "afterok",
        DependencyCondition.AfterAny => "afterany",
        DependencyCondition.AfterNotOk => "afternotok",
        _ => "after",
    };

    /// <summary>Whether <paramref name="condition"/> holds for a target at <paramref name="status"/>, or never will.</summary>
    public static DependencyVerdict Evaluate(DependencyCondition condition, DependencyStatus status) => condition switch
    {
        DependencyCondition.AfterOk => status.Succeeded == status.Total ? DependencyVerdict.Met
            : status.Ended > status.Succeeded ? DependencyVerdict.Never : DependencyVerdict.Waiting,
        DependencyCondition.AfterAny => status.Ended == status.Total ? DependencyVerdict.Met : DependencyVerdict.Waiting,
        DependencyCondition.AfterNotOk => status.Succeeded == status.Total ? DependencyVerdict.Never
            : status.Ended == status.Total ? DependencyVerdict.Met : DependencyVerdict.Waiting,
        _ => status.Started == status.Total ? DependencyVerdict.Met : DependencyVerdict.Waiting,
    };

    /// <summary>
    /// The job's verdict from its targets' statuses (null for a target not known, which can only be one removed after the
    /// job was accepted: never met). Met when all are met; Never as soon as one can never be met.
    /// </summary>
    public static DependencyDecision Decide(IReadOnlyList<JobDependency> dependencies, IReadOnlyList<DependencyStatus?> statuses)
    {
        var waiting = new List<string>();
        for (var i = 0; i < dependencies.Count; i++)
        {
            var dependency = dependencies[i];
            if (statuses[i] is not { } status)
            {
                return new(DependencyVerdict.Never, $"dependency {dependency} can never be met: {What(dependency)} is unknown");
            }

            switch (Evaluate(dependency.Condition, status))
            {
                case DependencyVerdict.Never:
                    return new(DependencyVerdict.Never, $"dependency {dependency} can never be met: {What(dependency)} {Describe(dependency, status)}");
                case DependencyVerdict.Waiting:
                    waiting.Add(dependency.ToString());
                    break;
            }
        }

        return waiting.Count == 0
            ? new(DependencyVerdict.Met, dependencies.Count == 1 ? $"dependency {dependencies[0]} met" : $"all {dependencies.Count} dependencies met")
            : new(DependencyVerdict.Waiting, $"waiting for {string.Join(", ", waiting)}");
    }

    /// <summary>The shape of a job's dependencies: how many, well-formed ids, no repeats, not itself. Field names are the API's (<c>dependsOn[2].jobId</c> or <c>.arrayId</c>).</summary>
    public static List<ValidationError> Validate(IReadOnlyList<JobDependency>? dependencies, string? jobId)
    {
        var errors = new List<ValidationError>();
        if (dependencies is null || dependencies.Count == 0)
        {
            return errors;
        }

        if (dependencies.Count > MaxDependencies)
        {
            errors.Add(new("dependsOn", $"must have at most {MaxDependencies} dependencies (had {dependencies.Count})"));
            return errors;
        }

        var seen = new HashSet<(DependencyTarget, string)>();
        for (var i = 0; i < dependencies.Count; i++)
        {
            var d = dependencies[i];
            if (d is null)
            {
                errors.Add(new($"dependsOn[{i}]", "must not be null"));
                continue;
            }

            if (!Enum.IsDefined(d.Condition))
            {
                errors.Add(new($"dependsOn[{i}].condition", "must be AfterOk, AfterAny, AfterNotOk or After"));
            }

            if (!Enum.IsDefined(d.Target))
            {
                errors.Add(new($"dependsOn[{i}].target", "must be Job or Array"));
            }

            if (string.IsNullOrEmpty(d.TargetId))
            {
                errors.Add(new($"dependsOn[{i}]", "must name exactly one target: a jobId or an arrayId"));
            }
            else if (!IsValidId(d.TargetId))
            {
                errors.Add(new(TargetField(i, d), $"must be 1-{MaxTargetIdLength} characters of letters, digits, '.', '_' and '-' (was {ValidationError.Quote(d.TargetId)})"));
            }
            else if (d.Target == DependencyTarget.Job && d.TargetId == jobId)
            {
                errors.Add(NamesItself([d], jobId)! with { Field = TargetField(i, d) });
            }
            else if (!seen.Add((d.Target, d.TargetId)))
            {
                errors.Add(new(TargetField(i, d), $"{ValidationError.Quote(d.TargetId)} is named twice; give it one condition"));
            }
        }

        return errors;
    }

    /// <summary>The request's field that names a dependency's target: <c>dependsOn[2].jobId</c> or <c>dependsOn[2].arrayId</c>.</summary>
    public static string TargetField(int index, JobDependency dependency, string prefix = "dependsOn") =>
        $"{prefix}[{index}].{(dependency.Target == DependencyTarget.Array ? "arrayId" : "jobId")}";

    /// <summary>
    /// Why a dependency's target was refused as unknown: no job (or array) of the tenant has the id. An id that does not
    /// start with the tenant and a dot gets a hint, as the REST gateway names jobs <c>&lt;tenant&gt;.&lt;Idempotency-Key&gt;</c>.
    /// </summary>
    public static string Unknown(JobDependency dependency, string tenant)
    {
        var what = dependency.Target == DependencyTarget.Array ? "job array" : "job";
        var hint = dependency.TargetId.StartsWith(tenant + ".", StringComparison.Ordinal)
            ? string.Empty
            : $" (over REST a {what}'s id is its tenant, a dot and its Idempotency-Key: {ValidationError.Quote($"{tenant}.{dependency.TargetId}")})";
        return $"no {what} of tenant {tenant} has id {ValidationError.Quote(dependency.TargetId)}{hint}; a job may depend only on jobs and arrays submitted before it";
    }

    /// <summary>The error for a job that names itself among its dependencies (the one cycle a submission can name), or null.</summary>
    public static ValidationError? NamesItself(IReadOnlyList<JobDependency>? dependencies, string jobId)
    {
        var at = dependencies?.ToList().FindIndex(d => d is { Target: DependencyTarget.Job } && d.TargetId == jobId) ?? -1;
        return at < 0 ? null : new($"dependsOn[{at}].jobId", "a job cannot depend on itself (a dependency cycle)");
    }

    /// <summary>
    /// Parses Slurm's syntax: conditions separated by ',' (all must hold), each <c>condition:id[:id...]</c>, an array
    /// written <c>array:id</c> among the ids (<c>afterok:prep:array:shards</c>). '?' (any of) is not supported.
    /// </summary>
    public static bool TryParse(string? text, out List<JobDependency> dependencies, out string? error)
    {
        dependencies = [];
        error = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "is empty; write e.g. afterok:job-1:job-2,afterany:array:nightly";
            return false;
        }

        if (text.Contains('?', StringComparison.Ordinal))
        {
            error = "'?' (any of the conditions) is not supported: every condition must hold";
            return false;
        }

        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            var fields = part.Split(':', StringSplitOptions.TrimEntries);
            DependencyCondition? condition = fields[0].ToLowerInvariant() switch
            {
                "afterok" => DependencyCondition.AfterOk,
                "afterany" => DependencyCondition.AfterAny,
                "afternotok" => DependencyCondition.AfterNotOk,
                "after" => DependencyCondition.After,
                _ => null,
            };
            if (condition is null)
            {
                error = $"unknown condition {ValidationError.Quote(fields[0])}; use afterok, afterany, afternotok or after";
                return false;
            }

            if (fields.Length < 2)
            {
                error = $"{fields[0]} names no job: write {fields[0]}:<job id>";
                return false;
            }

            for (var i = 1; i < fields.Length; i++)
            {
                var array = fields[i] == "array";
                if (array && ++i >= fields.Length)
                {
                    error = $"'array:' in {ValidationError.Quote(part)} names no array id";
                    return false;
                }

                if (!IsValidId(fields[i]))
                {
                    error = $"{ValidationError.Quote(fields[i])} is not a job id (1-{MaxTargetIdLength} letters, digits, '.', '_' and '-')";
                    return false;
                }

                dependencies.Add(new(condition.Value, fields[i], array ? DependencyTarget.Array : DependencyTarget.Job));
            }
        }

        return true;
    }

    /// <summary>True when both name the same dependencies in the same order (idempotent submission).</summary>
    public static bool AreSame(IReadOnlyList<JobDependency>? a, IReadOnlyList<JobDependency>? b) =>
        (a ?? []).SequenceEqual(b ?? []);

    private static bool IsValidId(string? id) => id is { Length: > 0 and <= MaxTargetIdLength } && IdPattern().IsMatch(id);

    private static string What(JobDependency d) => d.Target == DependencyTarget.Array ? $"array {d.TargetId}" : $"job {d.TargetId}";

    private static string Describe(JobDependency d, DependencyStatus status) =>
        d.Target == DependencyTarget.Job
            ? status.Succeeded == 1 ? "succeeded" : "ended without succeeding"
            : $"has {status.Ended - status.Succeeded} of {status.Total} elements ended without succeeding and {status.Succeeded} succeeded";

    [GeneratedRegex("^[A-Za-z0-9._-]+$")]
    private static partial Regex IdPattern();
}
