namespace ComputeGrid.Client;

/// <summary>How the SDK reaches a ComputeGrid cluster; bind configuration section <see cref="Section"/> to it to configure it from settings.</summary>
public sealed class ComputeGridClientOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "ComputeGridClient";

    /// <summary>Orleans gateway endpoints as <c>host:port</c>; default the development silo at <c>127.0.0.1:30000</c>.</summary>
    public IList<string> Gateways { get; } = [];

    /// <summary>The cluster id; default <c>computegrid</c>.</summary>
    public string ClusterId { get; set; } = "computegrid";

    /// <summary>The service id; default <c>computegrid</c>.</summary>
    public string ServiceId { get; set; } = "computegrid";

    /// <summary>How long one call may take before it fails; default 30 s.</summary>
    public TimeSpan ResponseTimeout { get; set; } = TimeSpan.FromSeconds(30);
}
