using ComputeGrid.Silo;

// The development default: one silo with in-memory storage and memory streams, the national topology seeded, the REST
// API and health at /health on http://localhost:8080 unless Urls/ASPNETCORE_URLS/--urls say otherwise, and the Orleans
// dashboard and /metrics on the loopback management port (9464).
// Settings (appsettings.json) are read from the application's directory, whatever the working directory: the cluster
// script and the cluster tests start the silo from the repository root.
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
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
