using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using ComputeGrid.Client;
using ComputeGrid.Contracts;
using ComputeGrid.Domain.Placement;
using ComputeGrid.Domain.Topology;
using ComputeGrid.Grains.Execution;
using ComputeGrid.Grains.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Orleans.Configuration;

namespace ComputeGrid.Replay.Running;

/// <summary>
/// A fresh in-process federation for one policy: one silo with the national topology, memory storage and streams, the
/// replay executor and a virtual clock; the SDK talks to it through the silo's own cluster client.
/// </summary>
public sealed class ReplayFederation : IAsyncDisposable
{
    /// <summary>
    /// How long a region's queue pass may wait after a capacity notice before it runs, wall clock (the region coalesces
    /// the notices that arrive within 50 ms into one pass), with a margin.
    /// </summary>
    private static readonly TimeSpan PassDelay = TimeSpan.FromMilliseconds(60);

    /// <summary>How long <see cref="QueuePassesAsync"/> waits at most for the regions' pending passes, wall clock.</summary>
    private static readonly TimeSpan PassDeadline = TimeSpan.FromSeconds(10);

    private readonly IHost _host;
    private readonly IReadOnlyList<string> _hubs;

    private ReplayFederation(IHost host, FakeTimeProvider time, IReadOnlyList<string> hubs)
    {
        _host = host;
        _hubs = hubs;
        Time = time;
        Grid = new ComputeGridClient(host.Services.GetRequiredService<IClusterClient>());
        Executor = host.Services.GetRequiredService<ReplayExecutor>();
    }

    /// <summary>The federation's virtual clock.</summary>
    public FakeTimeProvider Time { get; }

    /// <summary>The SDK.</summary>
    public IComputeGridClient Grid { get; }

    /// <summary>The executor that runs the jobs.</summary>
    public ReplayExecutor Executor { get; }

    /// <summary>Starts a federation whose clock starts at <paramref name="start"/>; loans on or off.</summary>
    /// <param name="topology">The hubs and data centers.</param>
    /// <param name="start">Where the virtual clock starts.</param>
    /// <param name="loansEnabled">Whether hubs may borrow from each other.</param>
    /// <param name="streamPoll">How often the loan streams' pulling agent polls its queues, wall clock (Orleans' default is 100 ms).</param>
    /// <param name="offerWindow">How long a borrower collects offers at most, wall clock (it closes earlier when every asked peer answered).</param>
    /// <param name="arrivalWindow">How far back arrivals size a loan (<c>LoanOptions.ArrivalWindow</c>, federation clock); zero: by the waiting jobs alone.</param>
    /// <param name="discipline">The queue discipline its regions run.</param>
    /// <param name="predictiveMaxWait">How long a GreenestPredictive job may wait for its greenest data center (<c>ComputeGrid:PredictiveMaxWait</c>, federation clock).</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    public static async Task<ReplayFederation> StartAsync(
        NationalTopology topology, DateTimeOffset start, bool loansEnabled, TimeSpan streamPoll, TimeSpan offerWindow, TimeSpan arrivalWindow, QueueDiscipline discipline, TimeSpan predictiveMaxWait, CancellationToken cancellationToken)
    {
        var time = new FakeTimeProvider(start);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddSingleton(new GridClock(time));
        builder.Services.AddSingleton(sp => new ReplayExecutor(sp.GetRequiredService<IGrainFactory>(), time, sp.GetRequiredService<ILogger<ReplayExecutor>>()));
        builder.Services.AddSingleton<IJobExecutor>(sp => sp.GetRequiredService<ReplayExecutor>());
        var serviceId = "replay-" + Guid.NewGuid().ToString("n")[..8];
        builder.UseOrleans(silo =>
        {
            silo.UseLocalhostClustering(FreePort(), FreePort(), serviceId: serviceId, clusterId: serviceId);
            silo.AddMemoryGrainStorage(GridStorage.Name);
            silo.AddMemoryGrainStorage(GridStorage.PubSub);
            // Loan messages travel on these streams; the pulling agent's default 100 ms poll made every hop of a
            // negotiation (request, offer, answer) wait on the wall clock while the virtual clock stood still.
            silo.AddMemoryStreams(GridStreams.Provider, streams => streams.ConfigurePullingAgent(agent => agent.Configure(o => o.GetQueueMsgsTimerPeriod = streamPoll)));
            silo.UseInMemoryReminderService();
            silo.AddComputeGrid(topology);
            silo.Services.Configure<ComputeGridOptions>(o =>
            {
                o.QueueDiscipline = discipline;
                o.PredictiveMaxWait = predictiveMaxWait;
            });
            silo.Services.Configure<LoanOptions>(o =>
            {
                o.Enabled = loansEnabled;

                // Offers close as soon as every asked peer answered; the window only bounds a slow peer on wall time.
                o.OfferWindow = offerWindow;
                o.ArrivalWindow = arrivalWindow;
                o.TickInterval = TimeSpan.FromMilliseconds(50);
                o.QueuePressureThreshold = TimeSpan.Zero;
            });
            silo.Configure<SiloMessagingOptions>(o => o.ResponseTimeout = TimeSpan.FromMinutes(2));
        });

        var host = builder.Build();
        await host.StartAsync(cancellationToken);
        var federation = new ReplayFederation(host, time, [.. topology.Hubs.Keys]);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while ((await federation.Grid.Admin.GetDirectoryAsync(cancellationToken)).DataCenters.Count < topology.DataCenters.Count)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("the pool was not seeded within 60 s");
            }

            await Task.Delay(20, cancellationToken);
        }

        return federation;
    }

    /// <summary>
    /// Returns once the queue passes that capacity freed a moment ago asked for have run: after the regions' coalescing
    /// delay, every region is asked whether a pass is still pending (the question waits for a pass under way, since a
    /// region takes one call at a time), and asked again until none is, for up to <see cref="PassDeadline"/> of wall
    /// clock. Without it the virtual clock moved on from a job's end before the waiting jobs could take the capacity it
    /// freed; a fixed wait was not enough on a loaded machine, where a 50 ms grain timer fires late.
    /// </summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    public async Task QueuePassesAsync(CancellationToken cancellationToken)
    {
        var grains = _host.Services.GetRequiredService<IGrainFactory>();
        var deadline = Stopwatch.StartNew();
        do
        {
            await Task.Delay(PassDelay, cancellationToken);
            var pending = await Task.WhenAll(_hubs.Select(h => grains.GetGrain<IRegionGrain>(h).IsQueuePassPendingAsync(cancellationToken)));
            if (!pending.Any(p => p))
            {
                return;
            }
        }
        while (deadline.Elapsed < PassDeadline);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
