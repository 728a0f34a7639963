using System.Security.Cryptography;
using System.Text;
using ComputeGrid.Client;
using ComputeGrid.Contracts.Agents;
using ComputeGrid.Domain.Topology;
using ComputeGrid.Grains.Agents;
using ComputeGrid.Grains.DataCenters;
using ComputeGrid.Grains.Hosting;
using Microsoft.Extensions.DependencyInjection;

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

    [Fact]
    public async Task Agents_and_commands_a_data_center_stored_before_they_had_a_grain_of_their_own_are_adopted_and_a_revoked_credential_stays_refused()
    {
        const string id = "legacy-agents";
        await fixture.RegisterPrivateDataCenterAsync(id, "guizhou", "LGA", 1);
        var synced = fixture.Time.GetUtcNow();
        await StoreLegacyAsync(
            id,
            new(StringComparer.Ordinal)
            {
                ["a1"] = new AgentRecord { Name = "kept", SecretSha256 = Sha256("s1"), AllowedTenants = ["*"], IssuedAt = synced, LastSyncAt = synced, InstanceId = "i" },
                ["a2"] = new AgentRecord { Name = "revoked", SecretSha256 = Sha256("s2"), AllowedTenants = ["*"], IssuedAt = synced, RevokedAt = synced },
            },
            new(StringComparer.Ordinal)
            {
                ["legacy-command"] = new CommandRecord { Tenant = "acme", Command = new Domain.Jobs.JobCommand("/bin/true", [], new Dictionary<string, string>()), AgentId = "a1", InstanceId = "i", Started = true },
            });

        // The data center activates, its agent grain and credential grain adopt what its record held, and the record lets it go.
        Assert.NotNull(await Grains.GetGrain<Contracts.IDataCenterGrain>(id).GetSnapshotAsync());
        var after = new GrainState<DataCenterRecord>(new DataCenterRecord());
        await Storage.ReadStateAsync(DataCenterRecord.StateName, GrainId.Create("datacenter", id), after);
        Assert.NotNull(after.State);
        Assert.False(after.State.HoldsLegacyAgents);
        Assert.True(after.State.HasAgents);

        var response = await fixture.Grid.Admin.SyncAgentAsync($"{AgentCredential.Prefix}.{id}.a1.s1", new AgentSyncRequest("i", ["legacy-command"], []));
        Assert.Empty(response.Kill);
        await Assert.ThrowsAsync<ComputeGridUnauthorizedException>(() => fixture.Grid.Admin.SyncAgentAsync($"{AgentCredential.Prefix}.{id}.a2.s2", new AgentSyncRequest("i", [], [])));
        var agents = await fixture.Grid.Admin.ListAgentsAsync(id);
        Assert.Equal(["a1", "a2"], agents.Select(a => a.AgentId).Order(StringComparer.Ordinal));
        Assert.Equal(1, agents.Single(a => a.AgentId == "a1").Running);
        Assert.NotNull(agents.Single(a => a.AgentId == "a2").RevokedAt);
    }

    [Fact]
    public async Task Silence_told_by_the_agent_grain_takes_a_data_center_Offline_until_an_agent_is_heard_but_never_undoes_an_operators_Offline()
    {
        var silent = Grains.GetGrain<Contracts.IDataCenterGrain>((await fixture.RegisterPrivateDataCenterAsync("told-silent", "guizhou", "TSA", 1)).Id);
        var held = await silent.OnAgentsSilentAsync();
        Assert.NotNull(held);
        Assert.Empty(held);
        Assert.Equal(DataCenterStatus.Offline, (await silent.GetSnapshotAsync())!.Status);
        Assert.NotNull(await silent.OnAgentsSilentAsync());
        Assert.Equal(DataCenterStatus.Online, await silent.OnAgentsAsync(heard: true));

        var manual = Grains.GetGrain<Contracts.IDataCenterGrain>((await fixture.RegisterPrivateDataCenterAsync("operator-offline", "guizhou", "TSB", 1)).Id);
        await manual.SetStatusAsync(DataCenterStatus.Offline);
        Assert.Null(await manual.OnAgentsSilentAsync());
        Assert.Equal(DataCenterStatus.Offline, await manual.OnAgentsAsync(heard: true));
        Assert.Null(await Grains.GetGrain<Contracts.IDataCenterGrain>("no-such-data-center").OnAgentsAsync(heard: true));
    }

    [Fact]
    public async Task A_credential_revoked_after_the_upgrade_stays_refused_when_an_unadopted_record_still_holds_it_active()
    {
        const string id = "legacy-revoked";
        await fixture.RegisterPrivateDataCenterAsync(id, "guizhou", "LGR", 1);
        var credential = await fixture.Grid.Admin.IssueAgentAsync(id, "revoked-later", ["*"]);
        await fixture.Grid.Admin.RevokeAgentAsync(id, credential.AgentId);
        Assert.True(AgentCredential.TryParse(credential.Token, out _, out _, out var secret));
        var issued = fixture.Time.GetUtcNow();
        await StoreLegacyAsync(
            id,
            new(StringComparer.Ordinal) { [credential.AgentId] = new AgentRecord { Name = "revoked-later", SecretSha256 = Sha256(secret), AllowedTenants = ["*"], IssuedAt = issued } },
            new(StringComparer.Ordinal));

        Assert.NotNull(await Grains.GetGrain<Contracts.IDataCenterGrain>(id).GetSnapshotAsync());
        await Assert.ThrowsAsync<ComputeGridUnauthorizedException>(() => fixture.Grid.Admin.SyncAgentAsync(credential.Token, new AgentSyncRequest("i", [], [])));
        Assert.NotNull(Assert.Single(await fixture.Grid.Admin.ListAgentsAsync(id)).RevokedAt);
    }

    private IGrainFactory Grains => fixture.Cluster.Client;

    private Orleans.Storage.IGrainStorage Storage => fixture.Cluster.Silos[0].ServiceProvider.GetRequiredKeyedService<Orleans.Storage.IGrainStorage>(GridStorage.Name);

    /// <summary>
    /// Writes agents and commands into a data center's stored record, as a version that kept them there did, and lets the
    /// data center, its agent grain and its credential grain go, so their next activations read storage.
    /// </summary>
    private async Task StoreLegacyAsync(string id, Dictionary<string, AgentRecord> agents, Dictionary<string, CommandRecord> commands)
    {
        var grainId = GrainId.Create("datacenter", id);
        var stored = new GrainState<DataCenterRecord>(new DataCenterRecord());
        await Storage.ReadStateAsync(DataCenterRecord.StateName, grainId, stored);
        Assert.NotNull(stored.State);
        stored.State.LegacyAgents = agents;
        stored.State.LegacyCommands = commands;
        await Storage.WriteStateAsync(DataCenterRecord.StateName, grainId, stored);
        foreach (var grain in new IAddressable[] { Grains.GetGrain<Contracts.IDataCenterGrain>(id), Grains.GetGrain<Contracts.IAgentGrain>(id), Grains.GetGrain<Contracts.IAgentCredentialGrain>(id) })
        {
            await fixture.Cluster.DeactivateAsync(grain);
        }
    }

    private static string Sha256(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    private static Contracts.Pool.DirectoryEntry Entry(Contracts.Pool.PoolDirectory directory, string id) => directory.DataCenters.Single(d => d.Spec.Id == id);
}
