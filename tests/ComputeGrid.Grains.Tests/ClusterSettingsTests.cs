using ComputeGrid.Client;
using ComputeGrid.Contracts.Cluster;
using ComputeGrid.Grains.Placement;
using ComputeGrid.Silo;
using Microsoft.Extensions.DependencyInjection;

namespace ComputeGrid.Grains.Tests;

public sealed class ClusterSettingsTests
{
    [Fact]
    public void AzureStorage_without_a_connection_string_fails_start_up_naming_the_setting()
    {
        var result = new SiloHostOptionsValidator().Validate(null, new SiloHostOptions { Storage = StorageKind.AzureStorage });

        Assert.True(result.Failed);
        Assert.Contains("Silo:AzureStorageConnectionString", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void AzureStorage_with_a_connection_string_and_the_default_timeouts_is_valid()
    {
        var options = new SiloHostOptions { Storage = StorageKind.AzureStorage, AzureStorageConnectionString = "UseDevelopmentStorage=true" };

        Assert.True(new SiloHostOptionsValidator().Validate(null, options).Succeeded);
    }

    [Theory]
    [InlineData("ProbeTimeout")]
    [InlineData("MembershipRefreshInterval")]
    [InlineData("ResponseTimeout")]
    public void A_zero_timeout_fails_start_up_naming_it(string option)
    {
        var options = new SiloHostOptions();
        typeof(SiloHostOptions).GetProperty(option)!.SetValue(options, TimeSpan.Zero);

        var result = new SiloHostOptionsValidator().Validate(null, options);

        Assert.Contains($"Silo:{option}", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void A_rebalance_interval_under_a_second_fails_start_up()
    {
        var result = new ZonePlacementOptionsValidator().Validate(null, new ZonePlacementOptions { RebalanceInterval = TimeSpan.FromMilliseconds(10) });

        Assert.Contains("ZonePlacement:RebalanceInterval", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void An_sdk_on_AzureStorage_without_a_connection_string_is_refused_naming_the_field()
    {
        var e = Assert.Throws<ComputeGridValidationException>(() => new ServiceCollection().AddComputeGridClient(o => o.Storage = StorageKind.AzureStorage));

        Assert.Equal("azureStorageConnectionString", e.Field);
    }

    [Fact]
    public void Silos_and_clients_derive_the_same_eight_queue_names_from_the_service_id()
    {
        Assert.Equal(["computegrid-grid-0", "computegrid-grid-1", "computegrid-grid-2", "computegrid-grid-3", "computegrid-grid-4", "computegrid-grid-5", "computegrid-grid-6", "computegrid-grid-7"], GridQueues.Names("computegrid"));
    }
}
