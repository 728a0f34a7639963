using ComputeGrid.Agent.Configuration;
using ComputeGrid.Agent.Running;

namespace ComputeGrid.Agent.Tests;

/// <summary>Start-up validation: a bad option stops the agent with exit code 2 and a message naming the option.</summary>
public sealed class ConfigurationTests : IDisposable
{
    private readonly TestDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Theory]
    [InlineData("--cpu-millicores abc", "--cpu-millicores (CG_AGENT_CPU_MILLICORES): 'abc' is not a whole number")]
    [InlineData("--cpu-millicores 0", "--cpu-millicores (CG_AGENT_CPU_MILLICORES) must be at least 1")]
    [InlineData("--gpus 2", "--gpu-model (CG_AGENT_GPU_MODEL) is required")]
    [InlineData("--output-tail-bytes 5000", "--output-tail-bytes (CG_AGENT_OUTPUT_TAIL_BYTES) must be 1..4096")]
    [InlineData("--gateway ftp://x", "--gateway (CG_AGENT_GATEWAY) must be an absolute http or https URL")]
    [InlineData("--max-retry-delay soon", "--max-retry-delay (CG_AGENT_MAX_RETRY_DELAY): 'soon' is not a time span")]
    public async Task A_bad_option_stops_the_agent_naming_the_option(string arguments, string expected)
    {
        var (code, error) = await RunAsync(arguments, new() { ["CG_AGENT_CREDENTIAL"] = "c", ["CG_AGENT_GATEWAY"] = "http://127.0.0.1:9" });

        Assert.Equal(2, code);
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_gateway_and_credential_are_both_named()
    {
        var (code, error) = await RunAsync(string.Empty, []);

        Assert.Equal(2, code);
        Assert.Contains("--gateway (CG_AGENT_GATEWAY) is required", error, StringComparison.Ordinal);
        Assert.Contains("--credential-file (CG_AGENT_CREDENTIAL_FILE) or CG_AGENT_CREDENTIAL is required", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreadable_credential_file_is_named()
    {
        var (code, error) = await RunAsync($"--gateway http://127.0.0.1:9 --credential-file {_directory.Root}/none", []);

        Assert.Equal(2, code);
        Assert.Contains("--credential-file (CG_AGENT_CREDENTIAL_FILE):", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Environment_variables_configure_what_options_do_not()
    {
        var (code, error) = await RunAsync("--gateway http://127.0.0.1:9", new() { ["CG_AGENT_CREDENTIAL"] = "c", ["CG_AGENT_MEMORY_MIB"] = "-5" });

        Assert.Equal(2, code);
        Assert.Contains("--memory-mib (CG_AGENT_MEMORY_MIB) must be at least 1 (was -5)", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Jobs_run_as_root_only_when_allowed()
    {
        if (Native.EffectiveUserId != 0)
        {
            return; // only root can choose the job user
        }

        var options = Agents.Options(_directory);
        options.RunAs = "root";

        Assert.Contains("--allow-root", new AgentOptionsValidator().Validate(null, options).FailureMessage, StringComparison.Ordinal);
        options.AllowRoot = true;
        Assert.True(new AgentOptionsValidator().Validate(null, options).Succeeded);
        Assert.False(JobUser.Resolve(options, out _).Switch);
    }

    [Fact]
    public void An_unknown_job_user_is_named()
    {
        var options = Agents.Options(_directory);
        options.RunAs = "no-such-user-cg";

        Assert.Contains("--run-as (CG_AGENT_RUN_AS)", new AgentOptionsValidator().Validate(null, options).FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Measured_capacity_is_the_processors_and_the_machines_memory()
    {
        var capacity = MachineCapacity.Of(Agents.Options(_directory));

        Assert.Equal(Environment.ProcessorCount * 1000L, capacity.CpuMillicores);
        Assert.True(capacity.MemoryMiB > 0);
        Assert.Equal((0, (string?)null), (capacity.Gpus, capacity.GpuModel));
    }

    private async Task<(int Code, string Error)> RunAsync(string arguments, Dictionary<string, string> environment)
    {
        environment.TryAdd("CG_AGENT_STATE_DIR", _directory.State);
        environment.TryAdd("CG_AGENT_WORK_ROOT", _directory.Work);
        using var error = new StringWriter();
        var code = await AgentCli.RunAsync(arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries), error, name => environment.GetValueOrDefault(name), CancellationToken.None);
        return (code, error.ToString());
    }
}
