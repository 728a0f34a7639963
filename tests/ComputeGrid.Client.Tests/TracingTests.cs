using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ComputeGrid.Contracts.Telemetry;
using ComputeGrid.Gateway.Hosting;
using ComputeGrid.Gateway.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Trace;

namespace ComputeGrid.Client.Tests;

[Collection(SdkCollection.Name)]
public sealed class TracingTests(SdkClusterFixture fixture)
{
    private const string Key = "tracing-test-key";

    [Fact]
    public async Task A_placement_under_a_loan_is_one_trace_from_the_rest_request_through_the_job_region_and_data_center()
    {
        var spans = new List<Activity>();
        using var tracer = Sdk.CreateTracerProviderBuilder()
            .AddSource([.. TracingExtensions.Sources])
            .AddAspNetCoreInstrumentation()
            .AddInMemoryExporter(spans)
            .Build();
        await using var gateway = await StartGatewayAsync();
        using var http = new HttpClient { BaseAddress = new Uri(gateway.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()) };
        http.DefaultRequestHeaders.Add(ApiKeys.Header, Key);

        // Chengyu has no TRC GPUs; Gansu's private data center has all of them: the job waits while Chengyu borrows there.
        await fixture.RegisterPrivateDataCenterAsync("trace-dc", "gansu", "TRC", gpus: 4);
        var response = await http.PostAsJsonAsync("/v1/jobs", new JsonObject
        {
            ["originHub"] = "chengyu",
            ["resources"] = new JsonObject { ["cpuMillicores"] = 4000, ["memoryMiB"] = 8192, ["gpus"] = 1, ["gpuModel"] = "TRC" },
            ["runTimeSeconds"] = 3600,
            ["latencyClass"] = "Batch",
            ["policy"] = "Balanced",
        });
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        var jobId = (await response.Content.ReadFromJsonAsync<JsonObject>())!["jobId"]!.GetValue<string>();
        await Eventually.TrueAsync(
            async () => (await fixture.Grid.GetJobAsync(jobId)).Placement?.LoanId is not null,
            $"{jobId} is placed under a loan",
            TimeSpan.FromSeconds(90),
            describe: async () => string.Join(" | ", (await fixture.Grid.GetJobAsync(jobId)).History.Select(e => $"{e.State}: {e.Detail}"))
                + " || loans: " + string.Join(" | ", (await fixture.Grid.ListLoansAsync("chengyu", limit: 10)).Loans.Select(l => $"{l.LoanId} {l.State} {l.Amount}")));
        var placement = (await fixture.Grid.GetJobAsync(jobId)).Placement!;

        var request = Snapshot(spans).Single(s => s.Kind == ActivityKind.Server && s.DisplayName.StartsWith("POST", StringComparison.Ordinal) && s.GetTagItem("url.path") as string == "/v1/jobs" && s.TraceId == TraceOf(spans, jobId));
        Activity[] trace = [];
        await Eventually.TrueAsync(
            () =>
            {
                trace = [.. Snapshot(spans).Where(s => s.TraceId == request.TraceId)];
                return Task.FromResult(trace.Any(s => s.DisplayName == "assign"));
            },
            "the job's assignment is in the request's trace",
            describe: () => Task.FromResult(string.Join(", ", Snapshot(spans).Where(s => Equals(s.GetTagItem(TraceTags.JobId), jobId)).Select(s => $"{s.DisplayName}@{s.TraceId}")) + $" (request trace {request.TraceId})"));

        Assert.Contains(trace, s => s.DisplayName == "sdk submit" && Equals(s.GetTagItem(TraceTags.JobId), jobId));
        Assert.Contains(trace, s => s.DisplayName == "submit" && Equals(s.GetTagItem(TraceTags.JobId), jobId) && Equals(s.GetTagItem(TraceTags.Tenant), "tracing"));
        Assert.Contains(trace, s => s.DisplayName == "place" && Equals(s.GetTagItem(TraceTags.Hub), "chengyu"));
        Assert.Contains(trace, s => s.DisplayName == "borrow" && Equals(s.GetTagItem(TraceTags.Hub), "chengyu") && Equals(s.GetTagItem(TraceTags.PeerHub), "gansu"));
        Assert.Contains(trace, s => s.DisplayName == "reserve" && Equals(s.GetTagItem(TraceTags.DataCenter), "trace-dc") && Equals(s.GetTagItem(TraceTags.LoanId), placement.LoanId) && Equals(s.GetTagItem(TraceTags.JobId), jobId));
        Assert.Contains(trace, s => s.DisplayName == "assign" && Equals(s.GetTagItem(TraceTags.DataCenter), "trace-dc"));
        await fixture.Grid.CancelJobAsync(jobId);
    }

    /// <summary>The trace of the job's submission span.</summary>
    private static ActivityTraceId TraceOf(List<Activity> spans, string jobId) =>
        Snapshot(spans).First(s => s.DisplayName == "submit" && Equals(s.GetTagItem(TraceTags.JobId), jobId)).TraceId;

    /// <summary>The spans exported so far (the exporter appends while spans end).</summary>
    private static Activity[] Snapshot(List<Activity> spans)
    {
        while (true)
        {
            try
            {
                lock (spans)
                {
                    return [.. spans];
                }
            }
            catch (ArgumentException)
            {
            }
            catch (InvalidOperationException)
            {
            }
        }
    }

    private async Task<WebApplication> StartGatewayAsync()
    {
        var web = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production", ContentRootPath = AppContext.BaseDirectory });
        web.Configuration.Sources.Clear();
        web.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Gateway:ApiKeys:tracing:Tenant"] = "tracing",
            ["Gateway:ApiKeys:tracing:Role"] = "Partner",
            ["Gateway:ApiKeys:tracing:Sha256"] = ApiKeyHash.Of(Key),
        });
        web.WebHost.UseUrls("http://127.0.0.1:0");
        web.Logging.ClearProviders();
        web.Services.AddSingleton(fixture.Cluster.Client);
        web.Services.AddComputeGridClientOverCluster();
        web.Services.AddComputeGridGateway();
        var app = web.Build();
        app.UseComputeGridGateway();
        app.MapComputeGridGateway();
        await app.StartAsync();
        return app;
    }
}
