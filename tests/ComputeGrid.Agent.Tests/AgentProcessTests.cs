using System.Diagnostics;
using ComputeGrid.Agent.Sync;
using ComputeGrid.Contracts.Agents;

namespace ComputeGrid.Agent.Tests;

/// <summary>The agent as a real process: SIGTERM, and kill -9 followed by a restart.</summary>
public sealed class AgentProcessTests : IAsyncLifetime, IDisposable
{
    private readonly TestDirectory _directory = new();
    private readonly List<Process> _agents = [];

    // Unique per run: a run that failed half-way must not leave processes a later run mistakes for its own.
    private readonly string _run = Guid.NewGuid().ToString("N")[..8];
    private FakeGateway _gateway = null!;

    public async Task InitializeAsync() => _gateway = await FakeGateway.StartAsync();

    public async Task DisposeAsync()
    {
        foreach (var agent in _agents.Where(a => !a.HasExited))
        {
            agent.Kill();
        }

        await _gateway.DisposeAsync();
    }

    public void Dispose()
    {
        foreach (var agent in _agents)
        {
            agent.Dispose();
        }

        _directory.Dispose();
    }

    [Fact]
    public async Task An_agent_stopped_with_SIGTERM_kills_its_jobs_reports_them_lost_and_exits_0()
    {
        StartOnceUntilStarted(Agents.Shell($"acme.term-{_run}", "sleep 600 & wait"));
        var agent = StartAgent();
        await Eventually.TrueAsync(() => Processes.OfJob($"acme.term-{_run}").Count >= 2, "the job runs", TimeSpan.FromSeconds(30));

        using (var term = Process.Start("kill", ["-TERM", agent.Id.ToString()]))
        {
            await term.WaitForExitAsync();
        }

        await agent.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(0, agent.ExitCode);
        Assert.Contains(_gateway.Requests[^1].Reports, r => r.JobId == $"acme.term-{_run}" && r is { Phase: AgentJobPhase.Lost, Detail: JobReconciler.StoppedDetail });
        Assert.Empty(Processes.OfJob($"acme.term-{_run}"));
    }

    [Fact]
    public async Task An_agent_killed_with_SIGKILL_and_restarted_kills_the_orphan_reports_it_lost_and_runs_nothing_twice()
    {
        StartOnceUntilStarted(Agents.Shell($"acme.crash-{_run}", "sleep 600 & wait"));
        var first = StartAgent();
        await Eventually.TrueAsync(() => Processes.OfJob($"acme.crash-{_run}").Count >= 2, "the job runs", TimeSpan.FromSeconds(30));
        var firstInstance = _gateway.Requests[^1].InstanceId;

        first.Kill();
        await first.WaitForExitAsync();
        Assert.NotEmpty(Processes.OfJob($"acme.crash-{_run}")); // its own session: the crash did not take it along
        StartAgent();

        await Eventually.TrueAsync(
            () => _gateway.Requests.Any(r => r.InstanceId != firstInstance && r.Reports.Any(p => p.JobId == $"acme.crash-{_run}" && p is { Phase: AgentJobPhase.Lost, Detail: JobReconciler.RestartedDetail })),
            "the new instance reports the job lost",
            TimeSpan.FromSeconds(30));
        Assert.Empty(Processes.OfJob($"acme.crash-{_run}"));
        // The crash may come before the Started report was saved (then the restart finds the job by its environment).
        Assert.True(_gateway.Requests.SelectMany(r => r.Reports).Where(r => r.Phase == AgentJobPhase.Started).Select(r => r.At).Distinct().Count() <= 1);
        Assert.DoesNotContain(_gateway.Requests, r => r.InstanceId != firstInstance && r.Running.Count > 0);
    }

    /// <summary>
    /// The agent from its own build output: the copy beside the tests would resolve its Microsoft.Extensions packages
    /// against the tests' ASP.NET Core framework and fail to load.
    /// </summary>
    private static string AgentDll
    {
        get
        {
            var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/'));
            return Path.GetFullPath(Path.Combine(output.FullName, "../../../../../src/ComputeGrid.Agent/bin", output.Parent!.Name, output.Name, "ComputeGrid.Agent.dll"));
        }
    }

    /// <summary>Like the data center: assigns the job until the agent reports it started, then never again.</summary>
    private void StartOnceUntilStarted(AgentAssignment assignment)
    {
        var started = false;
        _gateway.Respond = request =>
        {
            started |= request.Running.Contains(assignment.JobId) || request.Reports.Any(r => r.JobId == assignment.JobId);
            return FakeGateway.Answer(request, start: started ? [] : [assignment]);
        };
    }

    private Process StartAgent()
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(AgentDll);
        start.Environment["CG_AGENT_GATEWAY"] = _gateway.Url.ToString();
        start.Environment["CG_AGENT_CREDENTIAL"] = FakeGateway.Credential;
        start.Environment["CG_AGENT_STATE_DIR"] = _directory.State;
        start.Environment["CG_AGENT_WORK_ROOT"] = _directory.Work;
        start.Environment["CG_AGENT_MAX_RETRY_DELAY"] = "00:00:00.200";
        var agent = Process.Start(start)!;
        agent.OutputDataReceived += (_, _) => { };
        agent.ErrorDataReceived += (_, _) => { };
        agent.BeginOutputReadLine();
        agent.BeginErrorReadLine();
        _agents.Add(agent);
        return agent;
    }
}
