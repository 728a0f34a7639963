using ComputeGrid.Contracts.Cluster;

namespace ComputeGrid.Client;

/// <summary>
/// How the SDK reaches a ComputeGrid cluster. <c>AddComputeGridClient(configuration)</c> binds section <see cref="Section"/>
/// to it; every option is validated when the host starts, and a bad one fails the start naming its key.
/// </summary>
public sealed class ComputeGridClientOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "ComputeGridClient";

    /// <summary>
    /// How to find the cluster; must match the silos' <c>Silo:Storage</c>. Memory (default): the static <see cref="Gateways"/>
    /// and memory streams. AzureStorage: gateways from the cluster's membership table and Azure Queue streams.
    /// </summary>
    public StorageKind Storage { get; set; } = StorageKind.Memory;

    /// <summary>Azure Storage connection string; required when <see cref="Storage"/> is AzureStorage (the silos' account).</summary>
    public string? AzureStorageConnectionString { get; set; }

    /// <summary>AzureStorage only: how often the client re-reads the live gateways, so restarted silos are used again; default 5 s (Orleans: 1 min).</summary>
    public TimeSpan GatewayRefreshInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Memory only: Orleans gateway endpoints as <c>host:port</c>; default the development silo at <c>127.0.0.1:30000</c>.</summary>
    public IList<string> Gateways { get; } = [];

    /// <summary>The cluster id; default <c>computegrid</c>.</summary>
    public string ClusterId { get; set; } = "computegrid";

    /// <summary>The service id; default <c>computegrid</c>.</summary>
    public string ServiceId { get; set; } = "computegrid";

    /// <summary>
    /// How long one call may take before it fails; default 30 s. A call in flight to a silo that crashes fails only after
    /// this long, so clusters that must recover fast set it lower (the cluster tests use 10 s).
    /// </summary>
    public TimeSpan ResponseTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Whether this client may submit jobs with a command (real processes on data-center agents). Default false: an
    /// application must be given the permission explicitly. The REST gateway's own client allows it and checks each
    /// partner key's permission instead.
    /// </summary>
    public bool AllowCommands { get; set; }

    /// <summary>
    /// How long the host's start keeps trying to reach a gateway before it fails with a
    /// <see cref="ComputeGridConnectionException"/> naming the gateways it tried; default 30 s; 1 s..10 min. Each failed
    /// attempt is one warning line.
    /// </summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How calls that are safe to repeat are retried on transient faults (section <c>ComputeGridClient:Retry</c>).</summary>
    public ComputeGridRetryOptions Retry { get; set; } = new();
}

/// <summary>
/// The retry policy of idempotent calls: reads, watches, cancels and submissions (each submission carries its job id from
/// the first attempt on, so a retry returns the same job). A transient fault is a lost or unreachable gateway, a
/// rejected message or a call that timed out; anything the cluster answers (invalid, not found, conflict) is never retried.
/// </summary>
public sealed class ComputeGridRetryOptions
{
    /// <summary>Attempts of one call in all, the first included; default 4; 1 (no retry)..20.</summary>
    public int MaxAttempts { get; set; } = 4;

    /// <summary>The first back-off; each later one doubles it, with random jitter; default 200 ms; 1 ms..1 min.</summary>
    public TimeSpan BaseDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The longest back-off between two attempts; default 5 s; at least <see cref="BaseDelay"/>, at most 5 min.</summary>
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long one call may take over all its attempts and back-offs before it fails with a
    /// <see cref="ComputeGridConnectionException"/>; default 2 min; 1 s..1 h. The caller's cancellation token ends it sooner.
    /// </summary>
    public TimeSpan Deadline { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// How long one attempt may go unanswered before a second (hedged) attempt of the same call is sent; the first answer
    /// wins and the other attempt is cancelled. A fault of the path (a lost gateway, a silo that died under the call)
    /// sends it at once. Default 10 s; 100 ms..10 min (a value above <see cref="Deadline"/> means no hedge for being slow). A call held by a silo that crashed
    /// otherwise waits the whole response timeout (30 s) although the grain is served elsewhere within seconds. Lower fails
    /// over sooner; too low and slow but healthy calls (a cold activation on a loaded cluster) are sent twice: harmless,
    /// since only idempotent calls are retried, but extra load.
    /// </summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(10);
}
