namespace ComputeGrid.Agent.Configuration;

/// <summary>
/// How one agent runs: where its data center's gateway is, who it is, where it keeps state and runs jobs, whom it runs
/// them as and for, and what it offers. Set from the command line or <c>CG_AGENT_*</c> variables (see docs/agent.md);
/// validated at start-up by <see cref="AgentOptionsValidator"/>.
/// </summary>
public sealed class AgentOptions
{
    /// <summary>The default <see cref="OutputTailBytes"/>: 4 KiB, the most a report may carry.</summary>
    public const int DefaultOutputTailBytes = 4096;

    /// <summary>The gateway's base URL (http or https); the agent posts to <c>v1/agent/sync</c> under it. Required.</summary>
    public Uri? Gateway { get; set; }

    /// <summary>The agent credential an operator issued for this data center, sent as <c>Authorization: Bearer</c>. Required.</summary>
    public string? Credential { get; set; }

    /// <summary>Where the state file lives (jobs started, reports not yet acknowledged). Default <c>/var/lib/cg-agent</c>.</summary>
    public string StateDirectory { get; set; } = "/var/lib/cg-agent";

    /// <summary>Under which each job gets its own directory. Default <c>/var/lib/cg-agent/work</c>.</summary>
    public string WorkRoot { get; set; } = "/var/lib/cg-agent/work";

    /// <summary>
    /// The user jobs run as when the agent runs as root (default <c>nobody</c>); <c>root</c> only with
    /// <see cref="AllowRoot"/>. When the agent is not root, jobs run as the agent's own user and this must be unset.
    /// </summary>
    public string? RunAs { get; set; }

    /// <summary>Lets jobs run as root (<see cref="RunAs"/> = <c>root</c>). Default false.</summary>
    public bool AllowRoot { get; set; }

    /// <summary>Tenants whose jobs this agent runs; empty (the default) for every tenant the data center allows.</summary>
    public IList<string> AllowedTenants { get; } = [];

    /// <summary>CPU offered, in millicores; null to measure (processors × 1000).</summary>
    public long? CpuMillicores { get; set; }

    /// <summary>Memory offered, in MiB; null to measure (MemTotal of <c>/proc/meminfo</c>).</summary>
    public long? MemoryMiB { get; set; }

    /// <summary>GPUs offered (never measured). Default 0.</summary>
    public int Gpus { get; set; }

    /// <summary>The model of <see cref="Gpus"/> (for example <c>910B</c>); required when <see cref="Gpus"/> is above 0.</summary>
    public string? GpuModel { get; set; }

    /// <summary>The bytes of each job's output (stdout and stderr together) kept and reported, 1..4096. Default 4096.</summary>
    public int OutputTailBytes { get; set; } = DefaultOutputTailBytes;

    /// <summary>How long one sync request may take before it counts as failed. Default 30 s.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The longest wait between retries of a failed sync (the waits double from 1 s up to it). Default 30 s.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The wait after the gateway refused the credential (401 or 403) before trying again. Default 60 s.</summary>
    public TimeSpan UnauthorizedRetryDelay { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>The wait between syncs until the first response names one. Default 1 s.</summary>
    public TimeSpan InitialSyncInterval { get; set; } = TimeSpan.FromSeconds(1);
}
