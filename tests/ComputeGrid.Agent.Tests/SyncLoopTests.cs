using System.Diagnostics;
using System.Text.Json;
using ComputeGrid.Agent.Configuration;
using ComputeGrid.Agent.Hosting;
using ComputeGrid.Agent.Running;
using ComputeGrid.Agent.State;
using ComputeGrid.Agent.Sync;
using ComputeGrid.Contracts.Agents;
using Microsoft.Extensions.Hosting;

namespace ComputeGrid.Agent.Tests;

/// <summary>The agent host's sync loop against a fake gateway on Kestrel, with real job processes.</summary>
public sealed class SyncLoopTests : IAsyncLifetime, IDisposable
{
    private readonly TestDirectory _directory = new();
    private FakeGateway _gateway = null!;
    private IHost? _host;

    public async Task InitializeAsync() => _gateway = await FakeGateway.StartAsync();

    public async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.StopAsync();
            _host.Dispose();
        }

        await _gateway.DisposeAsync();
    }

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task An_assignment_repeated_in_several_responses_is_started_once()
    {
        var assignment = Agents.Shell("acme.once", "exec sleep 600");
        _gateway.Respond = request => FakeGateway.Answer(request, start: [assignment]);
        await StartAgentAsync();

        await Eventually.TrueAsync(() => _gateway.Requests.Count(r => r.Running.Contains("acme.once")) >= 5, "five syncs list the job running");

        Assert.Single(_gateway.Requests.SelectMany(r => r.Reports), r => r is { JobId: "acme.once", Phase: AgentJobPhase.Started });
        Assert.Single(Processes.OfJob("acme.once"));
    }

    [Fact]
    public async Task A_job_whose_end_is_not_yet_acknowledged_is_not_started_again()
    {
        var assignment = Agents.Shell("acme.quick", "exit 0");
        _gateway.Respond = request => FakeGateway.Answer(request, start: [assignment], acknowledge: []);
        await StartAgentAsync();

        await Eventually.TrueAsync(() => _gateway.Requests.Count(r => r.Reports.Any(p => p.JobId == "acme.quick" && p.Phase == AgentJobPhase.Exited)) >= 5, "five syncs carry the exit");

        var started = _gateway.Requests.SelectMany(r => r.Reports).Where(r => r.Phase == AgentJobPhase.Started).Select(r => r.At).Distinct();
        Assert.Single(started);
    }

    [Fact]
    public async Task A_job_on_the_kill_list_is_killed_with_its_children_and_reported_killed()
    {
        var assignment = Agents.Shell("acme.victim", "sleep 600 & sleep 600; wait");
        var kill = false;
        _gateway.Respond = request =>
        {
            kill |= request.Running.Contains("acme.victim") && Processes.OfJob("acme.victim").Count >= 3;
            return FakeGateway.Answer(request, start: kill ? [] : [assignment], kill: kill ? ["acme.victim"] : []);
        };
        await StartAgentAsync();

        await Eventually.TrueAsync(() => ExitOf("acme.victim") is not null, "the kill is reported");

        var exit = ExitOf("acme.victim")!;
        Assert.Equal(137, exit.ExitCode);
        Assert.Equal($"killed: {JobReconciler.KillRequestedReason}", exit.Detail);
        await Eventually.TrueAsync(() => Processes.OfJob("acme.victim").Count == 0, "no process of the job is left");
    }

    [Fact]
    public async Task An_agent_that_cannot_renew_its_lease_kills_its_jobs_before_the_lease_ends_and_reports_them_lost()
    {
        var lease = TimeSpan.FromSeconds(2);
        var assignment = Agents.Shell("acme.leased", "sleep 600 & sleep 600; wait");
        var lastGranted = DateTimeOffset.MinValue;
        _gateway.Respond = request =>
        {
            if (request.Running.Contains("acme.leased") && Processes.OfJob("acme.leased").Count >= 3 && _gateway.Refused == 0)
            {
                // From now on the credential is refused, as after a revocation: the lease granted now is the last.
                _gateway.RefuseNext(int.MaxValue);
            }

            lastGranted = DateTimeOffset.UtcNow;
            return FakeGateway.Answer(request, start: [assignment]) with { Lease = lease };
        };
        await StartAgentAsync();
        await Eventually.TrueAsync(() => _gateway.Refused > 0, "the credential is refused while the job runs", TimeSpan.FromSeconds(30));

        await Eventually.TrueAsync(() => Processes.OfJob("acme.leased").Count == 0, "the job's processes are killed", TimeSpan.FromSeconds(30));
        var killedBy = DateTimeOffset.UtcNow;

        Assert.True(killedBy < lastGranted + lease, $"killed by {killedBy:O}, the lease granted at {lastGranted:O} ends at {lastGranted + lease:O}");
        await Eventually.TrueAsync(
            () => new StateStore(_directory.State).Load().Reports.Any(r => r is { JobId: "acme.leased", Phase: AgentJobPhase.Lost, Detail: JobReconciler.LeaseEndedDetail }),
            "the job is reported Lost because the lease ended");
    }

    [Fact]
    public async Task The_log_of_a_job_that_exited_by_itself_names_its_exit_code_and_nothing_else()
    {
        var options = Agents.Options(_directory);
        var log = new RecordingLogger<JobReconciler>();
        using var reconciler = Reconciler(options, log);
        reconciler.Recover();

        reconciler.Apply(FakeGateway.Answer(new AgentSyncRequest("i", [], []), start: [Agents.Shell("acme.logged", "exit 0")]), []);

        await Eventually.TrueAsync(() => log.Lines.Any(l => l.Contains("acme.logged Exited", StringComparison.Ordinal)), "the exit is logged");
        var line = log.Lines.Single(l => l.Contains("acme.logged Exited", StringComparison.Ordinal));
        Assert.Equal("Job acme.logged Exited with exit code 0", line);
    }

    [Fact]
    public async Task A_rejected_job_leaves_no_directory_behind()
    {
        var assignment = Agents.Shell("acme.missing", "true") with { Command = new("./not-there", [], new Dictionary<string, string>()) };
        _gateway.Respond = request => FakeGateway.Answer(request, start: request.Reports.Any(r => r.JobId == "acme.missing") ? [] : [assignment]);
        await StartAgentAsync();

        await Eventually.TrueAsync(() => _gateway.Requests.SelectMany(r => r.Reports).Any(r => r is { JobId: "acme.missing", Phase: AgentJobPhase.Rejected }), "the job is rejected");

        Assert.False(Directory.Exists(Path.Combine(_directory.Work, "acme.missing")), "the rejected job's directory is removed");
    }

    [Fact]
    public async Task A_report_is_repeated_until_acknowledged_and_then_dropped()
    {
        var assignment = Agents.Shell("acme.fails", "echo bad; exit 3");
        var carried = 0;
        _gateway.Respond = request =>
        {
            var exited = request.Reports.Any(r => r.JobId == "acme.fails" && r.Phase == AgentJobPhase.Exited);
            carried += exited ? 1 : 0;
            return FakeGateway.Answer(request, start: carried == 0 && !request.Reports.Any() ? [assignment] : [], acknowledge: carried >= 3 ? ["acme.fails"] : []);
        };
        await StartAgentAsync();

        await Eventually.TrueAsync(() => _gateway.Requests.Count(r => r.Reports.Count == 0) >= 3 && carried >= 3, "three syncs after the acknowledgement carry nothing");

        Assert.Equal(3, carried);
        var exit = ExitOf("acme.fails")!;
        Assert.Equal((3, "bad\n"), (exit.ExitCode!.Value, exit.OutputTail!));
        Assert.Empty(new StateStore(_directory.State).Load().Reports);
    }

    [Fact]
    public async Task An_acknowledgement_drops_only_the_reports_its_request_carried()
    {
        var options = Agents.Options(_directory);
        using var reconciler = Reconciler(options);
        reconciler.Recover();
        reconciler.Apply(new AgentSyncResponse("dc-test", [Agents.Shell("acme.later", "sleep 1")], [], [], TimeSpan.FromSeconds(1)), []);
        var (_, sent) = reconciler.NextRequest(null, null);
        Assert.Equal([AgentJobPhase.Started], sent.Select(r => r.Phase));

        await Eventually.TrueAsync(() => reconciler.PendingReports().Any(r => r.Phase == AgentJobPhase.Exited), "the job exits");
        reconciler.Acknowledge(["acme.later"], sent);

        Assert.Equal([AgentJobPhase.Exited], reconciler.PendingReports().Select(r => r.Phase));
    }

    [Fact]
    public async Task A_restarted_agent_kills_the_orphaned_group_reports_it_lost_and_resends_unacknowledged_reports()
    {
        using var orphan = Process.Start("setsid", ["--", "sh", "-c", "sleep 600 & sleep 600; wait"]);
        await Eventually.TrueAsync(() => Processes.InGroup(orphan.Id).Count >= 3, "the orphan's tree runs in its own group");
        var unacknowledged = new AgentJobReport("acme.earlier", AgentJobPhase.Exited, DateTimeOffset.UtcNow, 0, "done\n");
        new StateStore(_directory.State).Save(new AgentStateFile(
            [new JobRecord("acme.orphan", orphan.Id, orphan.Id, ProcStat.Read(orphan.Id)!.Value.StartTime)],
            [unacknowledged]));

        await StartAgentAsync();

        await Eventually.TrueAsync(() => _gateway.Requests.Count > 0, "the agent syncs");
        var first = _gateway.Requests[0];
        Assert.Equal(unacknowledged, first.Reports[0]);
        Assert.Equal(("acme.orphan", AgentJobPhase.Lost, JobReconciler.RestartedDetail), (first.Reports[1].JobId, first.Reports[1].Phase, first.Reports[1].Detail));
        Assert.Empty(first.Running);
        await Eventually.TrueAsync(() => Processes.InGroup(orphan.Id).Count == 0, "the orphan's whole group is dead");
    }

    [Fact]
    public async Task A_restarted_agent_kills_a_job_it_crashed_while_starting_found_by_its_environment()
    {
        var start = new ProcessStartInfo("setsid") { ArgumentList = { "--", "sh", "-c", "sleep 600 & wait" } };
        start.Environment["CG_JOB_ID"] = "acme.half";
        using var half = Process.Start(start)!;
        await Eventually.TrueAsync(() => Processes.OfJob("acme.half").Count >= 2, "the half-started job runs");
        new StateStore(_directory.State).Save(new AgentStateFile([new JobRecord("acme.half", 0, 0, 0)], []));

        await StartAgentAsync();

        await Eventually.TrueAsync(() => _gateway.Requests.Any(r => r.Reports.Any(p => p is { JobId: "acme.half", Phase: AgentJobPhase.Lost })), "the job is reported lost");
        await Eventually.TrueAsync(() => Processes.OfJob("acme.half").Count == 0, "its processes are dead");
    }

    [Fact]
    public async Task A_restarted_agent_leaves_alone_a_process_that_reused_a_recorded_pid()
    {
        using var stranger = Process.Start("setsid", ["--", "sleep", "600"]);
        await Eventually.TrueAsync(() => ProcStat.Read(stranger.Id) is { } s && s.ProcessGroup == stranger.Id, "the stranger leads its group");
        new StateStore(_directory.State).Save(new AgentStateFile(
            [new JobRecord("acme.gone", stranger.Id, stranger.Id, ProcStat.Read(stranger.Id)!.Value.StartTime - 1)],
            []));

        await StartAgentAsync();

        await Eventually.TrueAsync(() => _gateway.Requests.Any(r => r.Reports.Any(p => p is { JobId: "acme.gone", Phase: AgentJobPhase.Lost })), "the job is reported lost");
        Assert.False(stranger.HasExited);
        stranger.Kill();
    }

    [Fact]
    public async Task A_refused_credential_keeps_the_agent_alive_and_retrying()
    {
        _gateway.RefuseNext(3);
        await StartAgentAsync();

        await Eventually.TrueAsync(() => _gateway.Requests.Count > 0, "a sync is accepted after three refusals");

        Assert.Equal(3, _gateway.Refused);
    }

    [Fact]
    public async Task A_tenant_outside_the_allow_list_is_rejected_naming_the_tenant()
    {
        _gateway.Respond = request => FakeGateway.Answer(request, start: [Agents.Shell("evil.job", "true", tenant: "evil")]);
        var options = Agents.Options(_directory, _gateway.Url);
        options.AllowedTenants.Add("acme");
        await StartAgentAsync(options);

        await Eventually.TrueAsync(() => _gateway.Requests.SelectMany(r => r.Reports).Any(r => r.JobId == "evil.job"), "the job is answered");

        var report = _gateway.Requests.SelectMany(r => r.Reports).First(r => r.JobId == "evil.job");
        Assert.Equal(AgentJobPhase.Rejected, report.Phase);
        Assert.Contains("'evil'", report.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stopping_the_agent_kills_its_jobs_and_reports_them_lost_before_it_exits()
    {
        var assignment = Agents.Shell("acme.long", "sleep 600 & wait");
        _gateway.Respond = request => FakeGateway.Answer(request, start: [assignment]);
        await StartAgentAsync();
        await Eventually.TrueAsync(() => _gateway.Requests.Any(r => r.Running.Contains("acme.long")), "the job runs");

        await _host!.StopAsync();

        var last = _gateway.Requests[^1];
        Assert.Empty(last.Running);
        Assert.Contains(last.Reports, r => r is { JobId: "acme.long", Phase: AgentJobPhase.Lost, Detail: JobReconciler.StoppedDetail });
        Assert.Empty(Processes.OfJob("acme.long"));
        Assert.Empty(new StateStore(_directory.State).Load().Jobs);
    }

    [Fact]
    public void The_request_on_the_wire_is_camel_case_with_phases_by_name_and_intervals_as_time_spans()
    {
        var request = new AgentSyncRequest("i", ["a"], [new AgentJobReport("a", AgentJobPhase.Exited, DateTimeOffset.UnixEpoch, 3)], new AgentCapacity(2000, 1024));

        var json = JsonSerializer.Serialize(request, AgentJson.Options);

        Assert.Contains("\"instanceId\":\"i\"", json, StringComparison.Ordinal);
        Assert.Contains("\"phase\":\"Exited\"", json, StringComparison.Ordinal);
        Assert.Contains("\"cpuMillicores\":2000", json, StringComparison.Ordinal);
        Assert.Equal(TimeSpan.FromSeconds(2), JsonSerializer.Deserialize<AgentSyncResponse>("""{"dataCenterId":"d","start":[],"kill":[],"acknowledged":[],"syncInterval":"00:00:02"}""", AgentJson.Options)!.SyncInterval);
    }

    private AgentJobReport? ExitOf(string jobId) =>
        _gateway.Requests.SelectMany(r => r.Reports).FirstOrDefault(r => r.JobId == jobId && r.Phase == AgentJobPhase.Exited);

    private static JobReconciler Reconciler(AgentOptions options, Microsoft.Extensions.Logging.ILogger<JobReconciler>? logger = null)
    {
        var user = JobUser.Resolve(options, out _);
        var directories = new JobDirectories(options.WorkRoot, user);
        return new JobReconciler(
            options,
            new JobRunner(options, user, directories, TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger<JobRunner>.Instance),
            directories,
            new StateStore(options.StateDirectory),
            TimeProvider.System,
            logger ?? Microsoft.Extensions.Logging.Abstractions.NullLogger<JobReconciler>.Instance);
    }

    private async Task StartAgentAsync(AgentOptions? options = null)
    {
        _host = AgentHost.Build(options ?? Agents.Options(_directory, _gateway.Url), Credential.FromValue(FakeGateway.Credential));
        await _host.StartAsync();
    }
}

/// <summary>Keeps every formatted log line.</summary>
internal sealed class RecordingLogger<T> : Microsoft.Extensions.Logging.ILogger<T>
{
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _lines = new();

    public IReadOnlyList<string> Lines => [.. _lines];

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;

    public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        _lines.Enqueue(formatter(state, exception));
}
