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

    private static CommandView Cmd(string tenant = "acme", string? agent = null, string? instance = null, bool started = false, bool ended = false, bool released = false) =>
        new(tenant, agent, instance, started, ended, released);

    private static Dictionary<string, CommandView> Commands(params (string JobId, CommandView Command)[] commands) =>
        commands.ToDictionary(c => c.JobId, c => c.Command, StringComparer.Ordinal);
}
