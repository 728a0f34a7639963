using System.CommandLine;
using System.Globalization;
using ComputeGrid.Agent.Hosting;
using ComputeGrid.Agent.Sync;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace ComputeGrid.Agent.Configuration;

/// <summary>
/// The <c>cg-agent</c> command line: every option also has a <c>CG_AGENT_*</c> environment variable (the option wins).
/// Exit codes: 0 stopped, 1 failed, 2 invalid configuration.
/// </summary>
internal static class AgentCli
{
    /// <summary>Parses <paramref name="args"/> and the environment, then runs the agent until it is stopped.</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter error, Func<string, string?> environment, CancellationToken cancellationToken)
    {
        var gateway = new Option<string?>("--gateway") { Description = "The gateway's base URL [CG_AGENT_GATEWAY]" };
        var credentialFile = new Option<string?>("--credential-file") { Description = "A file holding the agent credential, re-read before each sync [CG_AGENT_CREDENTIAL_FILE; or the credential itself in CG_AGENT_CREDENTIAL]" };
        var stateDir = new Option<string?>("--state-dir") { Description = "Where the state file is kept (default /var/lib/cg-agent) [CG_AGENT_STATE_DIR]" };
        var workRoot = new Option<string?>("--work-root") { Description = "Under which each job gets its directory (default /var/lib/cg-agent/work) [CG_AGENT_WORK_ROOT]" };
        var runAs = new Option<string?>("--run-as") { Description = "The user jobs run as when the agent is root (default nobody) [CG_AGENT_RUN_AS]" };
        var allowRoot = new Option<bool>("--allow-root") { Description = "Allow --run-as root [CG_AGENT_ALLOW_ROOT=true]" };
        var tenants = new Option<string[]>("--allowed-tenant") { Description = "A tenant whose jobs run here; repeat for more; none for all the data center allows [CG_AGENT_ALLOWED_TENANTS, comma-separated]", AllowMultipleArgumentsPerToken = false };
        var cpu = new Option<string?>("--cpu-millicores") { Description = "CPU offered in millicores (default: processors x 1000) [CG_AGENT_CPU_MILLICORES]" };
        var memory = new Option<string?>("--memory-mib") { Description = "Memory offered in MiB (default: the machine's) [CG_AGENT_MEMORY_MIB]" };
        var gpus = new Option<string?>("--gpus") { Description = "GPUs offered (default 0) [CG_AGENT_GPUS]" };
        var gpuModel = new Option<string?>("--gpu-model") { Description = "Their model, required with --gpus [CG_AGENT_GPU_MODEL]" };
        var tail = new Option<string?>("--output-tail-bytes") { Description = "Bytes of each job's output kept, 1..4096 (default 4096) [CG_AGENT_OUTPUT_TAIL_BYTES]" };
        var requestTimeout = new Option<string?>("--request-timeout") { Description = "How long one sync may take, as a time span (default 00:00:30) [CG_AGENT_REQUEST_TIMEOUT]" };
        var maxRetryDelay = new Option<string?>("--max-retry-delay") { Description = "Longest wait between retries of a failed sync (default 00:00:30) [CG_AGENT_MAX_RETRY_DELAY]" };
        var unauthorizedDelay = new Option<string?>("--unauthorized-retry-delay") { Description = "Wait after a refused credential (default 00:01:00) [CG_AGENT_UNAUTHORIZED_RETRY_DELAY]" };

        var root = new RootCommand("cg-agent: runs the jobs ComputeGrid places in this data center and reports them")
        {
            gateway, credentialFile, stateDir, workRoot, runAs, allowRoot, tenants, cpu, memory, gpus, gpuModel, tail, requestTimeout, maxRetryDelay, unauthorizedDelay,
        };
        root.SetAction(async (parsed, ct) =>
        {
            var errors = new List<string>();
            string? Text(Option<string?> option, string variable) => parsed.GetValue(option) ?? NonEmpty(environment(variable));

            T? Parse<T>(Option<string?> option, string variable, Func<string, T?> parse, string expected)
                where T : struct
            {
                if (Text(option, variable) is not { } text)
                {
                    return null;
                }

                if (parse(text) is { } value)
                {
                    return value;
                }

                errors.Add($"{option.Name} ({variable}): '{text}' is not {expected}");
                return null;
            }

            static long? Whole(string s) => long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : null;
            static TimeSpan? Span(string s) => TimeSpan.TryParse(s, CultureInfo.InvariantCulture, out var v) ? v : null;

            var options = new AgentOptions
            {
                RunAs = Text(runAs, "CG_AGENT_RUN_AS"),
                AllowRoot = parsed.GetValue(allowRoot) || string.Equals(environment("CG_AGENT_ALLOW_ROOT"), "true", StringComparison.OrdinalIgnoreCase),
                GpuModel = Text(gpuModel, "CG_AGENT_GPU_MODEL"),
                CpuMillicores = Parse(cpu, "CG_AGENT_CPU_MILLICORES", Whole, "a whole number of millicores"),
                MemoryMiB = Parse(memory, "CG_AGENT_MEMORY_MIB", Whole, "a whole number of MiB"),
            };
            if (Text(gateway, "CG_AGENT_GATEWAY") is { } url)
            {
                if (Uri.TryCreate(url, UriKind.Absolute, out var uri))
                {
                    options.Gateway = uri;
                }
                else
                {
                    errors.Add($"--gateway (CG_AGENT_GATEWAY): '{url}' is not an absolute URL");
                }
            }

            options.StateDirectory = Text(stateDir, "CG_AGENT_STATE_DIR") ?? options.StateDirectory;
            options.WorkRoot = Text(workRoot, "CG_AGENT_WORK_ROOT") ?? options.WorkRoot;
            options.Gpus = (int)(Parse<long>(gpus, "CG_AGENT_GPUS", s => Whole(s) is { } v && v is >= int.MinValue and <= int.MaxValue ? v : null, "a whole number") ?? 0);
            options.OutputTailBytes = (int)(Parse<long>(tail, "CG_AGENT_OUTPUT_TAIL_BYTES", s => Whole(s) is { } v && v is >= int.MinValue and <= int.MaxValue ? v : null, "a whole number of bytes") ?? AgentOptions.DefaultOutputTailBytes);
            options.RequestTimeout = Parse(requestTimeout, "CG_AGENT_REQUEST_TIMEOUT", Span, "a time span such as 00:00:30") ?? options.RequestTimeout;
            options.MaxRetryDelay = Parse(maxRetryDelay, "CG_AGENT_MAX_RETRY_DELAY", Span, "a time span such as 00:00:30") ?? options.MaxRetryDelay;
            options.UnauthorizedRetryDelay = Parse(unauthorizedDelay, "CG_AGENT_UNAUTHORIZED_RETRY_DELAY", Span, "a time span such as 00:01:00") ?? options.UnauthorizedRetryDelay;
            var tenantList = parsed.GetValue(tenants) is { Length: > 0 } given
                ? given
                : (environment("CG_AGENT_ALLOWED_TENANTS") ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            foreach (var tenant in tenantList)
            {
                options.AllowedTenants.Add(tenant);
            }

            var credential = ReadCredential(Text(credentialFile, "CG_AGENT_CREDENTIAL_FILE"), NonEmpty(environment("CG_AGENT_CREDENTIAL")), options, errors);
            if (errors.Count > 0)
            {
                return Fail(error, errors);
            }

            return await RunHostAsync(options, credential, error, ct);
        });

        var result = root.Parse(args);
        if (result.Errors.Count > 0)
        {
            return Fail(error, result.Errors.Select(e => e.Message));
        }

        return await result.InvokeAsync(cancellationToken: cancellationToken);
    }

    /// <summary>Runs the host until it stops; an invalid option ends it with exit code 2 and the reasons on <paramref name="error"/>.</summary>
    public static async Task<int> RunHostAsync(AgentOptions options, Credential credential, TextWriter error, CancellationToken cancellationToken, Action<IServiceCollection>? configure = null)
    {
        // Validated before the host is built, so a bad option ends with its reason and not a host failure's stack trace.
        var validation = new AgentOptionsValidator().Validate(null, options);
        if (validation.Failed)
        {
            return Fail(error, validation.Failures ?? []);
        }

        using var host = AgentHost.Build(options, credential, configure);
        try
        {
            await host.RunAsync(cancellationToken);
            return 0;
        }
        catch (OptionsValidationException e)
        {
            return Fail(error, e.Failures);
        }
        catch (InvalidDataException e)
        {
            // The state file could not be read.
            await error.WriteLineAsync($"cg-agent: {e.Message}");
            return 1;
        }
    }

    private static Credential ReadCredential(string? file, string? value, AgentOptions options, List<string> errors)
    {
        if (file is not null && value is not null)
        {
            errors.Add("--credential-file (CG_AGENT_CREDENTIAL_FILE) and CG_AGENT_CREDENTIAL are both set; set one");
        }

        if (file is null)
        {
            options.Credential = value;
            return Credential.FromValue(value ?? string.Empty);
        }

        var credential = Credential.FromFile(Path.GetFullPath(file));
        try
        {
            options.Credential = credential.Current();
        }
        catch (IOException e)
        {
            errors.Add($"--credential-file (CG_AGENT_CREDENTIAL_FILE): {e.Message}");
        }

        return credential;
    }

    private static int Fail(TextWriter error, IEnumerable<string> errors)
    {
        foreach (var message in errors)
        {
            error.WriteLine($"Invalid configuration: {message}");
        }

        return 2;
    }

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}
