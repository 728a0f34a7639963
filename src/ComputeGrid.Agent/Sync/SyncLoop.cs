using System.Reflection;
using System.Text.Json;
using ComputeGrid.Agent.Configuration;
using ComputeGrid.Contracts.Agents;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;

namespace ComputeGrid.Agent.Sync;

/// <summary>
/// Syncs with the data center every sync interval (from the last response; <see cref="AgentOptions.InitialSyncInterval"/>
/// until the first), and at once when a job's report waits. A failed sync is retried with a doubling wait up to
/// <see cref="AgentOptions.MaxRetryDelay"/>, a refused credential every <see cref="AgentOptions.UnauthorizedRetryDelay"/>;
/// the loop never ends by itself. Each successful sync renews the lease on the agent's jobs; when retries outlast it the
/// jobs are killed (<see cref="JobReconciler.Renew"/>). On stop it kills the jobs, reports them Lost and tries one last sync to deliver that.
/// </summary>
internal sealed partial class SyncLoop(
    JobReconciler reconciler,
    GatewaySyncClient client,
    AgentCapacity capacity,
    AgentOptions options,
    TimeProvider time,
    ILogger<SyncLoop> logger) : BackgroundService
{
    /// <summary>The shortest and longest sync interval the agent accepts from a response.</summary>
    public static readonly (TimeSpan Min, TimeSpan Max) IntervalBounds = (TimeSpan.FromMilliseconds(50), TimeSpan.FromMinutes(5));

    /// <summary>How long the last sync on stop may take.</summary>
    public static readonly TimeSpan FinalSyncTimeout = TimeSpan.FromSeconds(5);

    private static readonly string Version =
        typeof(SyncLoop).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    private string? _dataCenterId;

    /// <summary>Recovers the previous instance's jobs and reports before the first sync; a bad state file stops the start.</summary>
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        reconciler.Recover();
        LogStarting(reconciler.InstanceId, options.Gateway!, capacity.CpuMillicores, capacity.MemoryMiB, capacity.Gpus);
        return base.StartAsync(cancellationToken);
    }

    /// <summary>Ends the loop, then kills and reports every job, then tries one last sync.</summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await reconciler.StopAsync(FinalSyncTimeout);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(FinalSyncTimeout);
        try
        {
            var (request, sent) = reconciler.NextRequest(capacity, Version);
            var response = await client.SyncAsync(request, deadline.Token);
            reconciler.Acknowledge(response.Acknowledged, sent);
            var pending = reconciler.PendingReports().Count;
            LogStopped(pending);
        }
        catch (Exception e) when (e is HttpRequestException or SyncRefusedException or JsonException or OperationCanceledException or IOException)
        {
            var pending = reconciler.PendingReports().Count;
            LogFinalSyncFailed(e.Message, pending);
        }
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var pipeline = BuildRetryPipeline();
        var interval = options.InitialSyncInterval;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var (sent, sentAt, response) = await pipeline.ExecuteAsync(
                    async ct =>
                    {
                        var (request, sent) = reconciler.NextRequest(capacity, Version);
                        var sentAt = time.GetUtcNow();
                        return (sent, sentAt, await client.SyncAsync(request, ct));
                    },
                    stoppingToken);
                if (_dataCenterId != response.DataCenterId)
                {
                    _dataCenterId = response.DataCenterId;
                    LogConnected(response.DataCenterId);
                }

                reconciler.Renew(response.Lease, sentAt);
                reconciler.Apply(response, sent);
                interval = TimeSpan.FromTicks(Math.Clamp(response.SyncInterval.Ticks, IntervalBounds.Min.Ticks, IntervalBounds.Max.Ticks));
                await reconciler.WaitForReportAsync(interval, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // A fault of the agent itself (a full disk for the state file, say) must not end it: log and go on.
                LogSyncFault(e);
                try
                {
                    await Task.Delay(options.MaxRetryDelay, time, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private ResiliencePipeline BuildRetryPipeline() =>
        new ResiliencePipelineBuilder { TimeProvider = time }
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder()
                    .Handle<HttpRequestException>()
                    .Handle<SyncRefusedException>()
                    .Handle<JsonException>()
                    .Handle<IOException>()
                    .Handle<TaskCanceledException>(), // HttpClient's own timeout; a stop cancels the whole pipeline instead
                MaxRetryAttempts = int.MaxValue,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromSeconds(1),
                MaxDelay = options.MaxRetryDelay,
                DelayGenerator = args => new(args.Outcome.Exception is SyncRefusedException { IsUnauthorized: true } ? options.UnauthorizedRetryDelay : null),
                OnRetry = args =>
                {
                    if (args.Outcome.Exception is SyncRefusedException { IsUnauthorized: true } refused)
                    {
                        LogCredentialRefused(options.Gateway!, refused.Message, args.RetryDelay);
                    }
                    else
                    {
                        LogSyncFailed(args.AttemptNumber + 1, args.Outcome.Exception?.Message, args.RetryDelay);
                    }

                    return default;
                },
            })
            .Build();

    [LoggerMessage(Level = LogLevel.Information, Message = "Agent instance {InstanceId} syncing with {Gateway}; offering {CpuMillicores} millicores, {MemoryMiB} MiB, {Gpus} GPUs")]
    private partial void LogStarting(string instanceId, Uri gateway, long cpuMillicores, long memoryMiB, int gpus);

    [LoggerMessage(Level = LogLevel.Information, Message = "Synced with data center {DataCenterId}")]
    private partial void LogConnected(string dataCenterId);

    [LoggerMessage(Level = LogLevel.Error, Message = "The gateway {Gateway} refused the agent credential ({Reason}): it was revoked or is wrong; ask an operator for a new one. Trying again in {Delay}")]
    private partial void LogCredentialRefused(Uri gateway, string reason, TimeSpan delay);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sync attempt {Attempt} failed ({Reason}); trying again in {Delay}")]
    private partial void LogSyncFailed(int attempt, string? reason, TimeSpan delay);

    [LoggerMessage(Level = LogLevel.Error, Message = "Sync fault in the agent")]
    private partial void LogSyncFault(Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stopped; {Pending} reports wait for the next start")]
    private partial void LogStopped(int pending);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The last sync before stopping failed ({Reason}); {Pending} reports are saved for the next start")]
    private partial void LogFinalSyncFailed(string reason, int pending);
}
