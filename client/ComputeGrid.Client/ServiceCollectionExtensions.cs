using Azure.Data.Tables;
using Azure.Storage.Queues;
using ComputeGrid.Client.Configuration;
using ComputeGrid.Client.Connection;
using ComputeGrid.Client.Resilience;
using ComputeGrid.Contracts;
using ComputeGrid.Contracts.Cluster;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace ComputeGrid.Client;

/// <summary>The SDK's DI registrations.</summary>
public static class ServiceCollectionExtensions
{
    /// <summary>
    /// Orleans' own categories that log each failed connection attempt as a warning with a stack trace; the SDK logs one
    /// line per attempt instead (<see cref="ClusterConnection"/>), so below Error they stay quiet.
    /// </summary>
    private static readonly string[] NoisyOrleansCategories =
    [
        "Orleans.Messaging",
        "Orleans.Runtime.Messaging",
        "Orleans.Networking",
        "Orleans.OutsideRuntimeClient",
        "Orleans.Runtime.OutsideRuntimeClient",
        "Orleans.Runtime.ClientClusterManifestProvider",
    ];

    /// <summary>
    /// Connects to a ComputeGrid cluster as an Orleans client configured by the section <c>ComputeGridClient</c> of
    /// <paramref name="configuration"/> (then <paramref name="configure"/>), and registers <see cref="IComputeGridClient"/>.
    /// The options are validated when the host starts (a bad one fails the start naming its key), and the client connects
    /// then, failing the start after <see cref="ComputeGridClientOptions.ConnectTimeout"/> if no gateway answers.
    /// </summary>
    /// <param name="services">The container.</param>
    /// <param name="configuration">The application's configuration (its root; the section is read from it).</param>
    /// <param name="configure">Changes applied after binding, for example a permission set in code.</param>
    public static IServiceCollection AddComputeGridClient(this IServiceCollection services, IConfiguration configuration, Action<ComputeGridClientOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var section = configuration.GetSection(ComputeGridClientOptions.Section);
        return services.AddComputeGridClient(o =>
        {
            section.Bind(o);
            configure?.Invoke(o);
        });
    }

    /// <summary>
    /// Connects to a ComputeGrid cluster as an Orleans client configured by <paramref name="configure"/>, and registers
    /// <see cref="IComputeGridClient"/>. Validated and connected when the host starts, as
    /// <see cref="AddComputeGridClient(IServiceCollection, IConfiguration, Action{ComputeGridClientOptions}?)"/>.
    /// </summary>
    public static IServiceCollection AddComputeGridClient(this IServiceCollection services, Action<ComputeGridClientOptions>? configure = null)
    {
        var apply = configure ?? (_ => { });
        services.AddOptions<ComputeGridClientOptions>().Configure(apply).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ComputeGridClientOptions>, ComputeGridClientOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<ClusterConnection>();
        services.AddLogging(logging =>
        {
            foreach (var category in NoisyOrleansCategories)
            {
                logging.AddFilter(category, LogLevel.Error);
            }
        });

        // Which clustering and streams the client uses is decided here; every value is read again, validated, when the
        // host starts.
        var shape = new ComputeGridClientOptions();
        apply(shape);
        var azure = shape.Storage == StorageKind.AzureStorage;
        services.AddOrleansClient(client =>
        {
            if (azure)
            {
                UseAzureStorage(client);
            }
            else
            {
                client.UseStaticClustering(o => o.Configure<IOptions<ComputeGridClientOptions>>((gateways, grid) =>
                    gateways.Gateways = [.. GatewayAddress.Of(grid.Value).Select(g => GatewayAddress.Resolve(g).ToGatewayUri())]));
                client.AddMemoryStreams(GridStreams.Provider);
            }

            client.AddActivityPropagation();
            // One instance is the retry filter, the status observer and what the calls consult.
            client.Services.AddSingleton<IClientConnectionRetryFilter>(sp => sp.GetRequiredService<ClusterConnection>());
            client.Services.AddSingleton<IClusterConnectionStatusObserver>(sp => sp.GetRequiredService<ClusterConnection>());
            client.Services.AddOptions<ClusterOptions>().Configure<IOptions<ComputeGridClientOptions>>((cluster, grid) =>
            {
                cluster.ClusterId = grid.Value.ClusterId;
                cluster.ServiceId = grid.Value.ServiceId;
            });
            client.Services.AddOptions<ClientMessagingOptions>().Configure<IOptions<ComputeGridClientOptions>>((messaging, grid) => messaging.ResponseTimeout = grid.Value.ResponseTimeout);
        });
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<ComputeGridClientOptions>>().Value;
            var policy = CallPolicy.Of(options.Retry, sp.GetRequiredService<ClusterConnection>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<ComputeGridClient>>());
            return new ComputeGridClient(sp.GetRequiredService<IClusterClient>(), policy) { AllowCommands = options.AllowCommands };
        });
        services.AddSingleton<IComputeGridClient>(sp => sp.GetRequiredService<ComputeGridClient>());
        return services;
    }

    /// <summary>
    /// Registers <see cref="IComputeGridClient"/> over the <see cref="IClusterClient"/> already in the container (a silo
    /// host co-hosting the SDK, or an app that configures its Orleans client itself). Calls are made once, without retries.
    /// </summary>
    /// <param name="services">The container.</param>
    /// <param name="allowCommands">Whether the client may submit jobs with a command (see <see cref="ComputeGridClientOptions.AllowCommands"/>).</param>
    /// <param name="retry">
    /// How idempotent calls are retried on transient faults; null (the default) makes each call once. A silo co-hosting
    /// the SDK passes a short policy, so a grain whose silo died is called again at once on its new activation.
    /// </param>
    public static IServiceCollection AddComputeGridClientOverCluster(this IServiceCollection services, bool allowCommands = false, ComputeGridRetryOptions? retry = null)
    {
        services.AddSingleton(sp =>
        {
            var cluster = sp.GetRequiredService<IClusterClient>();
            return retry is null
                ? new ComputeGridClient(cluster) { AllowCommands = allowCommands }
                : new ComputeGridClient(cluster, retry, sp.GetRequiredService<ILogger<ComputeGridClient>>()) { AllowCommands = allowCommands };
        });
        services.AddSingleton<IComputeGridClient>(sp => sp.GetRequiredService<ComputeGridClient>());
        return services;
    }

    private static void UseAzureStorage(IClientBuilder client)
    {
        client.UseAzureStorageClustering(o => o.Configure<IOptions<ComputeGridClientOptions>>((table, grid) =>
        {
            table.TableName = ClusterStorageNames.MembershipTable;
            table.TableServiceClient = new TableServiceClient(grid.Value.AzureStorageConnectionString);
        }));
        client.Services.AddOptions<GatewayOptions>().Configure<IOptions<ComputeGridClientOptions>>((gateway, grid) => gateway.GatewayListRefreshPeriod = grid.Value.GatewayRefreshInterval);
        client.AddAzureQueueStreams(GridStreams.Provider, b => b.ConfigureAzureQueue(o => o.Configure<IOptions<ComputeGridClientOptions>>((queue, grid) =>
        {
            queue.QueueNames = [.. GridQueues.Names(grid.Value.ServiceId)];
            queue.QueueServiceClient = new QueueServiceClient(grid.Value.AzureStorageConnectionString);
        })));
    }
}
