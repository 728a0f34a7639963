using ComputeGrid.Client;
using ComputeGrid.Contracts.Agents;
using ComputeGrid.Domain.Topology;

namespace ComputeGrid.Grains.Tests;

/// <summary>Agent credentials and the data center's view of its agents, through the SDK.</summary>
[Collection(GridCollection.Name)]
public sealed class AgentTests(GridClusterFixture fixture)
{
    [Fact]
    public async Task Syncs_with_made_up_data_center_ids_are_refused_and_activate_no_data_center_or_credential_grain()
    {
        var made = Enumerable.Range(0, 150).Select(i => $"made-up-{Guid.NewGuid():N}"[..24]).ToList();

        foreach (var id in made)
        {
            await Assert.ThrowsAsync<ComputeGridUnauthorizedException>(() =>
                fixture.Grid.Admin.SyncAgentAsync($"{AgentCredential.Prefix}.{id}.0123456789ab.secret", new AgentSyncRequest("i", [], [])));
        }

        var management = fixture.Cluster.Client.GetGrain<IManagementGrain>(0);
        var activated = (await management.GetDetailedGrainStatistics()).Select(a => a.GrainId.Key.ToString()).ToHashSet(StringComparer.Ordinal);
        Assert.DoesNotContain(made, activated.Contains);
    }

    [Fact]
    public async Task A_data_center_awaiting_its_first_agent_stays_online_and_lists_its_agent_offline_and_never_synced()
    {
        var waiting = await fixture.RegisterPrivateDataCenterAsync("await-agent", "guizhou", "AWA", 1);
        var silent = await fixture.RegisterPrivateDataCenterAsync("silent-agent", "guizhou", "AWB", 1);
        await fixture.Grid.Admin.IssueAgentAsync(waiting.Id, "never-starts", ["*"]);
        var credential = await fixture.Grid.Admin.IssueAgentAsync(silent.Id, "syncs-once", ["*"]);
        await fixture.Grid.Admin.SyncAgentAsync(credential.Token, new AgentSyncRequest("i", [], []));

        var agent = Assert.Single(await fixture.Grid.Admin.ListAgentsAsync(waiting.Id));
        Assert.False(agent.Online);
        Assert.Null(agent.LastSyncAt);
        Assert.Null(Entry(await fixture.Grid.Admin.GetDirectoryAsync(), waiting.Id).CommandTenants);
        Assert.Equal(["*"], Entry(await fixture.Grid.Admin.GetDirectoryAsync(), silent.Id).CommandTenants);

        // Past the heartbeat timeout: the data center whose agent synced once goes Offline, the one awaiting its first stays Online.
        // The clock moves on at every poll: the data center's heartbeat watch may arm its timer after the first step.
        await Eventually.TrueAsync(
            async () =>
            {
                fixture.Time.Advance(TimeSpan.FromMinutes(1));
                return Entry(await fixture.Grid.Admin.GetDirectoryAsync(), silent.Id).Status == DataCenterStatus.Offline;
            },
            "the silent data center goes Offline");

        Assert.Equal(DataCenterStatus.Online, Entry(await fixture.Grid.Admin.GetDirectoryAsync(), waiting.Id).Status);
        Assert.Equal(DataCenterStatus.Online, (await fixture.Cluster.Client.GetGrain<Contracts.IDataCenterGrain>(waiting.Id).GetSnapshotAsync())!.Status);
    }

    private static Contracts.Pool.DirectoryEntry Entry(Contracts.Pool.PoolDirectory directory, string id) => directory.DataCenters.Single(d => d.Spec.Id == id);
}
