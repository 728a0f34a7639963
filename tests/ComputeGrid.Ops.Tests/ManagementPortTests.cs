using System.Net;
using ComputeGrid.Silo;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace ComputeGrid.Ops.Tests;

/// <summary>
/// Metrics and the Orleans dashboard (with its JSON APIs) answer only on the management listener, on loopback by
/// default; the public URLs answer 404 for them (issue 17, item 3).
/// </summary>
[Collection(SiloHostCollection.Name)]
public sealed class ManagementPortTests(SiloHostFixture host)
{
    [Theory]
    [InlineData("metrics")]
    [InlineData("dashboard/")]
    [InlineData("dashboard/DashboardCounters")]
    [InlineData("dashboard/Reminders")]
    public async Task Metrics_and_the_dashboard_answer_404_on_the_public_urls_with_or_without_a_key(string path)
    {
        using var anonymous = new HttpClient { BaseAddress = host.BaseAddress };
        using var operators = host.Client(SiloHostFixture.OperatorKey);

        foreach (var http in new[] { anonymous, operators })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(path, UriKind.Relative));

            // The Host header is the client's to choose: naming the management port in it changes nothing.
            request.Headers.Host = $"127.0.0.1:{host.ManagementAddress.Port}";
            using var response = await http.SendAsync(request);

            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
    }

    [Fact]
    public async Task Metrics_and_the_dashboard_answer_on_the_management_listener_which_serves_nothing_else()
    {
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = host.ManagementAddress };

        using var metrics = await http.GetAsync(new Uri("metrics", UriKind.Relative));
        using var dashboard = await http.GetAsync(new Uri("dashboard/", UriKind.Relative));
        using var counters = await http.GetAsync(new Uri("dashboard/DashboardCounters", UriKind.Relative));
        using var health = await http.GetAsync(new Uri("health", UriKind.Relative));
        using var root = await http.GetAsync(new Uri("/", UriKind.Relative));
        using var ops = await http.GetAsync(new Uri("ops", UriKind.Relative));
        using var docs = await http.GetAsync(new Uri("openapi/v1.json", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
        Assert.Contains("# TYPE", await metrics.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, dashboard.StatusCode);
        Assert.Equal(HttpStatusCode.OK, counters.StatusCode);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal("/dashboard/", root.Headers.Location?.OriginalString);
        Assert.Equal(HttpStatusCode.NotFound, ops.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, docs.StatusCode);
    }

    [Fact]
    public void The_management_listener_binds_to_loopback_by_default()
    {
        var options = host.Services.GetRequiredService<IOptions<SiloHostOptions>>().Value;
        var addresses = host.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;

        Assert.Equal("127.0.0.1", new SiloHostOptions().ManagementAddress);
        Assert.Equal("127.0.0.1", options.ManagementAddress);
        Assert.Contains($"http://127.0.0.1:{options.ManagementPort}", addresses);
    }

    [Fact]
    public async Task The_public_root_leads_to_the_api_reference_and_health_tells_only_the_status()
    {
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = host.BaseAddress };

        using var root = await http.GetAsync(new Uri("/", UriKind.Relative));
        using var health = await http.GetAsync(new Uri("health", UriKind.Relative));

        Assert.Equal("/docs", root.Headers.Location?.OriginalString);
        Assert.Contains(await health.Content.ReadAsStringAsync(), new[] { "Healthy", "Degraded", "Unhealthy" });
    }
}
