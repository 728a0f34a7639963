using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using ComputeGrid.Client;
using ComputeGrid.Gateway.Security;
using ComputeGrid.Silo;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace ComputeGrid.Gateway.Tests;

/// <summary>
/// The two ways the gateway is served: co-hosted in the silo of the one run command (in Development, with the documented
/// development keys), and standalone (src/ComputeGrid.Gateway.Host, its own process) as an Orleans client of that silo.
/// Outside Development neither host starts without a key of its own, nor with a development key.
/// </summary>
public sealed class HostingTests(DevelopmentSilo silo) : IClassFixture<DevelopmentSilo>
{
    private const string DevPartnerKey = DevelopmentKeys.PartnerAcme;
    private const string DevOperatorKey = DevelopmentKeys.Operator;

    [Fact]
    public async Task The_silo_host_serves_the_gateway_with_the_documented_development_keys()
    {
        using var partner = new HttpClient { BaseAddress = silo.BaseAddress };
        partner.DefaultRequestHeaders.Add(ApiKeys.Header, DevPartnerKey);
        using var operators = new HttpClient { BaseAddress = silo.BaseAddress };
        operators.DefaultRequestHeaders.Add(ApiKeys.Header, DevOperatorKey);

        using var tenant = await partner.GetAsync("/v1/tenant");
        using var forbidden = await partner.PostAsync("/v1/data-centers/guian/drain", content: null);
        using var unknown = await operators.PostAsync("/v1/data-centers/no-such-dc/drain", content: null);
        using var document = await partner.GetAsync("/openapi/v1.json");
        using var health = await partner.GetAsync("/health");

        Assert.Equal("acme", (await tenant.JsonAsync()).GetProperty("tenant").GetString());
        await forbidden.AssertProblemAsync(403, "X-API-Key");
        await unknown.AssertProblemAsync(404, "dataCenterId");
        Assert.Equal(HttpStatusCode.OK, document.StatusCode);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    [Fact]
    public async Task The_standalone_host_serves_the_api_and_the_ops_page_as_an_orleans_client_of_the_cluster()
    {
        var port = Loopback.FreePort();
        const string key = "standalone-test-key";
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[]
        {
            HostAssembly("src", "ComputeGrid.Gateway.Host"),
            "--environment", "Production",
            "--urls", $"http://127.0.0.1:{port}",
            $"--ComputeGridClient:Gateways:0={silo.OrleansGateway}",
            $"--ComputeGridClient:ClusterId={silo.ClusterId}",
            $"--ComputeGridClient:ServiceId={silo.ServiceId}",
            "--Gateway:ApiKeys:standalone:Tenant=standalone",
            "--Gateway:ApiKeys:standalone:Role=Partner",
            $"--Gateway:ApiKeys:standalone:Sha256={ApiKeyHash.Of(key)}",
            "--Logging:LogLevel:Default=Warning",
        })
        {
            start.ArgumentList.Add(argument);
        }

        using var host = Process.Start(start)!;
        var output = Task.WhenAll(host.StandardOutput.ReadToEndAsync(), host.StandardError.ReadToEndAsync());
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };
            http.DefaultRequestHeaders.Add(ApiKeys.Header, key);
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
            while (!await AnswersAsync(http))
            {
                if (host.HasExited || DateTime.UtcNow > deadline)
                {
                    Stop(host);
                    Assert.Fail($"the standalone host did not answer: {string.Concat(await output)}");
                }

                await Task.Delay(100);
            }

            var idempotencyKey = Bodies.NewKey("standalone");

            using var submitted = await http.SubmitAsync(Bodies.Job(), idempotencyKey);
            using var read = await http.GetAsync($"/v1/jobs/standalone.{idempotencyKey}");
            using var opsPage = await http.GetAsync("/ops");
            using var opsScript = await http.GetAsync("/ops/ops.js");

            Assert.Equal(HttpStatusCode.Created, submitted.StatusCode);
            Assert.Equal("standalone", (await read.JsonAsync()).GetProperty("tenant").GetString());
            Assert.Equal("standalone", (await silo.Grid.GetJobAsync($"standalone.{idempotencyKey}")).Spec.Tenant);
            Assert.Equal(HttpStatusCode.OK, opsPage.StatusCode);
            Assert.Contains("/v1/ops/federation", await opsPage.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.OK, opsScript.StatusCode);
        }
        finally
        {
            Stop(host);
            await host.WaitForExitAsync();
            await output;
        }
    }

    [Theory]
    [InlineData("silo")]
    [InlineData("standalone")]
    public async Task A_production_host_without_keys_refuses_to_start_and_says_how_to_add_one(string host)
    {
        var (exitCode, output) = await RunUntilExitAsync(host, "--environment", "Production");

        Assert.True(exitCode == 2, $"exit code {exitCode}: {output}");
        Assert.Contains("Gateway:ApiKeys has no key (Production environment)", output, StringComparison.Ordinal);
        Assert.Contains("Gateway__ApiKeys__ops__Role=Operator", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("silo", DevelopmentKeys.Operator)]
    [InlineData("silo", DevelopmentKeys.PartnerAcmeCommands)]
    [InlineData("standalone", DevelopmentKeys.PartnerAcme)]
    public async Task A_production_host_refuses_to_start_with_a_development_key(string host, string developmentKey)
    {
        var (exitCode, output) = await RunUntilExitAsync(
            host,
            "--environment", "Production",
            "--Gateway:ApiKeys:copied:Tenant=operators",
            "--Gateway:ApiKeys:copied:Role=Operator",
            $"--Gateway:ApiKeys:copied:Sha256={ApiKeyHash.Of(developmentKey)}");

        Assert.True(exitCode == 2, $"exit code {exitCode}: {output}");
        Assert.Contains("Gateway:ApiKeys:copied:Sha256 is the hash of a published development key", output, StringComparison.Ordinal);
    }

    [Fact]
    public void The_readme_run_command_runs_the_silo_in_development()
    {
        var launch = JsonDocument.Parse(Docs.RepositoryFiles.Read("silo/ComputeGrid.Silo/Properties/launchSettings.json")).RootElement;
        var readme = Docs.RepositoryFiles.Read("README.md");

        Assert.Contains("dotnet run --project silo/ComputeGrid.Silo\n", readme, StringComparison.Ordinal);
        Assert.Contains("Hosting environment: Development", readme, StringComparison.Ordinal);
        Assert.All(launch.GetProperty("profiles").EnumerateObject(), profile =>
            Assert.Equal("Development", profile.Value.GetProperty("environmentVariables").GetProperty("ASPNETCORE_ENVIRONMENT").GetString()));
        Assert.DoesNotContain("ApiKeys", Docs.RepositoryFiles.Read("silo/ComputeGrid.Silo/appsettings.json"), StringComparison.Ordinal);
        Assert.DoesNotContain("ApiKeys", Docs.RepositoryFiles.Read("src/ComputeGrid.Gateway.Host/appsettings.json"), StringComparison.Ordinal);
    }

    /// <summary>Runs a host (<c>silo</c> or <c>standalone</c>) from its build output on free ports until it exits; its exit code and output.</summary>
    private async Task<(int ExitCode, string Output)> RunUntilExitAsync(string host, params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment.Remove("ASPNETCORE_ENVIRONMENT");
        start.Environment.Remove("DOTNET_ENVIRONMENT");
        start.ArgumentList.Add(host == "silo" ? HostAssembly("silo", "ComputeGrid.Silo") : HostAssembly("src", "ComputeGrid.Gateway.Host"));
        foreach (var argument in new[] { "--urls", $"http://127.0.0.1:{Loopback.FreePort()}" }.Concat(arguments))
        {
            start.ArgumentList.Add(argument);
        }

        if (host == "silo")
        {
            start.ArgumentList.Add($"--Silo:SiloPort={Loopback.FreePort()}");
            start.ArgumentList.Add($"--Silo:GatewayPort={Loopback.FreePort()}");
        }
        else
        {
            start.ArgumentList.Add($"--ComputeGridClient:Gateways:0={silo.OrleansGateway}");
        }

        using var process = Process.Start(start)!;
        var output = Task.WhenAll(process.StandardOutput.ReadToEndAsync(), process.StandardError.ReadToEndAsync());
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            Stop(process);
            await process.WaitForExitAsync();
            Assert.Fail($"the {host} host kept running: {string.Concat(await output)}");
        }

        return (process.ExitCode, string.Concat(await output));
    }

    private static void Stop(Process host)
    {
        if (!host.HasExited)
        {
            host.Kill(entireProcessTree: true);
        }
    }

    private static async Task<bool> AnswersAsync(HttpClient http)
    {
        try
        {
            using var response = await http.GetAsync("/v1/pool");
            return response.StatusCode == HttpStatusCode.OK;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    /// <summary>A host's build output beside this test assembly's: same configuration and target framework.</summary>
    private static string HostAssembly(string folder, string project)
    {
        var bin = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var (framework, configuration) = (bin.Name, bin.Parent!.Name);
        var root = bin;
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "ComputeGrid.sln")))
        {
            root = root.Parent;
        }

        var path = Path.Combine(root!.FullName, folder, project, "bin", configuration, framework, $"{project}.dll");
        Assert.True(File.Exists(path), $"{path} is missing: build {folder}/{project}");
        return path;
    }
}

/// <summary>
/// The silo of the one run command as <c>dotnet run</c> starts it: in the Development environment (its launch profile),
/// so with its appsettings.json, appsettings.Development.json (the development keys) and topology, on free ports.
/// </summary>
public class DevelopmentSilo : IAsyncLifetime
{
    private readonly int _gatewayPort = Loopback.FreePort();
    private WebApplication? _app;

    public Uri BaseAddress { get; private set; } = null!;

    public string OrleansGateway => $"127.0.0.1:{_gatewayPort}";

    public string ClusterId { get; } = $"hosting-{Guid.NewGuid():n}";

    public string ServiceId => "computegrid";

    public IComputeGridClient Grid => _app!.Services.GetRequiredService<IComputeGridClient>();

    /// <summary>Settings a derived fixture adds to the development configuration (more keys, for example).</summary>
    protected virtual IReadOnlyDictionary<string, string?> ExtraSettings { get; } = new Dictionary<string, string?>();

    public async Task InitializeAsync()
    {
        var web = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Development", ContentRootPath = AppContext.BaseDirectory });
        web.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["urls"] = "http://127.0.0.1:0",
            ["Silo:SiloPort"] = Loopback.FreePort().ToString(CultureInfo.InvariantCulture),
            ["Silo:GatewayPort"] = _gatewayPort.ToString(CultureInfo.InvariantCulture),
            ["Silo:ManagementPort"] = Loopback.FreePort().ToString(CultureInfo.InvariantCulture),
            ["Silo:ClusterId"] = ClusterId,
            ["Logging:LogLevel:Default"] = "Warning",
        });
        web.Configuration.AddInMemoryCollection(ExtraSettings);
        SiloHost.Configure(web, SiloHost.LoadTopology(web.Configuration));
        _app = web.Build();
        SiloHost.Map(_app);
        await _app.StartAsync();
        BaseAddress = new Uri(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        await Eventually.TrueAsync(async () => (await Grid.Admin.GetDirectoryAsync()).DataCenters.Count > 0, "the development pool is seeded");
    }

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
