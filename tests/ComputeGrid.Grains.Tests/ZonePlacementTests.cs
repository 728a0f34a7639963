using ComputeGrid.Contracts;
using ComputeGrid.Grains.DataCenters;
using ComputeGrid.Grains.Placement;
using ComputeGrid.Grains.Regions;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime.MembershipService.SiloMetadata;

namespace ComputeGrid.Grains.Tests;

public sealed class ZoneRulesTests
{
    private static readonly Dictionary<string, string> Zones = new() { ["e1"] = "east", ["e2"] = "east", ["w1"] = "west", ["w2"] = "west" };

    [Theory]
    [InlineData("a grain of a live zone goes to a silo of that zone", "e1,e2,w1,w2", "east", "w1", "e1,e2")]
    [InlineData("the local silo is taken when it is in the wanted zone", "e1,e2,w1,w2", "west", "w2", "w2")]
    [InlineData("with its zone down a grain goes to the local silo", "w1,w2", "east", "w1", "w1")]
    [InlineData("with its zone down and no local silo it goes to any silo", "w1,w2", "east", "e1", "w1,w2")]
    [InlineData("a grain of an unknown zone stays local", "e1,w1", null, "e1", "e1")]
    public void Choose_picks_a_silo_by_zone(string rule, string compatible, string? wanted, string local, string allowed)
    {
        var silos = compatible.Split(',');
        for (var seed = 0; seed < 20; seed++)
        {
            var chosen = ZoneRules.Choose(silos, s => Zones[s], wanted, local, new Random(seed));

            Assert.True(allowed.Split(',').Contains(chosen), $"{rule}: chose {chosen}");
        }
    }
}

[Collection(GridCollection.Name)]
public sealed class ZonePlacementTests(GridClusterFixture fixture)
{
    [Theory]
    [InlineData("yangtze", "east")]
    [InlineData("gba", "east")]
    [InlineData("guizhou", "west")]
    [InlineData("ningxia", "west")]
    public async Task A_region_is_activated_on_a_silo_of_its_hubs_zone(string hub, string zone)
    {
        await fixture.Grid.Admin.GetDirectoryAsync();
        await fixture.Cluster.Client.GetGrain<IRegionGrain>(hub).GetQueueLengthAsync();

        await Eventually.TrueAsync(async () => await ZoneOfActivationAsync(typeof(RegionGrain), hub) == zone, $"region {hub} lives in {zone}");
    }

    [Theory]
    [InlineData("guian", "west")]
    [InlineData("wuhu", "east")]
    public async Task A_seeded_data_center_is_activated_on_a_silo_of_its_hubs_zone(string dataCenter, string zone)
    {
        await fixture.Cluster.Client.GetGrain<IDataCenterGrain>(dataCenter).GetSnapshotAsync();

        await Eventually.TrueAsync(async () => await ZoneOfActivationAsync(typeof(DataCenterGrain), dataCenter) == zone, $"data center {dataCenter} lives in {zone}");
    }

    [Fact]
    public async Task A_data_center_registered_at_run_time_is_activated_in_its_hubs_zone_from_the_pool_directory()
    {
        var spec = await fixture.RegisterPrivateDataCenterAsync($"zone-{Guid.NewGuid():n}"[..20], "gansu", "ZONE-GPU", 2);

        await fixture.Cluster.Client.GetGrain<IDataCenterGrain>(spec.Id).GetSnapshotAsync();

        await Eventually.TrueAsync(async () => await ZoneOfActivationAsync(typeof(DataCenterGrain), spec.Id) == "west", "the new data center lives in west");
    }

    private async Task<string?> ZoneOfActivationAsync(Type grainClass, string key)
    {
        var grain = grainClass == typeof(RegionGrain)
            ? fixture.Cluster.Client.GetGrain<IRegionGrain>(key).GetGrainId()
            : fixture.Cluster.Client.GetGrain<IDataCenterGrain>(key).GetGrainId();
        var management = fixture.Cluster.Client.GetGrain<IManagementGrain>(0);
        var activation = (await management.GetDetailedGrainStatistics()).FirstOrDefault(a => a.GrainId == grain);
        return activation is null ? null : ZoneOf(activation.SiloAddress);
    }

    private string? ZoneOf(SiloAddress silo) =>
        fixture.Cluster.GetSiloServiceProvider(silo).GetRequiredService<ISiloMetadataCache>().GetSiloMetadata(silo).Metadata.GetValueOrDefault(ZoneRules.MetadataKey);
}
