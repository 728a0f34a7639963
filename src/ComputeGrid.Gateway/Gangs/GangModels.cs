using System.Text.Json.Serialization;
using ComputeGrid.Contracts.Gangs;
using ComputeGrid.Domain.Jobs;
using ComputeGrid.Gateway.JobArrays;
using ComputeGrid.Gateway.Jobs;

namespace ComputeGrid.Gateway.Gangs;

/// <summary>A gang to submit: <c>gang.members</c> members of the shape <c>template</c>, placed all or nothing. The tenant comes from the API key.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed class SubmitGangBody
{
    /// <summary>The gang's size and restart policy.</summary>
    public required GangBody Gang { get; init; }

    /// <summary>Every member's shape, as the body of POST /v1/jobs. A command's environment gains COMPUTEGRID_GANG_MEMBER, COMPUTEGRID_GANG_MEMBERS and COMPUTEGRID_GANG_ID.</summary>
    public required SubmitJobBody Template { get; init; }
}

/// <summary>A gang's size and restart policy.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed class GangBody
{
    /// <summary>How many members, 1..256. Member i is the job <c>&lt;gangId&gt;+&lt;i&gt;</c>.</summary>
    /// <example>8</example>
    public required int Members { get; init; }

    /// <summary>How many times a member's failure restarts the whole gang, 0..10 (default 0: the gang fails).</summary>
    /// <example>1</example>
    public int MaxRestarts { get; init; }
}

/// <summary>One member of a gang's current attempt.</summary>
/// <param name="Index">0..members-1.</param>
/// <param name="JobId">Its job's id, readable at GET /v1/jobs/{jobId} once the gang is placed.</param>
/// <param name="State">Its state as the gang last heard it (Pending while the gang waits).</param>
/// <param name="DataCenterId">Where it is placed; null while the gang waits.</param>
public sealed record GangMemberView(int Index, string JobId, JobState State, string? DataCenterId);

/// <summary>A gang.</summary>
/// <param name="GangId">The gang's id: the tenant, a dot and the Idempotency-Key (or a generated id).</param>
/// <param name="Tenant">The tenant its members are accounted to.</param>
/// <param name="Members">How many members.</param>
/// <param name="MaxRestarts">How many whole restarts a member's failure may cause.</param>
/// <param name="State">Queued (waiting whole, holding nothing), Scheduled (every member placed), Running (every member started), Succeeded, Failed or Cancelled.</param>
/// <param name="Attempt">The current placement attempt, 0 first; one more after each restart or whole requeue.</param>
/// <param name="Restarts">Restarts used.</param>
/// <param name="SubmittedAt">When it was accepted (UTC).</param>
/// <param name="MemberList">The current attempt's members.</param>
/// <param name="History">Its steps: gang placed, gang started, gang restarts, gang failed, ...</param>
/// <param name="Template">Every member's shape.</param>
public sealed record GangView(
    string GangId,
    string Tenant,
    int Members,
    int MaxRestarts,
    JobState State,
    int Attempt,
    int Restarts,
    DateTimeOffset SubmittedAt,
    IReadOnlyList<GangMemberView> MemberList,
    IReadOnlyList<GangEventView> History,
    JobTemplateView Template)
{
    internal static GangView Of(GangSnapshot g) => new(
        g.GangId,
        g.Template.Tenant,
        g.Members,
        g.MaxRestarts,
        g.State,
        g.Attempt,
        g.Restarts,
        g.SubmittedAt,
        [.. g.MemberList.Select(m => new GangMemberView(m.Index, m.JobId, m.State, m.DataCenterId))],
        [.. g.History.Select(e => new GangEventView(e.Sequence, e.State, e.At, e.Detail))],
        JobTemplateView.Of(g.Template));
}

/// <summary>One step of a gang's history.</summary>
/// <param name="Sequence">1, 2, 3, ... in order.</param>
/// <param name="State">The state entered.</param>
/// <param name="At">When (UTC).</param>
/// <param name="Detail">Why, in a sentence ("gang placed: 8 members in dc-a (6), dc-b (2), all in hub yangtze").</param>
public sealed record GangEventView(long Sequence, JobState State, DateTimeOffset At, string Detail);
