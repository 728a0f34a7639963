using System.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ComputeGrid.Client.Tests;

public sealed class ConnectionTests
{
    [Fact]
    public async Task Starting_without_a_silo_fails_within_the_connect_timeout_naming_the_gateways_and_how_to_start_one()
    {
        var gateway = $"127.0.0.1:{Loopback.FreePort()}";
        var logs = new CapturedLogs();
        using var host = Build(logs, new() { ["ComputeGridClient:Gateways:0"] = gateway, ["ComputeGridClient:ConnectTimeout"] = "00:00:03" });
        var clock = Stopwatch.StartNew();

        var e = await Assert.ThrowsAsync<ComputeGridConnectionException>(() => host.StartAsync());

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"the start failed only after {clock.Elapsed}");
        Assert.Equal([gateway], e.Gateways);
        Assert.Contains(gateway, e.Message, StringComparison.Ordinal);
        Assert.Contains("ComputeGridClient:ConnectTimeout", e.Message, StringComparison.Ordinal);
        Assert.Contains("`dotnet run --project silo/ComputeGrid.Silo`", e.Message, StringComparison.Ordinal);
        var attempts = logs.Entries.Where(l => l.Message.Contains("connection attempt", StringComparison.Ordinal)).ToList();
        Assert.True(attempts.Count >= 2, "one line per failed attempt: " + string.Join('\n', logs.Entries));
        Assert.All(attempts, l => Assert.Contains(gateway, l.Message, StringComparison.Ordinal));
        AssertOneLineEach(logs);
    }

    [Fact]
    public async Task A_lost_cluster_is_reported_in_one_line_and_calls_then_fail_fast_naming_the_gateway()
    {
        await using var silo = await EmbeddedSilo.StartAsync();
        var gateway = silo.OrleansGateway;
        var logs = new CapturedLogs();
        using var host = Build(logs, new()
        {
            ["ComputeGridClient:Gateways:0"] = gateway,
            ["ComputeGridClient:ClusterId"] = silo.ClusterId,
            ["ComputeGridClient:ServiceId"] = silo.ServiceId,
            ["ComputeGridClient:Retry:BaseDelay"] = "00:00:00.050",
        });
        await host.StartAsync();
        var grid = host.Services.GetRequiredService<IComputeGridClient>();
        await grid.GetPoolAsync();

        await silo.StopAsync();
        await Eventually.TrueAsync(() => Task.FromResult(logs.Entries.Any(l => l.Message.Contains("lost the connection", StringComparison.Ordinal))), "the client reports the lost cluster", describe: () => Task.FromResult(string.Join('\n', logs.Entries)));
        var clock = Stopwatch.StartNew();
        var e = await Assert.ThrowsAsync<ComputeGridConnectionException>(() => grid.GetJobAsync("after-the-loss"));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"the call failed only after {clock.Elapsed} (response timeout 30 s)");
        Assert.Contains(gateway, e.Message, StringComparison.Ordinal);
        Assert.True(e.Message.Contains("the connection to it is lost", StringComparison.Ordinal), e.Message + "\n" + string.Join("\n", logs.Entries));
        Assert.Single(logs.Entries, l => l.Message.Contains("lost the connection", StringComparison.Ordinal) && l.Message.Contains(gateway, StringComparison.Ordinal));
        AssertOneLineEach(logs);
        await host.StopAsync();
    }

    [Fact]
    public async Task Stopping_the_host_closes_the_connection_without_reporting_a_lost_cluster()
    {
        await using var silo = await EmbeddedSilo.StartAsync();
        var logs = new CapturedLogs();
        using var host = Build(logs, new()
        {
            ["ComputeGridClient:Gateways:0"] = silo.OrleansGateway,
            ["ComputeGridClient:ClusterId"] = silo.ClusterId,
            ["ComputeGridClient:ServiceId"] = silo.ServiceId,
        });
        await host.StartAsync();
        await host.Services.GetRequiredService<IComputeGridClient>().GetPoolAsync();

        await host.StopAsync();

        Assert.DoesNotContain(logs.Entries, l => l.Message.Contains("lost the connection", StringComparison.Ordinal));
    }

    /// <summary>
    /// Nothing the SDK or Orleans logged at warning or above carries a stack trace or spans lines. (The generic host's own
    /// "Hosting failed to start" entry logs the exception the start threw, as it does for any app.)
    /// </summary>
    private static void AssertOneLineEach(CapturedLogs logs) =>
        Assert.All(logs.Entries.Where(l => l.Level >= LogLevel.Warning && !l.Category.StartsWith("Microsoft.Extensions.Hosting", StringComparison.Ordinal)), l =>
        {
            Assert.True(l.Exception is null, $"a log entry with a stack trace: {l}");
            Assert.DoesNotContain('\n', l.Message);
        });

    private static IHost Build(CapturedLogs logs, Dictionary<string, string?> settings)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Information);
        builder.Logging.AddProvider(logs);
        builder.Services.AddComputeGridClient(builder.Configuration);
        return builder.Build();
    }
}
