using ComputeGrid.Silo;

// The development default: one silo with in-memory storage and memory streams, the national topology seeded, the
// Orleans dashboard at /dashboard/ and health at /health, on http://localhost:8080 unless ASPNETCORE_URLS/--urls say otherwise.
var builder = WebApplication.CreateBuilder(args);
if (string.IsNullOrEmpty(builder.Configuration["urls"]))
{
    builder.WebHost.UseUrls("http://localhost:8080");
}

try
{
    var topology = SiloHost.LoadTopology(builder.Configuration);
    SiloHost.Configure(builder, topology);
    var app = builder.Build();
    SiloHost.Map(app);
    await app.RunAsync();
    return 0;
}
catch (Exception e) when (StartupError.Describe(e) is { } message)
{
    await Console.Error.WriteLineAsync(message);
    return 2;
}
