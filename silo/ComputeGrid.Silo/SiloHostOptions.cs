using ComputeGrid.Contracts.Cluster;
using Microsoft.Extensions.Options;

namespace ComputeGrid.Silo;

/// <summary>The silo process's settings (section <c>Silo</c>; environment variables <c>Silo__Name</c>).</summary>
public sealed class SiloHostOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Silo";

    /// <summary>Silo-to-silo port; default 11111.</summary>
    public int SiloPort { get; set; } = 11111;

    /// <summary>Port for Orleans clients (the SDK); default 30000.</summary>
    public int GatewayPort { get; set; } = 30000;

    /// <summary>Orleans cluster id; default <c>computegrid</c>. SDK clients must use the same.</summary>
    public string ClusterId { get; set; } = "computegrid";

    /// <summary>Orleans service id; default <c>computegrid</c>; a-z, 0-9 and '-' (it names the Azure queues and tables' rows).</summary>
    public string ServiceId { get; set; } = "computegrid";

    /// <summary>The silo's zone, <c>east</c> or <c>west</c>, carried as silo metadata and used by zone placement; default east.</summary>
    public string Zone { get; set; } = "east";

    /// <summary>Where membership, grain state, streams and reminders live; default Memory (one silo, nothing persists).</summary>
    public StorageKind Storage { get; set; } = StorageKind.Memory;

    /// <summary>
    /// Azure Storage connection string; required when <see cref="Storage"/> is AzureStorage. <c>UseDevelopmentStorage=true</c>
    /// for Azurite on its default ports. Prefer the environment variable <c>Silo__AzureStorageConnectionString</c> to a file.
    /// </summary>
    public string? AzureStorageConnectionString { get; set; }

    /// <summary>
    /// AzureStorage only: the host name or IP address other silos and clients use to reach this silo, resolved at start-up;
    /// default <c>127.0.0.1</c> (all silos on one machine). In containers, the service name. The silo listens on every address.
    /// </summary>
    public string AdvertisedHost { get; set; } = "127.0.0.1";

    /// <summary>
    /// AzureStorage only: how long a silo waits for a probe answer from a peer before counting it missed; default 1 s
    /// (Orleans: 5 s); 100 ms..1 min.
    /// </summary>
    public TimeSpan ProbeTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// AzureStorage only: missed probes in a row after which a silo votes its peer dead; default 2 (Orleans: 3); 1..10.
    /// With <see cref="ProbeTimeout"/> a crashed silo is voted dead after about ProbeTimeout x MissedProbesLimit.
    /// </summary>
    public int MissedProbesLimit { get; set; } = 2;

    /// <summary>
    /// AzureStorage only: how often each silo re-reads the membership table, which is how it learns of deaths declared by
    /// others and of joining silos; default 2 s (Orleans: 60 s); 500 ms..5 min.
    /// </summary>
    public TimeSpan MembershipRefreshInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// The management listener's address: the Orleans dashboard (<c>/dashboard/</c>, with its JSON APIs) and Prometheus
    /// metrics (<c>/metrics</c>) answer only there, never on the public URLs; default <c>127.0.0.1</c> (this machine only).
    /// An IP address; <c>0.0.0.0</c> exposes them on every interface, for a scraper on a private network only.
    /// </summary>
    public string ManagementAddress { get; set; } = "127.0.0.1";

    /// <summary>The management listener's port; default 9464 (the OpenTelemetry Prometheus exporter's); 1..65535, not a silo or gateway port.</summary>
    public int ManagementPort { get; set; } = 9464;

    /// <summary>The management listener's URL, for example <c>http://127.0.0.1:9464</c>.</summary>
    public string ManagementUrl => System.Net.IPAddress.TryParse(ManagementAddress, out var ip) && ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6
        ? $"http://[{ip}]:{ManagementPort}"
        : $"http://{ManagementAddress}:{ManagementPort}";

    /// <summary>
    /// How long a call from this silo (grain to grain) may take before it fails with a timeout; default 10 s (Orleans: 30 s);
    /// 1 s..10 min. A call in flight to a silo that crashed waits this long however fast membership reacts.
    /// </summary>
    public TimeSpan ResponseTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// AzureStorage only: retries of one storage request inside the Azure SDK before the failure reaches Orleans (which
    /// retries or fails the grain call); default 3 (as the Azure SDK); 0..10. More rides out longer blips and holds a call for longer.
    /// </summary>
    public int StorageRetries { get; set; } = 3;

    /// <summary>
    /// AzureStorage only: the longest wait between two retries of a storage request; default 1 s (Azure SDK: 1 min);
    /// 10 ms..1 min. Bounds how long after storage answers again a retrying request tries once more.
    /// </summary>
    public TimeSpan StorageRetryMaxDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// AzureStorage only: how long one storage request may go unanswered before it is abandoned and retried; default
    /// 30 s (Azure SDK: 100 s); 1 s..5 min. A request caught by a storage outage fails after this long, not after minutes;
    /// too low and requests to a slow account fail: 10 s made a silo's start fail on a loaded Azurite.
    /// </summary>
    public TimeSpan StorageNetworkTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// AzureStorage only: the longest pause of a stream's queue reader after failed reads; default 1 s (Orleans: 10-20 s);
    /// 100 ms..1 min. Streams deliver again within about this long after the queues answer; lower polls a failing account more often.
    /// </summary>
    public TimeSpan StreamReadBackoff { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long a silo told to stop (SIGTERM) may drain before the host gives up waiting: it reports itself unhealthy,
    /// stops taking new activations and client connections, finishes its in-flight calls, deactivates its grains (their
    /// next calls activate them on other silos) and leaves the membership; default 30 s; 1 s..10 min. An orchestrator's
    /// grace period (Docker's stop_grace_period, Kubernetes' terminationGracePeriodSeconds) must be longer.
    /// </summary>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>Fails start-up with the setting's name and the reason.</summary>
internal sealed class SiloHostOptionsValidator : IValidateOptions<SiloHostOptions>
{
    public ValidateOptionsResult Validate(string? name, SiloHostOptions options)
    {
        var failures = new List<string>();
        if (options.SiloPort is < 1 or > 65535)
        {
            failures.Add($"Silo:SiloPort must be 1-65535 (was {options.SiloPort})");
        }

        if (options.GatewayPort is < 1 or > 65535 || options.GatewayPort == options.SiloPort)
        {
            failures.Add($"Silo:GatewayPort must be 1-65535 and differ from Silo:SiloPort (was {options.GatewayPort})");
        }

        if (string.IsNullOrWhiteSpace(options.ClusterId))
        {
            failures.Add("Silo:ClusterId must not be empty");
        }

        if (string.IsNullOrWhiteSpace(options.ServiceId) || !options.ServiceId.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-'))
        {
            failures.Add($"Silo:ServiceId must be a-z, 0-9 and '-' (was '{options.ServiceId}')");
        }

        if (options.Zone is not ("east" or "west"))
        {
            failures.Add($"Silo:Zone must be east or west (was '{options.Zone}')");
        }

        if (!Enum.IsDefined(options.Storage))
        {
            failures.Add($"Silo:Storage must be Memory or AzureStorage (was '{options.Storage}')");
        }

        if (options.Storage == StorageKind.AzureStorage && string.IsNullOrWhiteSpace(options.AzureStorageConnectionString))
        {
            failures.Add("Silo:AzureStorageConnectionString is required when Silo:Storage is AzureStorage (UseDevelopmentStorage=true for Azurite)");
        }

        if (string.IsNullOrWhiteSpace(options.AdvertisedHost))
        {
            failures.Add("Silo:AdvertisedHost must name a host or an IP address");
        }

        if (!System.Net.IPAddress.TryParse(options.ManagementAddress, out _))
        {
            failures.Add($"Silo:ManagementAddress must be an IP address such as 127.0.0.1 (was '{options.ManagementAddress}')");
        }

        if (options.ManagementPort is < 1 or > 65535 || options.ManagementPort == options.SiloPort || options.ManagementPort == options.GatewayPort)
        {
            failures.Add($"Silo:ManagementPort must be 1-65535 and differ from Silo:SiloPort and Silo:GatewayPort (was {options.ManagementPort})");
        }

        Range(failures, "ProbeTimeout", options.ProbeTimeout, TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(1));
        Range(failures, "MembershipRefreshInterval", options.MembershipRefreshInterval, TimeSpan.FromMilliseconds(500), TimeSpan.FromMinutes(5));
        Range(failures, "ResponseTimeout", options.ResponseTimeout, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(10));
        Range(failures, "StorageRetryMaxDelay", options.StorageRetryMaxDelay, TimeSpan.FromMilliseconds(10), TimeSpan.FromMinutes(1));
        Range(failures, "StorageNetworkTimeout", options.StorageNetworkTimeout, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(5));
        Range(failures, "DrainTimeout", options.DrainTimeout, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(10));
        Range(failures, "StreamReadBackoff", options.StreamReadBackoff, TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(1));
        if (options.StorageRetries is < 0 or > 10)
        {
            failures.Add($"Silo:StorageRetries must be between 0 and 10 (was {options.StorageRetries})");
        }

        if (options.MissedProbesLimit is < 1 or > 10)
        {
            failures.Add($"Silo:MissedProbesLimit must be between 1 and 10 (was {options.MissedProbesLimit})");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void Range(List<string> failures, string option, TimeSpan value, TimeSpan min, TimeSpan max)
    {
        if (value < min || value > max)
        {
            failures.Add($"Silo:{option} must be between {min} and {max} (was {value})");
        }
    }
}
