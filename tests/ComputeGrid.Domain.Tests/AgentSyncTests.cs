using ComputeGrid.Domain.Agents;

namespace ComputeGrid.Domain.Tests;

/// <summary>The agent sync as a pure reconcile: one row per rule, keyed by the rule.</summary>
public sealed class AgentSyncTests
{
    private const string Me = "a1";
    private const string Instance = "i2";

    public static TheoryData<string, Dictionary<string, CommandView>, string[], (string JobId, bool IsStart)[], string[], string[], string[], string[], string[]> Rules => new()
    {
        // rule, commands, running, reports, start, kill, started, ended, lost
        { "an unassigned command of an allowed tenant is started by the syncing agent", Commands(("j", Cmd())), [], [], ["j"], [], [], [], [] },
        { "a command of a tenant the agent may not run is left for another agent", Commands(("j", Cmd(tenant: "globex"))), [], [], [], [], [], [], [] },
        { "a command assigned to this agent and not yet started is handed out again", Commands(("j", Cmd(agent: Me, instance: "i1"))), [], [], ["j"], [], [], [], [] },
        { "a running command is neither started again nor killed", Commands(("j", Cmd(agent: Me, instance: Instance, started: true))), ["j"], [], [], [], [], [], [] },
        { "a command held by another agent with a lease is not taken", Commands(("j", Cmd(agent: "a9"))), [], [], [], [], [], [], [] },
        { "a command of an agent that is revoked and past its lease is taken over", Commands(("j", Cmd(agent: "gone"))), [], [], ["j"], [], [], [], [] },
        { "a process the data center does not know is killed", Commands(), ["x"], [], [], ["x"], [], [], [] },
        { "a process of a released command is killed", Commands(("j", Cmd(agent: Me, instance: Instance, started: true, released: true))), ["j"], [], [], ["j"], [], [], [] },
        { "a process of an ended command is killed", Commands(("j", Cmd(agent: Me, instance: Instance, started: true, ended: true))), ["j"], [], [], ["j"], [], [], [] },
        { "a process held by another agent is killed", Commands(("j", Cmd(agent: "a9", started: true))), ["j"], [], [], ["j"], [], [], [] },
        { "a Started report makes the job Running once", Commands(("j", Cmd(agent: Me, instance: Instance))), ["j"], [("j", true)], [], [], ["j"], [], [] },
        { "an end report ends the command and is forwarded", Commands(("j", Cmd(agent: Me, instance: Instance, started: true))), [], [("j", false)], [], [], [], ["j"], [] },
        { "the end of a released command is forwarded (a cancelled job keeps its output)", Commands(("j", Cmd(agent: Me, instance: Instance, started: true, released: true))), [], [("j", false)], [], [], [], ["j"], [] },
        { "a report of another agent's command is ignored", Commands(("j", Cmd(agent: "a9", started: true))), [], [("j", false)], [], [], [], [], [] },
        { "a started command neither running nor reported was lost", Commands(("j", Cmd(agent: Me, instance: Instance, started: true))), [], [], [], [], [], [], ["j"] },
        { "a started command of the previous instance that the new one does not run was lost", Commands(("j", Cmd(agent: Me, instance: "i1", started: true))), [], [], [], [], [], [], ["j"] },
    };

    [Theory]
    [MemberData(nameof(Rules))]
    public void Reconcile(
        string rule,
        Dictionary<string, CommandView> commands,
        string[] running,
        (string JobId, bool IsStart)[] reports,
        string[] start,
        string[] kill,
        string[] started,
        string[] ended,
        string[] lost)
    {
        var decision = AgentSync.Reconcile(
            commands,
            new SyncingAgent(Me, Instance, "i1", ["acme"]),
            running,
            [.. reports.Select(r => new ReportView(r.JobId, r.IsStart))],
            holder => holder == "gone");

        Assert.True(start.SequenceEqual(decision.Start), $"{rule}: start {string.Join(",", decision.Start)}");
        Assert.True(kill.SequenceEqual(decision.Kill), $"{rule}: kill {string.Join(",", decision.Kill)}");
        Assert.True(started.SequenceEqual(decision.Started), $"{rule}: started {string.Join(",", decision.Started)}");
        Assert.True(ended.SequenceEqual(decision.Ended.Select(e => e.JobId)), $"{rule}: ended {string.Join(",", decision.Ended)}");
        Assert.True(lost.SequenceEqual(decision.Lost.Select(e => e.JobId)), $"{rule}: lost {string.Join(",", decision.Lost)}");
        Assert.Equal(reports.Select(r => r.JobId).Distinct(), decision.Acknowledged);
    }

    [Fact]
    public void A_command_handed_out_is_assigned_to_the_agent_and_its_instance()
    {
        var decision = AgentSync.Reconcile(Commands(("j", Cmd())), new SyncingAgent(Me, Instance, null, ["*"]), [], [], _ => false);

        Assert.Equal(Cmd(agent: Me, instance: Instance), decision.Commands["j"]);
    }

    [Fact]
    public void A_released_command_whose_end_is_reported_is_forgotten()
    {
        var decision = AgentSync.Reconcile(
            Commands(("j", Cmd(agent: Me, instance: Instance, started: true, released: true))),
            new SyncingAgent(Me, Instance, Instance, ["acme"]),
            [],
            [new ReportView("j", false)],
            _ => false);

        Assert.Empty(decision.Commands);
    }

    [Fact]
    public void A_restart_is_named_in_the_lost_detail()
    {
        var decision = AgentSync.Reconcile(Commands(("j", Cmd(agent: Me, instance: "i1", started: true))), new SyncingAgent(Me, Instance, "i1", ["acme"]), [], [], _ => false);

        Assert.Equal("agent a1 restarted; the process was lost", decision.Lost.Single().Detail);
    }

    public static TheoryData<string, CommandView, bool, bool, bool> LeaseRules => new()
    {
        // rule, command, holder's lease expired, preempted, kept
        { "a job whose agent's lease ended is preempted", Cmd(agent: "a9", started: true), true, true, true },
        { "an assigned job not yet started is preempted when its agent's lease ended", Cmd(agent: "a9"), true, true, true },
        { "a job whose agent holds its lease stays", Cmd(agent: "a9", started: true), false, false, true },
        { "an unassigned job is nobody's lease", Cmd(), true, false, true },
        { "an ended job is being told, not preempted", Cmd(agent: "a9", started: true, ended: true), true, false, true },
        { "a released job of an agent past its lease is forgotten: its process is gone", Cmd(agent: "a9", started: true, released: true), true, false, false },
    };

    [Theory]
    [MemberData(nameof(LeaseRules))]
    public void Leases(string rule, CommandView command, bool expired, bool preempted, bool kept)
    {
        var decision = AgentSync.ExpireLeases(Commands(("j", command)), _ => expired);

        Assert.True(preempted == decision.Preempt.Contains("j"), $"{rule}: preempted {decision.Preempt.Contains("j")}");
        Assert.True(kept == decision.Commands.ContainsKey("j"), $"{rule}: kept {decision.Commands.ContainsKey("j")}");
    }

    public static TheoryData<string, Dictionary<string, CommandView>, (string JobId, bool IsStart)[], string[]> IgnoreRules => new()
    {
        // rule, commands, reports, ignored
        { "a report of a job the data center does not know is acknowledged and ignored", Commands(), [("x", false)], ["x"] },
        { "a report of another agent's command is acknowledged and ignored", Commands(("j", Cmd(agent: "a9", started: true))), [("j", false)], ["j"] },
        { "an end reported again after it was recorded is ignored", Commands(("j", Cmd(agent: Me, instance: Instance, started: true, ended: true))), [("j", false)], ["j"] },
        { "a Started report repeated is ignored", Commands(("j", Cmd(agent: Me, instance: Instance, started: true))), [("j", true)], ["j"] },
        { "a Started report after the job let go is ignored (the process is killed instead)", Commands(("j", Cmd(agent: Me, instance: Instance, released: true))), [("j", true)], ["j"] },
        { "a first Started report is not ignored", Commands(("j", Cmd(agent: Me, instance: Instance))), [("j", true)], [] },
        { "an end report of a running command is not ignored", Commands(("j", Cmd(agent: Me, instance: Instance, started: true))), [("j", false)], [] },
    };

    [Theory]
    [MemberData(nameof(IgnoreRules))]
    public void Ignores(string rule, Dictionary<string, CommandView> commands, (string JobId, bool IsStart)[] reports, string[] ignored)
    {
        var decision = AgentSync.Reconcile(commands, new SyncingAgent(Me, Instance, Instance, ["acme"]), [], [.. reports.Select(r => new ReportView(r.JobId, r.IsStart))], _ => false);

        Assert.True(ignored.SequenceEqual(decision.Ignored), $"{rule}: ignored {string.Join(",", decision.Ignored)}");
        Assert.Equal(reports.Select(r => r.JobId).Distinct(), decision.Acknowledged);
    }

    public static TheoryData<string, Dictionary<string, CommandView>, string[], (string JobId, bool IsStart)[]> RepeatedSyncs => new()
    {
        // rule, commands, running, reports: a sync whose answer was lost is sent again unchanged
        { "a hand-out repeated is the same hand-out", Commands(("j", Cmd())), [], [] },
        { "a Started report repeated makes the job Running only once", Commands(("j", Cmd(agent: Me, instance: Instance))), ["j"], [("j", true)] },
        { "an end report repeated ends the job only once", Commands(("j", Cmd(agent: Me, instance: Instance, started: true)), ("k", Cmd(agent: Me, instance: Instance, started: true))), ["k"], [("j", false)] },
        { "the end of a released command repeated is forwarded only once", Commands(("j", Cmd(agent: Me, instance: Instance, started: true, released: true))), [], [("j", false)] },
        { "a loss is found only once", Commands(("j", Cmd(agent: Me, instance: "i1", started: true))), [], [] },
        { "an unknown process is killed again and again until it is gone", Commands(), ["x"], [("x", false)] },
    };

    [Theory]
    [MemberData(nameof(RepeatedSyncs))]
    public void A_sync_applied_twice_decides_nothing_new_the_second_time(string rule, Dictionary<string, CommandView> commands, string[] running, (string JobId, bool IsStart)[] reports)
    {
        var agent = new SyncingAgent(Me, Instance, "i1", ["acme"]);
        var views = reports.Select(r => new ReportView(r.JobId, r.IsStart)).ToList();
        var first = AgentSync.Reconcile(commands, agent, running, views, _ => false);
        var second = AgentSync.Reconcile(first.Commands, agent with { PreviousInstanceId = Instance }, running, views, _ => false);

        Assert.True(second.Started.Count == 0 && second.Ended.Count == 0 && second.Lost.Count == 0, $"{rule}: started {second.Started.Count}, ended {second.Ended.Count}, lost {second.Lost.Count} again");
        Assert.True(first.Commands.OrderBy(c => c.Key).SequenceEqual(second.Commands.OrderBy(c => c.Key)), $"{rule}: the commands changed again");
        Assert.True(first.Start.SequenceEqual(second.Start) && first.Kill.SequenceEqual(second.Kill), $"{rule}: start or kill changed");
    }

    public static TheoryData<string, CommandView, CommandView?> ReleaseRules => new()
    {
        // rule, command, after the job let go (null: forgotten)
        { "a command no agent has taken is forgotten", Cmd(), null },
        { "a command handed out but not started is forgotten", Cmd(agent: Me, instance: Instance), null },
        { "a started command is kept as released so its agent kills it and its end is forwarded", Cmd(agent: Me, instance: Instance, started: true), Cmd(agent: Me, instance: Instance, started: true, released: true) },
        { "a command whose end is recorded is forgotten", Cmd(agent: Me, instance: Instance, started: true, ended: true), null },
    };

    [Theory]
    [MemberData(nameof(ReleaseRules))]
    public void Releases(string rule, CommandView command, CommandView? after) =>
        Assert.True(Equals(after, AgentSync.Release(command)), $"{rule}: {AgentSync.Release(command)}");

    public static TheoryData<string, CommandView?, bool> AssignRules => new()
    {
        // rule, the command known, a new one is recorded
        { "a job handed over for the first time records its command", null, true },
        { "a hand-over repeated by reconciliation changes nothing", Cmd(agent: Me, started: true), false },
        { "a job placed here again after it let go records its command anew", Cmd(agent: Me, started: true, released: true), true },
    };

    [Theory]
    [MemberData(nameof(AssignRules))]
    public void Assigns(string rule, CommandView? known, bool records) => Assert.True(records == AgentSync.Assigns(known), rule);

    public static TheoryData<string, AgentView[], string[], bool> SilenceRules => new()
    {
        // rule, agents, fresh agents, silent
        { "a data center with no agent is not watched", [], [], false },
        { "a data center awaiting its first agent's sync is not silent", [Agent("a1", synced: false)], [], false },
        { "every serving agent silent makes the data center silent", [Agent("a1"), Agent("a2")], [], true },
        { "one serving agent heard keeps the data center up", [Agent("a1"), Agent("a2")], ["a2"], false },
        { "a revoked agent heard does not keep it up", [Agent("a1"), Agent("a2", active: false)], ["a2"], true },
        { "an agent that never synced does not keep it up", [Agent("a1"), Agent("a2", synced: false)], ["a2"], true },
    };

    [Theory]
    [MemberData(nameof(SilenceRules))]
    public void Heartbeats(string rule, AgentView[] agents, string[] fresh, bool silent) =>
        Assert.True(silent == AgentSync.Silent(agents, fresh.Contains), rule);

    [Fact]
    public void The_directory_lists_the_tenants_of_serving_agents_only_and_none_while_no_agent_serves()
    {
        Assert.Null(AgentSync.CommandTenants([Agent("a1", synced: false, tenants: ["acme"])]));
        Assert.Equal(
            ["acme", "globex"],
            AgentSync.CommandTenants([Agent("a1", tenants: ["globex", "acme"]), Agent("a2", tenants: ["acme"]), Agent("a3", active: false, tenants: ["initech"]), Agent("a4", synced: false, tenants: ["umbrella"])]));
    }

    [Fact]
    public void Jobs_of_agents_whose_lease_has_not_ended_are_leased_and_ended_or_unassigned_ones_are_not()
    {
        var leased = AgentSync.Leased(
            Commands(("held", Cmd(agent: "a1", started: true)), ("expired", Cmd(agent: "a9", started: true)), ("ended", Cmd(agent: "a1", started: true, ended: true)), ("free", Cmd())),
            holder => holder == "a9");

        Assert.Equal(["held"], leased);
    }

    public static TheoryData<string, int?, bool> LeaseClock => new()
    {
        // rule, seconds since the last sync (null: never synced), expired with a 10 s lease
        { "an agent that never synced holds no lease", null, true },
        { "a lease renewed within its length holds", 10, false },
        { "a lease not renewed for longer than its length has ended", 11, true },
    };

    [Theory]
    [MemberData(nameof(LeaseClock))]
    public void Lease_ends_after_its_length_without_a_sync(string rule, int? secondsAgo, bool expired)
    {
        var now = new DateTimeOffset(2026, 12, 7, 0, 0, 0, TimeSpan.Zero);
        Assert.True(expired == AgentSync.LeaseExpired(secondsAgo is { } s ? now.AddSeconds(-s) : null, now, TimeSpan.FromSeconds(10)), rule);
    }

    private static AgentView Agent(string id, bool active = true, bool synced = true, string[]? tenants = null) =>
        new(id, active, synced ? new DateTimeOffset(2026, 12, 7, 0, 0, 0, TimeSpan.Zero) : null, tenants ?? ["*"]);

    private static CommandView Cmd(string tenant = "acme", string? agent = null, string? instance = null, bool started = false, bool ended = false, bool released = false) =>
        new(tenant, agent, instance, started, ended, released);

    private static Dictionary<string, CommandView> Commands(params (string JobId, CommandView Command)[] commands) =>
        commands.ToDictionary(c => c.JobId, c => c.Command, StringComparer.Ordinal);
}
