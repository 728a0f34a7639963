using ComputeGrid.Contracts.Cluster;

namespace ComputeGrid.Client;

/// <summary>How the SDK reaches a ComputeGrid cluster; bind configuration section <see cref="Section"/> to it to configure it from settings.</summary>
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
}
