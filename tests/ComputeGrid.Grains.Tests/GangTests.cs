using ComputeGrid.Client;
using ComputeGrid.Contracts;
using ComputeGrid.Contracts.Gangs;
using ComputeGrid.Domain.Jobs;

namespace ComputeGrid.Grains.Tests;

/// <summary>Gangs end to end: placed whole or not at all, never deadlocked with each other, failed whole.</summary>
[Collection(GridCollection.Name)]
public sealed class GangTests(GridClusterFixture fixture)
{
    private IComputeGridClient Grid => fixture.Grid;

    /// <summary>A gang of one-GPU members; an id starting with "hold-" keeps its members Scheduled until the test ends them.</summary>
    private static GangRequest Gang(string tenant, string model, int members, string id, int maxRestarts = 0) => new()
    {
        GangId = id,
        Members = members,
        MaxRestarts = maxRestarts,
        Template = Jobs.OnGpu(tenant, model, "gansu", TimeSpan.FromHours(10)) with { JobId = null },
    };

    private async Task<GangSnapshot> GangAsync(string gangId, Func<GangSnapshot, bool> until, string what) =>
        await Eventually.ValueAsync(() => Grid.GetGangAsync(gangId), until, what, TimeSpan.FromSeconds(60));

    private async Task EndMembersAsync(GangSnapshot gang, bool succeeded)
    {
        foreach (var member in gang.MemberList)
        {
            await fixture.Cluster.Client.GetGrain<IJobGrain>(member.JobId).ReportFinishedAsync(member.DataCenterId!, succeeded, succeeded ? "exit 0" : "exit 1");
        }
    }

    [Fact]
    public async Task A_gang_that_fits_is_placed_whole_with_every_member_scheduled_and_its_history_says_gang_placed()
    {
        await fixture.RegisterPrivateDataCenterAsync("gang-one-dc", "gansu", "GANGONE", gpus: 4, cores: 16);
        var gang = await Grid.SubmitGangAsync(Gang("gangs", "GANGONE", 4, $"hold-{Jobs.NewId("gang")}"));

        Assert.Equal(JobState.Scheduled, gang.State);
        Assert.Contains(gang.History, e => e.State == JobState.Scheduled && e.Detail.StartsWith("gang placed: 4 members in gang-one-dc", StringComparison.Ordinal));
        var members = await Task.WhenAll(gang.MemberList.Select(m => Grid.GetJobAsync(m.JobId)));
        Assert.All(members, m => Assert.Equal("gang-one-dc", m.Placement?.DataCenterId));
        Assert.All(members, m => Assert.True(m.State.HoldsCapacity()));
        Assert.Equal([0, 1, 2, 3], members.Select(m => m.Spec.Gang!.Member!.Value).Order());

        await Grid.CancelGangAsync(gang.GangId);

        // The cancelled gang's member list follows its members' ends (it once kept showing them Scheduled or Running).
        await GangAsync(gang.GangId, g => g.State == JobState.Cancelled && g.MemberList.All(m => m.State == JobState.Cancelled), "the cancelled gang lists every member Cancelled");
    }

    [Fact]
    public async Task A_gang_too_big_for_one_data_center_is_spread_over_data_centers_of_its_hub()
    {
        await fixture.RegisterPrivateDataCenterAsync("gang-spread-a", "gansu", "GANGSPREAD", gpus: 2, cores: 16);
        await fixture.RegisterPrivateDataCenterAsync("gang-spread-b", "gansu", "GANGSPREAD", gpus: 2, cores: 16);
        var request = Gang("gangs", "GANGSPREAD", 4, $"hold-{Jobs.NewId("gang")}");

        // The region hears of the second data center one-way: until then it refuses the gang as too big for one hub.
        var gang = await Eventually.ValueAsync(
            async () =>
            {
                try
                {
                    return await Grid.SubmitGangAsync(request);
                }
                catch (JobRejectedException)
                {
                    return null;
                }
            },
            g => g is not null,
            "the region knows both data centers and places the gang");

        Assert.NotNull(gang);
        Assert.Equal(JobState.Scheduled, gang.State);
        Assert.Equal(2, gang.MemberList.Count(m => m.DataCenterId == "gang-spread-a"));
        Assert.Equal(2, gang.MemberList.Count(m => m.DataCenterId == "gang-spread-b"));

        await Grid.CancelGangAsync(gang.GangId);
    }

    [Fact]
    public async Task A_gang_that_could_never_fit_in_one_hub_is_refused_naming_gang_members()
    {
        await fixture.RegisterPrivateDataCenterAsync("gang-never-dc", "gansu", "GANGNEVER", gpus: 2, cores: 16);
        var refused = await Assert.ThrowsAsync<JobRejectedException>(() => Grid.SubmitGangAsync(Gang("gangs", "GANGNEVER", 3, Jobs.NewId("gang"))));
        Assert.Contains(refused.Errors, e => e.Field == "gang.members");
    }

    [Fact]
    public async Task Two_gangs_that_together_exceed_the_capacity_never_deadlock_one_runs_then_the_other()
    {
        await fixture.RegisterPrivateDataCenterAsync("gang-dl-dc", "gansu", "GANGDL", gpus: 4, cores: 16);
        var first = await Grid.SubmitGangAsync(Gang("gangs", "GANGDL", 3, $"hold-{Jobs.NewId("gang")}"));
        var second = await Grid.SubmitGangAsync(Gang("gangs", "GANGDL", 3, $"hold-{Jobs.NewId("gang")}"));

        Assert.Equal(JobState.Scheduled, first.State);
        Assert.Equal(JobState.Queued, second.State);
        Assert.All(second.MemberList, m => Assert.Null(m.DataCenterId));

        // The waiting gang holds nothing: the fourth GPU is free for anyone.
        var filler = await Grid.SubmitAsync(Jobs.OnGpu("gangs", "GANGDL", "gansu", TimeSpan.FromHours(1), id: $"hold-{Jobs.NewId()}"));
        Assert.True(filler.State.HoldsCapacity(), "the capacity the queued gang would need was not held by it");
        await Grid.CancelJobAsync(filler.JobId);

        await EndMembersAsync(first, succeeded: true);
        Assert.Equal(JobState.Succeeded, (await GangAsync(first.GangId, g => g.State.IsTerminal(), "the first gang ends")).State);
        var placed = await GangAsync(second.GangId, g => g.State == JobState.Scheduled, "the second gang is placed once the first ended");
        Assert.All(placed.MemberList, m => Assert.Equal("gang-dl-dc", m.DataCenterId));

        await Grid.CancelGangAsync(second.GangId);
    }

    [Fact]
    public async Task A_member_failure_fails_the_gang_and_cancels_the_other_members_releasing_their_capacity()
    {
        await fixture.RegisterPrivateDataCenterAsync("gang-fail-dc", "gansu", "GANGFAIL", gpus: 3, cores: 16);
        var gang = await Grid.SubmitGangAsync(Gang("gangs", "GANGFAIL", 3, $"hold-{Jobs.NewId("gang")}"));
        var failing = gang.MemberList[1];

        await fixture.Cluster.Client.GetGrain<IJobGrain>(failing.JobId).ReportFinishedAsync(failing.DataCenterId!, false, "exit 1");

        var failed = await GangAsync(gang.GangId, g => g.State.IsTerminal(), "the gang ends");
        Assert.Equal(JobState.Failed, failed.State);
        Assert.Contains(failed.History, e => e.Detail == "gang failed: member 1 failed: exit 1");
        foreach (var other in new[] { gang.MemberList[0], gang.MemberList[2] })
        {
            var job = await Eventually.ValueAsync(() => Grid.GetJobAsync(other.JobId), j => j.State.IsTerminal(), "the other member ends");
            Assert.Equal(JobState.Cancelled, job.State);
        }

        // Every member's capacity comes back (each releases once its Cancelled is durable): a gang of all three GPUs is placed again.
        var next = await Grid.SubmitGangAsync(Gang("gangs", "GANGFAIL", 3, $"hold-{Jobs.NewId("gang")}"));
        await GangAsync(next.GangId, g => g.State == JobState.Scheduled, "a gang of all three GPUs is placed");
        await Grid.CancelGangAsync(next.GangId);
    }

    [Fact]
    public async Task A_member_failure_restarts_the_gang_whole_when_its_restart_policy_allows()
    {
        await fixture.RegisterPrivateDataCenterAsync("gang-restart-dc", "gansu", "GANGRESTART", gpus: 2, cores: 16);
        var gang = await Grid.SubmitGangAsync(Gang("gangs", "GANGRESTART", 2, $"hold-{Jobs.NewId("gang")}", maxRestarts: 1));
        var failing = gang.MemberList[0];

        await fixture.Cluster.Client.GetGrain<IJobGrain>(failing.JobId).ReportFinishedAsync(failing.DataCenterId!, false, "exit 1");

        var again = await GangAsync(gang.GangId, g => g.Attempt == 1 && g.State == JobState.Scheduled, "the gang is placed again whole");
        Assert.Equal(1, again.Restarts);
        Assert.Contains(again.History, e => e.State == JobState.Queued && e.Detail.StartsWith("gang restarts (1 of 1): member 0 failed", StringComparison.Ordinal));
        Assert.All(again.MemberList, m => Assert.EndsWith(".r1", m.JobId, StringComparison.Ordinal));
        Assert.Equal(JobState.Cancelled, (await Grid.GetJobAsync(gang.MemberList[1].JobId)).State);

        await Grid.CancelGangAsync(gang.GangId);
    }
}
