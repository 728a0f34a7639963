using ComputeGrid.Agent.Configuration;
using ComputeGrid.Agent.Running;
using ComputeGrid.Agent.State;
using ComputeGrid.Agent.Sync;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ComputeGrid.Agent.Hosting;

/// <summary>Builds the agent's Generic Host: the options (validated on start), the runner, the state file and the sync loop.</summary>
internal static class AgentHost
{
    /// <summary>How long a stop may take: kill the jobs, wait for them, one last sync.</summary>
    public static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(20);

    /// <summary>A host for <paramref name="options"/> with <paramref name="credential"/>; <paramref name="configure"/> lets tests replace services (a clock, say).</summary>
    public static IHost Build(AgentOptions options, Credential credential, Action<IServiceCollection>? configure = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            Args = [],
            ContentRootPath = AppContext.BaseDirectory,
            DisableDefaults = false,
        });
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
            o.UseUtcTimestamp = true;
        });
        // The HTTP client's own logs repeat every failed sync with a stack trace; the sync loop logs each failure once.
        builder.Logging.AddFilter("System.Net.Http.HttpClient", LogLevel.Warning);
        var services = builder.Services;
        services.Configure<HostOptions>(o => o.ShutdownTimeout = ShutdownTimeout);
        services.AddSingleton<IValidateOptions<AgentOptions>, AgentOptionsValidator>();
        services.AddOptions<AgentOptions>()
            .Configure(o => Copy(options, o))
            .ValidateOnStart();
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<AgentOptions>>().Value);
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(credential);
        services.AddSingleton(sp => JobUser.Resolve(sp.GetRequiredService<AgentOptions>(), out _));
        services.AddSingleton(sp => new JobDirectories(sp.GetRequiredService<AgentOptions>().WorkRoot, sp.GetRequiredService<JobUser>()));
        services.AddSingleton(sp => new StateStore(sp.GetRequiredService<AgentOptions>().StateDirectory));
        services.AddSingleton(sp => MachineCapacity.Of(sp.GetRequiredService<AgentOptions>()));
        services.AddSingleton<JobRunner>();
        services.AddSingleton<JobReconciler>();
        services.AddHttpClient<GatewaySyncClient>((sp, http) =>
        {
            var agent = sp.GetRequiredService<AgentOptions>();
            var gateway = agent.Gateway!.AbsoluteUri;
            http.BaseAddress = new Uri(gateway.EndsWith('/') ? gateway : gateway + "/");
            http.Timeout = agent.RequestTimeout;
            http.DefaultRequestHeaders.UserAgent.ParseAdd("cg-agent");
        });
        services.AddHostedService<SyncLoop>();
        configure?.Invoke(services);
        return builder.Build();
    }

    private static void Copy(AgentOptions from, AgentOptions to)
    {
        to.Gateway = from.Gateway;
        to.Credential = from.Credential;
        to.StateDirectory = from.StateDirectory;
        to.WorkRoot = from.WorkRoot;
        to.RunAs = from.RunAs;
        to.AllowRoot = from.AllowRoot;
        to.AllowedTenants.Clear();
        foreach (var tenant in from.AllowedTenants)
        {
            to.AllowedTenants.Add(tenant);
        }

        to.CpuMillicores = from.CpuMillicores;
        to.MemoryMiB = from.MemoryMiB;
        to.Gpus = from.Gpus;
        to.GpuModel = from.GpuModel;
        to.OutputTailBytes = from.OutputTailBytes;
        to.RequestTimeout = from.RequestTimeout;
        to.MaxRetryDelay = from.MaxRetryDelay;
        to.UnauthorizedRetryDelay = from.UnauthorizedRetryDelay;
        to.InitialSyncInterval = from.InitialSyncInterval;
    }
}
