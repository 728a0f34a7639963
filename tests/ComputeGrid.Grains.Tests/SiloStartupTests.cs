using ComputeGrid.Domain.Topology;
using ComputeGrid.Grains.Hosting;
using ComputeGrid.Silo;
using Microsoft.Extensions.Configuration;

namespace ComputeGrid.Grains.Tests;

public sealed class SiloStartupTests
{
    [Theory]
    [InlineData("Zone", "north", "Silo:Zone")]
    [InlineData("GatewayPort", "11111", "Silo:GatewayPort")]
    [InlineData("ServiceId", "Compute Grid", "Silo:ServiceId")]
    [InlineData("ManagementAddress", "metrics.example.org", "Silo:ManagementAddress")]
    [InlineData("ManagementPort", "0", "Silo:ManagementPort")]
    [InlineData("ManagementPort", "11111", "Silo:ManagementPort")]
    [InlineData("ManagementPort", "30000", "Silo:ManagementPort")]
    [InlineData("StorageRetries", "11", "Silo:StorageRetries")]
    [InlineData("StorageNetworkTimeout", "00:00:00.5", "Silo:StorageNetworkTimeout")]
    [InlineData("StreamReadBackoff", "00:00:00.01", "Silo:StreamReadBackoff")]
    [InlineData("DrainTimeout", "00:00:00", "Silo:DrainTimeout")]
    public void An_invalid_silo_setting_fails_start_up_naming_the_setting(string key, string value, string named)
    {
        var options = new ConfigurationBuilder().AddInMemoryCollection([new($"Silo:{key}", value)]).Build()
            .GetSection(SiloHostOptions.Section).Get<SiloHostOptions>()!;

        var result = new SiloHostOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains(named, result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void The_default_settings_are_valid()
    {
        Assert.True(new SiloHostOptionsValidator().Validate(null, new SiloHostOptions()).Succeeded);
    }

    [Fact]
    public void A_topology_naming_an_unknown_hub_stops_start_up_with_the_entry_and_the_field()
    {
        var path = Path.Combine(Path.GetTempPath(), $"topology-{Guid.NewGuid():n}.json");
        File.WriteAllText(path, File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Topology", "national.json")).Replace("\"hub\": \"guizhou\"", "\"hub\": \"guizhouu\"", StringComparison.Ordinal));
        try
        {
            var configuration = new ConfigurationBuilder().AddInMemoryCollection([new("ComputeGrid:TopologyPath", path)]).Build();

            var e = Assert.Throws<TopologyException>(() => SiloHost.LoadTopology(configuration));

            Assert.Equal("hub", e.Field);
            Assert.Contains("guian", e.Entry, StringComparison.Ordinal);
            Assert.Equal(e.Message, StartupError.Describe(e));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_setting_that_is_not_a_number_is_described_instead_of_crashing()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection([new("Silo:SiloPort", "abc")]).Build();

        var e = Assert.Throws<InvalidOperationException>(() => configuration.GetSection(SiloHostOptions.Section).Get<SiloHostOptions>());

        Assert.Contains("Silo:SiloPort", StartupError.Describe(e), StringComparison.Ordinal);
    }

    [Fact]
    public void An_arrival_window_or_forecast_horizon_out_of_range_fails_start_up_naming_the_option()
    {
        var result = new LoanOptionsValidator().Validate(null, new LoanOptions { ArrivalWindow = TimeSpan.FromMinutes(-1), ForecastHorizon = TimeSpan.FromDays(8) });

        Assert.True(result.Failed);
        Assert.Contains("ComputeGrid:Loans:ArrivalWindow", result.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("ComputeGrid:Loans:ForecastHorizon", result.FailureMessage, StringComparison.Ordinal);
        Assert.True(new LoanOptionsValidator().Validate(null, new LoanOptions { ArrivalWindow = TimeSpan.Zero }).Succeeded, "a zero window turns the forecast off");
    }

    [Fact]
    public void Operator_reservation_bounds_out_of_range_or_below_the_tenant_quota_fail_start_up_naming_the_option()
    {
        var result = new ReservationOptionsValidator().Validate(null, new ReservationOptions { OperatorMaxWindow = TimeSpan.FromHours(1), OperatorMaxAdvance = TimeSpan.FromDays(800) });

        Assert.True(result.Failed);
        Assert.Contains("ComputeGrid:Reservations:OperatorMaxWindow", result.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("ComputeGrid:Reservations:OperatorMaxAdvance", result.FailureMessage, StringComparison.Ordinal);
        Assert.True(new ReservationOptionsValidator().Validate(null, new ReservationOptions()).Succeeded, "the defaults are valid");
    }

    [Fact]
    public void Out_of_range_ComputeGrid_options_fail_start_up_naming_the_option()
    {
        var result = new ComputeGridOptionsValidator().Validate(null, new ComputeGridOptions { MaxPlacementAttempts = 0, QueueRetryInterval = TimeSpan.Zero });

        Assert.True(result.Failed);
        Assert.Contains("ComputeGrid:MaxPlacementAttempts", result.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("ComputeGrid:QueueRetryInterval", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void A_queue_discipline_that_is_none_of_the_three_fails_start_up_naming_them_and_the_default_is_backfill()
    {
        var result = new ComputeGridOptionsValidator().Validate(null, new ComputeGridOptions { QueueDiscipline = (Domain.Placement.QueueDiscipline)7 });

        Assert.Contains("ComputeGrid:QueueDiscipline must be one of Backfill, FairShare, StrictPriority", result.FailureMessage, StringComparison.Ordinal);
        Assert.Equal(Domain.Placement.QueueDiscipline.Backfill, new ComputeGridOptions().QueueDiscipline);
    }

    [Theory]
    [InlineData(0.05)]
    [InlineData(31)]
    public void A_tenant_listing_wait_under_100_ms_or_over_30_s_fails_start_up_naming_it_and_the_default_is_2_s(double seconds)
    {
        var result = new ComputeGridOptionsValidator().Validate(null, new ComputeGridOptions { TenantListingWait = TimeSpan.FromSeconds(seconds) });

        Assert.Contains("ComputeGrid:TenantListingWait must be between 00:00:00.1 and 00:00:30", result.FailureMessage);
        Assert.Equal(TimeSpan.FromSeconds(2), new ComputeGridOptions().TenantListingWait);
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(60 * 24 * 31)]
    public void A_backfill_window_under_a_minute_or_over_30_days_fails_start_up_naming_it_and_the_default_is_a_day(double minutes)
    {
        var result = new ComputeGridOptionsValidator().Validate(null, new ComputeGridOptions { BackfillWindow = TimeSpan.FromMinutes(minutes) });

        Assert.Contains("ComputeGrid:BackfillWindow must be between 00:01:00 and 30.00:00:00", result.FailureMessage, StringComparison.Ordinal);
        Assert.Equal(TimeSpan.FromDays(1), new ComputeGridOptions().BackfillWindow);
    }

    [Theory]
    [InlineData(-1.0, 0.1, 60.0, "ComputeGrid:PredictiveMaxWait must be between 00:00:00 and 7.00:00:00")]
    [InlineData(60.0 * 24 * 8, 0.1, 60.0, "ComputeGrid:PredictiveMaxWait must be between 00:00:00 and 7.00:00:00")]
    [InlineData(60.0, -0.1, 60.0, "ComputeGrid:PredictiveMinSaving must be between 0 and 1")]
    [InlineData(60.0, 1.5, 60.0, "ComputeGrid:PredictiveMinSaving must be between 0 and 1")]
    [InlineData(60.0, double.NaN, 60.0, "ComputeGrid:PredictiveMinSaving must be between 0 and 1")]
    [InlineData(60.0, 0.1, 0.5, "ComputeGrid:PredictiveWindow must be between 00:01:00 and 1.00:00:00")]
    [InlineData(60.0, 0.1, 60.0 * 25, "ComputeGrid:PredictiveWindow must be between 00:01:00 and 1.00:00:00")]
    public void A_GreenestPredictive_option_out_of_range_fails_start_up_naming_it(double maxWaitMinutes, double minSaving, double windowMinutes, string message)
    {
        var result = new ComputeGridOptionsValidator().Validate(null, new ComputeGridOptions
        {
            PredictiveMaxWait = TimeSpan.FromMinutes(maxWaitMinutes),
            PredictiveMinSaving = minSaving,
            PredictiveWindow = TimeSpan.FromMinutes(windowMinutes),
        });

        Assert.Contains(message, result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void GreenestPredictive_waits_at_most_an_hour_for_a_saving_of_a_tenth_by_default_and_the_defaults_pass()
    {
        var options = new ComputeGridOptions();

        Assert.Equal((TimeSpan.FromHours(1), 0.1, TimeSpan.FromHours(1)), (options.PredictiveMaxWait, options.PredictiveMinSaving, options.PredictiveWindow));
        Assert.True(new ComputeGridOptionsValidator().Validate(null, options).Succeeded);
    }

    [Fact]
    public void A_queue_discipline_is_read_by_name_from_configuration()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection([new("ComputeGrid:QueueDiscipline", "StrictPriority")]).Build();

        Assert.Equal(Domain.Placement.QueueDiscipline.StrictPriority, configuration.GetSection(ComputeGridOptions.Section).Get<ComputeGridOptions>()!.QueueDiscipline);
    }

    [Fact]
    public async Task A_silo_told_to_stop_reports_itself_unhealthy_at_once_so_no_new_request_is_routed_to_it()
    {
        using var stopping = new CancellationTokenSource();
        await stopping.CancelAsync();

        // The pool is never asked: a draining silo answers before it calls any grain.
        var health = await new PoolHealthCheck(null!, new StoppingLifetime(stopping.Token)).CheckHealthAsync(new Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckContext());

        Assert.Equal(Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Unhealthy, health.Status);
        Assert.Equal(PoolHealthCheck.Draining, health.Description);
    }

    private sealed class StoppingLifetime(CancellationToken stopping) : Microsoft.Extensions.Hosting.IHostApplicationLifetime
    {
        public CancellationToken ApplicationStarted => CancellationToken.None;

        public CancellationToken ApplicationStopping => stopping;

        public CancellationToken ApplicationStopped => CancellationToken.None;

        public void StopApplication()
        {
        }
    }
}
