using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace ComputeGrid.Client.Tests;

public sealed class ConfigurationTests
{
    [Fact]
    public void The_ComputeGridClient_section_configures_the_client_and_its_orleans_connection()
    {
        using var host = Build(new()
        {
            ["ComputeGridClient:Gateways:0"] = "127.0.0.1:31234",
            ["ComputeGridClient:ClusterId"] = "bound-cluster",
            ["ComputeGridClient:ServiceId"] = "bound-service",
            ["ComputeGridClient:ResponseTimeout"] = "00:00:07",
            ["ComputeGridClient:ConnectTimeout"] = "00:00:05",
            ["ComputeGridClient:AllowCommands"] = "true",
            ["ComputeGridClient:Retry:MaxAttempts"] = "2",
            ["ComputeGridClient:Retry:Deadline"] = "00:00:09",
        });

        var options = host.Services.GetRequiredService<IOptions<ComputeGridClientOptions>>().Value;
        Assert.Equal(["127.0.0.1:31234"], options.Gateways);
        Assert.Equal(TimeSpan.FromSeconds(5), options.ConnectTimeout);
        Assert.Equal(2, options.Retry.MaxAttempts);
        Assert.Equal(TimeSpan.FromSeconds(9), options.Retry.Deadline);
        Assert.True(host.Services.GetRequiredService<ComputeGridClient>().AllowCommands);
        Assert.Equal("bound-cluster", host.Services.GetRequiredService<IOptions<ClusterOptions>>().Value.ClusterId);
        Assert.Equal("bound-service", host.Services.GetRequiredService<IOptions<ClusterOptions>>().Value.ServiceId);
        Assert.Equal(TimeSpan.FromSeconds(7), host.Services.GetRequiredService<IOptions<ClientMessagingOptions>>().Value.ResponseTimeout);
        Assert.Equal([new Uri("gwy.tcp://127.0.0.1:31234/0")], host.Services.GetRequiredService<IOptions<StaticGatewayListProviderOptions>>().Value.Gateways);
    }

    [Fact]
    public void Changes_in_code_apply_after_the_bound_section()
    {
        using var host = Build(new() { ["ComputeGridClient:AllowCommands"] = "true" }, o => o.AllowCommands = false);

        Assert.False(host.Services.GetRequiredService<ComputeGridClient>().AllowCommands);
    }

    [Theory]
    [InlineData("ComputeGridClient:Gateways:0", "nowhere", "ComputeGridClient:Gateways:0 must be host:port")]
    [InlineData("ComputeGridClient:Storage", "AzureStorage", "ComputeGridClient:AzureStorageConnectionString is required")]
    [InlineData("ComputeGridClient:ConnectTimeout", "00:00:00", "ComputeGridClient:ConnectTimeout must be between")]
    [InlineData("ComputeGridClient:ResponseTimeout", "00:00:00.100", "ComputeGridClient:ResponseTimeout must be between")]
    [InlineData("ComputeGridClient:Retry:MaxAttempts", "0", "ComputeGridClient:Retry:MaxAttempts must be between 1 and 20")]
    [InlineData("ComputeGridClient:Retry:MaxDelay", "00:00:00.001", "ComputeGridClient:Retry:MaxDelay must be between")]
    [InlineData("ComputeGridClient:Retry:AttemptTimeout", "00:00:00.01", "ComputeGridClient:Retry:AttemptTimeout must be between")]
    [InlineData("ComputeGridClient:ClusterId", " ", "ComputeGridClient:ClusterId must not be empty")]
    public async Task A_bad_option_fails_the_host_start_naming_its_key(string key, string value, string message)
    {
        using var host = Build(new() { [key] = value });

        var e = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains(e.Failures, f => f.StartsWith(message, StringComparison.Ordinal));
    }

    private static IHost Build(Dictionary<string, string?> settings, Action<ComputeGridClientOptions>? configure = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.ClearProviders();
        builder.Services.AddComputeGridClient(builder.Configuration, configure);
        return builder.Build();
    }
}
