using Microsoft.Extensions.Options;

namespace ComputeGrid.Silo;

/// <summary>Where grain state lives.</summary>
public enum StorageKind
{
    /// <summary>In memory: the development default; state is lost when the process stops.</summary>
    Memory,
}

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

    /// <summary>Orleans service id; default <c>computegrid</c>; keep it to a-z, 0-9 and '-'.</summary>
    public string ServiceId { get; set; } = "computegrid";

    /// <summary>The silo's zone, <c>east</c> or <c>west</c>, carried as silo metadata; default east.</summary>
    public string Zone { get; set; } = "east";

    /// <summary>Where grain state lives; default Memory.</summary>
    public StorageKind Storage { get; set; } = StorageKind.Memory;
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
            failures.Add($"Silo:Storage must be Memory (was '{options.Storage}')");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
