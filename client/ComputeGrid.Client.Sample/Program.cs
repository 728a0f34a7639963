using ComputeGrid.Client;
using ComputeGrid.Domain.Jobs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

// Submits a few jobs with different policies and latency classes to a running silo, prints where each went and why,
// watches them to the end and exits 0. Settings: the ComputeGridClient section (appsettings.json, environment variables
// such as ComputeGridClient__Gateways__0, or --ComputeGridClient:Gateways:0=host:port; default 127.0.0.1:30000). Without
// a silo it exits 2 after ComputeGridClient:ConnectTimeout (30 s) and says how to start one.
var builder = Host.CreateApplicationBuilder(args);
builder.Logging.SetMinimumLevel(LogLevel.Warning);
// A failed start is printed below as one message; the host's own entry would repeat it with a stack trace.
builder.Logging.AddFilter("Microsoft.Extensions.Hosting", LogLevel.Critical);
builder.Services.AddComputeGridClient(builder.Configuration);
using var host = builder.Build();
try
{
    await host.StartAsync();
}
catch (ComputeGridConnectionException e)
{
    await Console.Error.WriteLineAsync(e.Message);
    return 2;
}
catch (OptionsValidationException e)
{
    await Console.Error.WriteLineAsync($"Invalid configuration: {string.Join("; ", e.Failures)}");
    return 2;
}

var grid = host.Services.GetRequiredService<IComputeGridClient>();

var runId = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
JobRequest[] requests =
[
    new() { JobId = $"sample-{runId}-greenest-batch", Tenant = "sample", OriginHub = "yangtze", CpuMillicores = 8000, MemoryMiB = 32768, Gpus = 1, GpuModel = "910B", RunTime = TimeSpan.FromSeconds(3), LatencyClass = LatencyClass.Batch, Policy = PlacementPolicy.Greenest },
    new() { JobId = $"sample-{runId}-cheapest-batch", Tenant = "sample", OriginHub = "bth", CpuMillicores = 16000, MemoryMiB = 65536, RunTime = TimeSpan.FromSeconds(2), LatencyClass = LatencyClass.Batch, Policy = PlacementPolicy.Cheapest },
    new() { JobId = $"sample-{runId}-fastest-interactive", Tenant = "sample", OriginHub = "yangtze", CpuMillicores = 2000, MemoryMiB = 4096, RunTime = TimeSpan.FromSeconds(2), LatencyClass = LatencyClass.Interactive, Policy = PlacementPolicy.Fastest },
    new() { JobId = $"sample-{runId}-balanced-regional", Tenant = "sample", OriginHub = "gba", CpuMillicores = 4000, MemoryMiB = 8192, RunTime = TimeSpan.FromSeconds(2), LatencyClass = LatencyClass.Regional, Policy = PlacementPolicy.Balanced },
    new() { JobId = $"sample-{runId}-resident-greenest", Tenant = "sample", OriginHub = "chengyu", CpuMillicores = 4000, MemoryMiB = 8192, RunTime = TimeSpan.FromSeconds(2), AllowedHubs = ["chengyu"], Policy = PlacementPolicy.Greenest },
];

var jobs = new List<string>();
foreach (var request in requests)
{
    var job = await grid.SubmitAsync(request);
    jobs.Add(job.JobId);
    var where = job.Placement is { } p ? $"{p.DataCenterId} ({p.HubId}), {p.LatencyMs:0.0} ms" : "queued";
    Console.WriteLine($"{request.Policy,-9} {request.LatencyClass,-11} from {request.OriginHub,-8} -> {where}");
    if (job.Placement is { } placement)
    {
        Console.WriteLine($"          why: {placement.Reason}");
        Console.WriteLine($"          est: {placement.Estimate.EnergyKwh:G3} kWh, {placement.Estimate.CarbonKg:G3} kgCO2, {placement.Estimate.CostCny:G3} CNY");
    }
}

try
{
    await grid.SubmitAsync(new JobRequest { Tenant = "sample", OriginHub = "yangtze", CpuMillicores = 1000, MemoryMiB = 1024, Gpus = 600, GpuModel = "910B", RunTime = TimeSpan.FromMinutes(1) });
}
catch (JobRejectedException e)
{
    Console.WriteLine($"rejected as expected: {e.Field}: {e.Reason}");
}

using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(2));
var ok = true;
foreach (var jobId in jobs)
{
    await foreach (var evt in grid.WatchJobAsync(jobId, deadline.Token))
    {
        Console.WriteLine($"{jobId}: #{evt.Sequence} {evt.State} {evt.DataCenterId} {evt.Detail}");
        if (evt.State.IsTerminal())
        {
            ok &= evt.State == JobState.Succeeded;
        }
    }
}

var pool = await grid.GetPoolAsync();
Console.WriteLine($"pool: {pool.Hubs.Sum(h => h.DataCenters.Count)} data centers in {pool.Hubs.Count} hubs; executed {pool.Executed.EnergyKwh:G3} kWh, {pool.Executed.CarbonKg:G3} kgCO2");
await host.StopAsync();
return ok ? 0 : 1;
