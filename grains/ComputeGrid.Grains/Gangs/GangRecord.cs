using ComputeGrid.Contracts.Jobs;
using ComputeGrid.Domain.Gangs;
using ComputeGrid.Domain.Jobs;
using ComputeGrid.Domain.Placement;
using ComputeGrid.Grains.Jobs;

namespace ComputeGrid.Grains.Gangs;

/// <summary>A gang's persisted state; the <see cref="GangBook"/>'s sheet.</summary>
[GenerateSerializer, Alias("cg.GangRecord")]
internal sealed class GangRecord : IGangSheet
{
    [Id(0)] public JobSpec? Template { get; set; }

    [Id(1)] public int Members { get; set; }

    [Id(2)] public int MaxRestarts { get; set; }

    [Id(3)] public JobState State { get; set; }

    [Id(4)] public int Attempt { get; set; }

    [Id(5)] public int Restarts { get; set; }

    [Id(6)] public DateTimeOffset SubmittedAt { get; set; }

    [Id(7)] public List<JobState> MemberStates { get; set; } = [];

    [Id(8)] public List<string?> MemberDataCenters { get; set; } = [];

    /// <summary>The current attempt's placements by member, kept to hand a member its placement again after a lost call.</summary>
    [Id(9)] public List<JobPlacement> Placements { get; set; } = [];

    [Id(10)] public List<JobEvent> History { get; set; } = [];

    int IGangSheet.Steps => History.Count;

    void IGangSheet.Add(JobStep step) => History.Add(JobRecord.EventOf(step));
}
