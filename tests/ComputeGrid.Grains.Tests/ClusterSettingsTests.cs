using ComputeGrid.Client;
using ComputeGrid.Contracts.Cluster;
using ComputeGrid.Grains.Placement;
using ComputeGrid.Grains.Hosting;
using ComputeGrid.Silo;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

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
    public async Task An_sdk_on_AzureStorage_without_a_connection_string_fails_the_start_naming_the_setting()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddComputeGridClient(o => o.Storage = StorageKind.AzureStorage);
        using var host = builder.Build();

        var e = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains(e.Failures, f => f.StartsWith("ComputeGridClient:AzureStorageConnectionString is required", StringComparison.Ordinal));
    }

    [Fact]
    public void Silos_and_clients_derive_the_same_eight_queue_names_from_the_service_id()
    {
        Assert.Equal(["computegrid-grid-0", "computegrid-grid-1", "computegrid-grid-2", "computegrid-grid-3", "computegrid-grid-4", "computegrid-grid-5", "computegrid-grid-6", "computegrid-grid-7"], GridQueues.Names("computegrid"));
    }

    [Fact]
    public void Cluster_mode_collects_loan_offers_for_ten_seconds_unless_configured_and_memory_mode_for_two()
    {
        Assert.Equal(TimeSpan.FromSeconds(10), OfferWindowOf(new() { ["Silo:Storage"] = "AzureStorage" }));
        Assert.Equal(TimeSpan.FromSeconds(3), OfferWindowOf(new() { ["Silo:Storage"] = "AzureStorage", ["ComputeGrid:Loans:OfferWindow"] = "00:00:03" }));
        Assert.Equal(TimeSpan.FromSeconds(2), OfferWindowOf(new() { ["Silo:Storage"] = "Memory" }));
    }

    /// <summary>The loan offer window a silo host built with <paramref name="settings"/> would use (built, never started).</summary>
    private static TimeSpan OfferWindowOf(Dictionary<string, string?> settings)
    {
        var web = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production", ContentRootPath = AppContext.BaseDirectory });
        web.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Silo:AzureStorageConnectionString"] = "UseDevelopmentStorage=true" });
        web.Configuration.AddInMemoryCollection(settings);
        SiloHost.Configure(web, SiloHost.LoadTopology(web.Configuration));
        using var app = web.Build();
        return app.Services.GetRequiredService<IOptions<LoanOptions>>().Value.OfferWindow;
    }
}
