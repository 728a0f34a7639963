using System.Net;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using ComputeGrid.Contracts;
using ComputeGrid.Contracts.Cluster;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;

namespace ComputeGrid.Client;

/// <summary>The SDK's one DI registration.</summary>
public static class ServiceCollectionExtensions
{
    /// <summary>
    /// Connects to a ComputeGrid cluster as an Orleans client and registers <see cref="IComputeGridClient"/>. The client
    /// connects when the host starts.
    /// </summary>
    public static IServiceCollection AddComputeGridClient(this IServiceCollection services, Action<ComputeGridClientOptions>? configure = null)
    {
        var options = new ComputeGridClientOptions();
        configure?.Invoke(options);
        var azure = options.Storage == StorageKind.AzureStorage;
        if (azure && string.IsNullOrWhiteSpace(options.AzureStorageConnectionString))
        {
            throw new ComputeGridValidationException([new Domain.ValidationError("azureStorageConnectionString", "required when storage is AzureStorage")]);
        }

        var gateways = azure ? [] : (options.Gateways.Count > 0 ? options.Gateways : ["127.0.0.1:30000"]).Select(ParseGateway).ToArray();
        services.AddOrleansClient(client =>
        {
            if (azure)
            {
                UseAzureStorage(client, options);
            }
            else
            {
                client.UseStaticClustering(gateways);
                client.AddMemoryStreams(GridStreams.Provider);
            }

            client.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = options.ClusterId;
                o.ServiceId = options.ServiceId;
            });
            client.Configure<ClientMessagingOptions>(o => o.ResponseTimeout = options.ResponseTimeout);
        });
        return services.AddComputeGridClientOverCluster(options.AllowCommands);
    }

    /// <summary>
    /// Registers <see cref="IComputeGridClient"/> over the <see cref="IClusterClient"/> already in the container (a silo
    /// host co-hosting the SDK, or an app that configures its Orleans client itself).
    /// </summary>
    /// <param name="services">The container.</param>
    /// <param name="allowCommands">Whether the client may submit jobs with a command (see <see cref="ComputeGridClientOptions.AllowCommands"/>).</param>
    public static IServiceCollection AddComputeGridClientOverCluster(this IServiceCollection services, bool allowCommands = false)
    {
        services.AddSingleton(sp => new ComputeGridClient(sp.GetRequiredService<IClusterClient>()) { AllowCommands = allowCommands });
        services.AddSingleton<IComputeGridClient>(sp => sp.GetRequiredService<ComputeGridClient>());
        return services;
    }

    private static void UseAzureStorage(IClientBuilder client, ComputeGridClientOptions options)
    {
        var connection = options.AzureStorageConnectionString!;
        client.UseAzureStorageClustering(o =>
        {
            o.TableName = ClusterStorageNames.MembershipTable;
            o.TableServiceClient = new TableServiceClient(connection);
        });
        client.Configure<GatewayOptions>(o => o.GatewayListRefreshPeriod = options.GatewayRefreshInterval);
        client.AddAzureQueueStreams(GridStreams.Provider, b => b.Configure(o =>
        {
            o.QueueNames = [.. GridQueues.Names(options.ServiceId)];
            o.QueueServiceClient = new QueueServiceClient(connection);
        }));
    }

    private static IPEndPoint ParseGateway(string gateway)
    {
        var colon = gateway.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(gateway[(colon + 1)..], out var port) || port is < 1 or > 65535)
        {
            throw new ComputeGridValidationException([new Domain.ValidationError("gateways", $"'{gateway}' is not host:port")]);
        }

        var host = gateway[..colon];
        var address = IPAddress.TryParse(host, out var ip) ? ip : Dns.GetHostAddresses(host).First();
        return new IPEndPoint(address, port);
    }
}
