using ComputeGrid.Domain.Topology;
using ComputeGrid.Silo;

var builder = WebApplication.CreateBuilder(args);
NationalTopology topology;
try
{
    topology = SiloHost.LoadTopology(builder.Configuration);
}
catch (TopologyException e)
{
    await Console.Error.WriteLineAsync(e.Message);
    return 2;
}

SiloHost.Configure(builder, topology);
var app = builder.Build();
SiloHost.Map(app);
try
{
    await app.RunAsync();
    return 0;
}
catch (Microsoft.Extensions.Options.OptionsValidationException e)
{
    await Console.Error.WriteLineAsync($"Invalid configuration: {string.Join("; ", e.Failures)}");
    return 2;
}
