using ComputeGrid.Client;
using ComputeGrid.Gateway.Hosting;
using Microsoft.Extensions.Options;

// The gateway on its own, as an Orleans client of a cluster (section ComputeGridClient: Gateways, ClusterId, ServiceId),
// on http://localhost:8081 unless ASPNETCORE_URLS/--urls say otherwise. API keys come from section Gateway; traces go to
// section Tracing's OTLP endpoint when it names one.
var builder = WebApplication.CreateBuilder(args);
if (string.IsNullOrEmpty(builder.Configuration["urls"]))
{
    builder.WebHost.UseUrls("http://localhost:8081");
}

// The gateway checks each API key's permission to submit commands, so its client may pass them on.
builder.Services.AddComputeGridClient(builder.Configuration, o => o.AllowCommands = true);
builder.Services.AddComputeGridGateway();
builder.Services.AddComputeGridTracing(builder.Configuration, "computegrid-gateway");
try
{
    var app = builder.Build();
    app.UseComputeGridGateway();
    app.MapComputeGridGateway();
    await app.RunAsync();
    return 0;
}
catch (OptionsValidationException e)
{
    await Console.Error.WriteLineAsync($"Invalid configuration: {string.Join("; ", e.Failures)}");
    return 2;
}
catch (ComputeGridConnectionException e)
{
    await Console.Error.WriteLineAsync(e.Message);
    return 2;
}
