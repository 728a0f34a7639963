using System.Globalization;
using ComputeGrid.Domain.Jobs;
using ComputeGrid.Domain.Resources;

namespace ComputeGrid.Domain.Gangs;

/// <summary>
/// What a gang is made of: its size limits, its members' ids and specs (Slurm's heterogeneous job components are named
/// <c>&lt;jobid&gt;+&lt;offset&gt;</c>; a gang member is <c>&lt;gangId&gt;+&lt;index&gt;</c>).
/// </summary>
public static class GangRules
{
    /// <summary>Most members in one gang (a gang is placed in one turn of its region, with one reservation call per data center).</summary>
    public const int MaxMembers = 256;

    /// <summary>Most whole-gang restarts a gang may ask for.</summary>
    public const int MaxRestarts = 10;

    /// <summary>Longest gang id: a member's id (the gang id, '+', up to 3 digits, '.r' and up to 2 digits) stays within 128 characters.</summary>
    public const int MaxGangIdLength = 119;

    /// <summary>The environment variable that carries a member's index (0..members-1) to its command.</summary>
    public const string MemberVariable = "COMPUTEGRID_GANG_MEMBER";

    /// <summary>The environment variable that carries the gang's size to a member's command.</summary>
    public const string MembersVariable = "COMPUTEGRID_GANG_MEMBERS";

    /// <summary>The environment variable that carries the gang's id to a member's command.</summary>
    public const string GangIdVariable = "COMPUTEGRID_GANG_ID";

    /// <summary>
    /// The id of member <paramref name="index"/> in placement <paramref name="attempt"/>: <c>&lt;gangId&gt;+&lt;index&gt;</c>
    /// for the first, <c>&lt;gangId&gt;+&lt;index&gt;.r&lt;attempt&gt;</c> after a restart (a job that ended stays ended,
    /// so a restarted member is a new job).
    /// </summary>
    public static string MemberId(string gangId, int index, int attempt) =>
        attempt == 0
            ? $"{gangId}+{index.ToString(CultureInfo.InvariantCulture)}"
            : $"{gangId}+{index.ToString(CultureInfo.InvariantCulture)}.r{attempt.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>True when <paramref name="jobId"/> has a member's form, <c>&lt;gangId&gt;+&lt;index&gt;</c> or <c>&lt;gangId&gt;+&lt;index&gt;.r&lt;attempt&gt;</c>, with <paramref name="gangId"/> the part before the '+'.</summary>
    public static bool IsMemberId(string jobId, out string gangId)
    {
        var plus = jobId.LastIndexOf('+');
        gangId = plus > 0 ? jobId[..plus] : string.Empty;
        var tail = plus > 0 ? jobId[(plus + 1)..] : string.Empty;
        var parts = tail.Split(".r");
        return plus > 0 && parts.Length is 1 or 2 && parts.All(p => p.Length is > 0 and <= 3 && p.All(char.IsAsciiDigit));
    }

    /// <summary>Every error of a new gang's submission: its size, restarts and id, and (when those hold) the shape of its members as jobs.</summary>
    public static List<ValidationError> Validate(JobSpec template, int members, int maxRestarts, string gangId)
    {
        var errors = new List<ValidationError>();
        if (members < 1)
        {
            errors.Add(new("gang.members", "must be at least 1"));
        }
        else if (members > MaxMembers)
        {
            errors.Add(new("gang.members", $"must be at most {MaxMembers}"));
        }

        if (maxRestarts is < 0 or > MaxRestarts)
        {
            errors.Add(new("gang.maxRestarts", $"must be between 0 and {MaxRestarts}"));
        }

        if (gangId.Length > MaxGangIdLength)
        {
            errors.Add(new("gangId", $"must be at most {MaxGangIdLength} characters"));
        }

        if (template.ArrayId is not null)
        {
            errors.Add(new("arrayId", "a gang is no array element"));
        }

        if (template.HasDependencies)
        {
            errors.Add(new("dependsOn", "a gang cannot have dependencies (not supported yet)"));
        }

        if (template.Reservation is not null)
        {
            errors.Add(new("reservation", "a gang cannot run in an advance reservation (not supported yet)"));
        }

        if (template.Command is { } command && (command.Environment?.Count ?? 0) > JobCommand.MaxEnvironment - 3)
        {
            errors.Add(new("command.environment", $"must have at most {JobCommand.MaxEnvironment - 3} variables in a gang (each member adds {MemberVariable}, {MembersVariable} and {GangIdVariable})"));
        }

        if (errors.Count == 0)
        {
            errors.AddRange(JobSpecRules.ValidateShape(WholeSpec(template, gangId, members, 0)));
        }

        return errors;
    }

    /// <summary>The spec of the gang's queue entry for <paramref name="attempt"/>: the template marked as the whole gang.</summary>
    public static JobSpec WholeSpec(JobSpec template, string gangId, int members, int attempt) =>
        template with { Gang = new JobGang(gangId, members, attempt) };

    /// <summary>The spec member <paramref name="index"/> of placement <paramref name="attempt"/> runs with: the template marked as that member, its command told its index, the gang's size and id.</summary>
    public static JobSpec MemberSpec(JobSpec template, string gangId, int members, int index, int attempt)
    {
        var spec = template with { Gang = new JobGang(gangId, members, attempt, index) };
        if (template.Command is not { } command)
        {
            return spec;
        }

        var environment = new Dictionary<string, string>(command.Environment ?? new Dictionary<string, string>(), StringComparer.Ordinal)
        {
            [MemberVariable] = index.ToString(CultureInfo.InvariantCulture),
            [MembersVariable] = members.ToString(CultureInfo.InvariantCulture),
            [GangIdVariable] = gangId,
        };
        return spec with { Command = command with { Environment = environment } };
    }

    /// <summary>What a queue entry asks for: a whole gang's members' resources times their number, any other job's own.</summary>
    public static ResourceRequest WholeRequest(JobSpec spec)
    {
        var n = spec.IsWholeGang ? spec.Gang!.Members : 1;
        var r = spec.Resources;
        return n == 1 ? r : r with { CpuMillicores = r.CpuMillicores * n, MemoryMiB = r.MemoryMiB * n, Gpus = r.Gpus * n };
    }
}
