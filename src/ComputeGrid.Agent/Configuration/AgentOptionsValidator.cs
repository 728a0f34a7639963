using ComputeGrid.Agent.Running;
using Microsoft.Extensions.Options;

namespace ComputeGrid.Agent.Configuration;

/// <summary>Checks <see cref="AgentOptions"/> at start-up; each failure names the option and its environment variable.</summary>
internal sealed class AgentOptionsValidator : IValidateOptions<AgentOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, AgentOptions options)
    {
        var errors = new List<string>();
        if (options.Gateway is null)
        {
            errors.Add("--gateway (CG_AGENT_GATEWAY) is required: the gateway's base URL, for example https://gateway.example:8080");
        }
        else if (!options.Gateway.IsAbsoluteUri || options.Gateway.Scheme is not ("http" or "https"))
        {
            errors.Add($"--gateway (CG_AGENT_GATEWAY) must be an absolute http or https URL (was '{options.Gateway}')");
        }

        if (string.IsNullOrWhiteSpace(options.Credential))
        {
            errors.Add("--credential-file (CG_AGENT_CREDENTIAL_FILE) or CG_AGENT_CREDENTIAL is required: the agent credential an operator issued for this data center");
        }

        if (string.IsNullOrWhiteSpace(options.StateDirectory))
        {
            errors.Add("--state-dir (CG_AGENT_STATE_DIR) must not be empty");
        }

        if (string.IsNullOrWhiteSpace(options.WorkRoot))
        {
            errors.Add("--work-root (CG_AGENT_WORK_ROOT) must not be empty");
        }

        if (options.CpuMillicores is <= 0)
        {
            errors.Add($"--cpu-millicores (CG_AGENT_CPU_MILLICORES) must be at least 1 (was {options.CpuMillicores})");
        }

        if (options.MemoryMiB is <= 0)
        {
            errors.Add($"--memory-mib (CG_AGENT_MEMORY_MIB) must be at least 1 (was {options.MemoryMiB})");
        }

        if (options.Gpus < 0)
        {
            errors.Add($"--gpus (CG_AGENT_GPUS) must be 0 or more (was {options.Gpus})");
        }
        else if (options.Gpus > 0 && string.IsNullOrWhiteSpace(options.GpuModel))
        {
            errors.Add("--gpu-model (CG_AGENT_GPU_MODEL) is required when --gpus is above 0");
        }

        if (options.OutputTailBytes is < 1 or > AgentOptions.DefaultOutputTailBytes)
        {
            errors.Add($"--output-tail-bytes (CG_AGENT_OUTPUT_TAIL_BYTES) must be 1..{AgentOptions.DefaultOutputTailBytes} (was {options.OutputTailBytes})");
        }

        if (options.AllowedTenants.Any(string.IsNullOrWhiteSpace))
        {
            errors.Add("--allowed-tenant (CG_AGENT_ALLOWED_TENANTS) must not name an empty tenant");
        }

        Positive(errors, options.RequestTimeout, "--request-timeout (CG_AGENT_REQUEST_TIMEOUT)");
        Positive(errors, options.MaxRetryDelay, "--max-retry-delay (CG_AGENT_MAX_RETRY_DELAY)");
        Positive(errors, options.UnauthorizedRetryDelay, "--unauthorized-retry-delay (CG_AGENT_UNAUTHORIZED_RETRY_DELAY)");
        Positive(errors, options.InitialSyncInterval, "initial sync interval");

        var user = JobUser.Resolve(options, out var userError);
        if (userError is not null)
        {
            errors.Add(userError);
        }
        else if (JobRunner.MissingTool(user) is { } missing)
        {
            errors.Add(missing);
        }
        else if (user.Switch && !string.IsNullOrWhiteSpace(options.WorkRoot) && FirstClosedAncestor(options.WorkRoot) is { } closed)
        {
            errors.Add($"--work-root (CG_AGENT_WORK_ROOT): jobs run as '{user.Name}', who cannot pass through '{closed}' (it needs the execute bit for others, o+x)");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void Positive(List<string> errors, TimeSpan value, string option)
    {
        if (value <= TimeSpan.Zero)
        {
            errors.Add($"{option} must be positive (was {value:c})");
        }
    }

    /// <summary>The first existing directory above the work root (the work root itself is created 0711) that others may not traverse.</summary>
    private static string? FirstClosedAncestor(string workRoot)
    {
        for (var directory = Path.GetDirectoryName(Path.GetFullPath(workRoot)); directory is not null; directory = Path.GetDirectoryName(directory))
        {
            if (Directory.Exists(directory) && (File.GetUnixFileMode(directory) & UnixFileMode.OtherExecute) == 0)
            {
                return directory;
            }
        }

        return null;
    }
}
