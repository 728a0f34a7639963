using ComputeGrid.Contracts;
using ComputeGrid.Domain.Topology;
using ComputeGrid.Grains.Execution;
using ComputeGrid.Grains.Placement;
using ComputeGrid.Grains.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Storage;

namespace ComputeGrid.Grains.Hosting;

/// <summary>Registers ComputeGrid's grains and services on a silo.</summary>
public static class ComputeGridSiloBuilderExtensions
{
    /// <summary>
    /// Adds ComputeGrid to a silo: options (section <c>ComputeGrid</c>, validated at start-up), the loaded topology,
    /// the federation clock (the registered <see cref="GridClock"/>, else the system clock), Orleans' binary serializer for
    /// grain state, zone placement of regions and data centers (<see cref="ZonePlacementStrategy"/>), the metrics (<see cref="GridMetrics"/> and its pool poller), the simulated executor unless
    /// another <see cref="IJobExecutor"/> is registered, and the seeding of the pool once the silo is active.
    /// The host adds the storage providers (<see cref="GridStorage"/>) and the <c>grid</c> stream provider.
    /// </summary>
    public static ISiloBuilder AddComputeGrid(this ISiloBuilder builder, NationalTopology topology)
    {
        builder.Services.AddOptions<ComputeGridOptions>().BindConfiguration(ComputeGridOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<ComputeGridOptions>, ComputeGridOptionsValidator>();
        builder.Services.AddOptions<LoanOptions>().BindConfiguration(LoanOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<LoanOptions>, LoanOptionsValidator>();
        builder.Services.AddOptions<ReservationOptions>().BindConfiguration(ReservationOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<ReservationOptions>, ReservationOptionsValidator>();
        builder.Services.AddOptions<AgentOptions>().BindConfiguration(AgentOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<AgentOptions>, AgentOptionsValidator>();
        builder.Services.AddSingleton(new TopologyCatalog(topology));
        builder.Services.AddOptions<Market.MarketOptions>().BindConfiguration(Market.MarketOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<Market.MarketOptions>, Market.MarketOptionsValidator>();
        builder.Services.TryAddSingleton(new GridClock(TimeProvider.System));

        // Grain state is written with Orleans' own serializer: it honours the contracts' [Id]/[Alias] versioning and the
        // domain surrogates, where the default JSON serializer cannot read our immutable records back.
        builder.Services.Replace(ServiceDescriptor.Singleton<IGrainStorageSerializer, OrleansGrainStorageSerializer>());
        builder.Services.TryAddSingleton<IJobExecutor, SimulatedExecutor>();
        builder.AddZonePlacement();
        builder.Services.AddOptions<MetricsOptions>().BindConfiguration(MetricsOptions.Section);
        builder.Services.AddMetrics();
        builder.Services.TryAddSingleton<GridMetrics>();
        builder.Services.AddHostedService<PoolMetricsPoller>();
        builder.Services.AddOptions<TrendsOptions>().BindConfiguration(TrendsOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<TrendsOptions>, TrendsOptionsValidator>();
        builder.Services.AddHostedService<TrendsSampler>();
        builder.Services.AddSingleton<PoolSeeder>();
        builder.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<PoolSeeder>());
        return builder;
    }
}

/// <summary>
/// Seeds the pool's directory from the topology file once the silo is active (idempotent across silos and restarts).
/// The seed runs in the background and retries with backoff until it succeeds or the silo stops: a cold or loaded
/// cluster (several silos starting at once, storage warming up, a peer dying) can miss call timeouts for a while, and a
/// silo must not fail to start, or stop, because of that; the pool of a restarted cluster is already seeded anyway.
/// </summary>
internal sealed partial class PoolSeeder(IGrainFactory grains, TopologyCatalog catalog, ILogger<PoolSeeder> logger) : ILifecycleParticipant<ISiloLifecycle>, IDisposable
{
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(10);
    private readonly CancellationTokenSource _stopping = new();
    private Task _seeding = Task.CompletedTask;

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(
            nameof(PoolSeeder),
            ServiceLifecycleStage.Active,
            _ =>
            {
                _seeding = Task.Run(() => SeedAsync(_stopping.Token), CancellationToken.None);
                return Task.CompletedTask;
            },
            async _ =>
            {
                await _stopping.CancelAsync();
                await _seeding;
            });

    public void Dispose() => _stopping.Dispose();

    private async Task SeedAsync(CancellationToken cancellationToken)
    {
        var backoff = TimeSpan.FromMilliseconds(200);
        for (var attempt = 1; !cancellationToken.IsCancellationRequested; attempt++)
        {
            try
            {
                await grains.GetGrain<IPoolGrain>(PoolGrainKey.National).SeedAsync([.. catalog.Seed.DataCenters.Values], cancellationToken);
                return;
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                LogSeedRetry(logger, attempt, e);
            }

            try
            {
                await Task.Delay(backoff, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks));
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Seeding the pool failed (attempt {Attempt}); retrying")]
    private static partial void LogSeedRetry(ILogger logger, int attempt, Exception exception);
}
