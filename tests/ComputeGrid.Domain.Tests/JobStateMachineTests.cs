using ComputeGrid.Domain.Jobs;

namespace ComputeGrid.Domain.Tests;

public class JobStateMachineTests
{
    /// <summary>The lifecycle: every transition a job may make. Every other pair is forbidden.</summary>
    private static readonly (JobState From, JobState To)[] Allowed =
    [
        (JobState.Pending, JobState.Queued),
        (JobState.Pending, JobState.Scheduled),
        (JobState.Pending, JobState.Cancelled),
        (JobState.Queued, JobState.Scheduled),
        (JobState.Queued, JobState.Cancelled),
        (JobState.Scheduled, JobState.Running),
        (JobState.Scheduled, JobState.Preempted),
        (JobState.Scheduled, JobState.Cancelled),
        (JobState.Scheduled, JobState.Failed),
        (JobState.Running, JobState.Succeeded),
        (JobState.Running, JobState.Failed),
        (JobState.Running, JobState.Preempted),
        (JobState.Running, JobState.Cancelled),
        (JobState.Preempted, JobState.Queued),
        (JobState.Preempted, JobState.Scheduled),
        (JobState.Preempted, JobState.Cancelled),
        (JobState.Pending, JobState.Blocked),
        (JobState.Pending, JobState.Unsatisfiable),
        (JobState.Blocked, JobState.Queued),
        (JobState.Blocked, JobState.Scheduled),
        (JobState.Blocked, JobState.Cancelled),
        (JobState.Blocked, JobState.Unsatisfiable),
    ];

    public static TheoryData<JobState, JobState> AllowedTransitions => Table(Allowed);

    public static TheoryData<JobState, JobState> ForbiddenTransitions => Table(
        from f in Enum.GetValues<JobState>()
        from t in Enum.GetValues<JobState>()
        where !Allowed.Contains((f, t))
        select (f, t));

    public static TheoryData<JobState, JobState> TransitionsOutOfTerminalStates => Table(
        from f in Enum.GetValues<JobState>()
        where f.IsTerminal()
        from t in Enum.GetValues<JobState>()
        select (f, t));

    [Theory]
    [MemberData(nameof(AllowedTransitions))]
    public void An_allowed_transition_is_permitted(JobState from, JobState to)
    {
        Assert.True(JobStateMachine.CanTransition(from, to));
    }

    [Theory]
    [MemberData(nameof(ForbiddenTransitions))]
    public void Every_transition_not_in_the_lifecycle_is_forbidden(JobState from, JobState to)
    {
        Assert.False(JobStateMachine.CanTransition(from, to));
    }

    [Theory]
    [InlineData(JobState.Pending, JobState.Running)]
    [InlineData(JobState.Queued, JobState.Running)]
    [InlineData(JobState.Queued, JobState.Pending)]
    [InlineData(JobState.Running, JobState.Scheduled)]
    [InlineData(JobState.Running, JobState.Running)]
    [InlineData(JobState.Preempted, JobState.Running)]
    [InlineData(JobState.Succeeded, JobState.Queued)]
    [InlineData(JobState.Failed, JobState.Scheduled)]
    [InlineData(JobState.Cancelled, JobState.Pending)]
    public void Notable_shortcuts_and_resurrections_are_forbidden(JobState from, JobState to)
    {
        Assert.False(JobStateMachine.CanTransition(from, to));
    }

    [Theory]
    [InlineData(JobState.Pending, false)]
    [InlineData(JobState.Queued, false)]
    [InlineData(JobState.Scheduled, false)]
    [InlineData(JobState.Running, false)]
    [InlineData(JobState.Preempted, false)]
    [InlineData(JobState.Succeeded, true)]
    [InlineData(JobState.Failed, true)]
    [InlineData(JobState.Cancelled, true)]
    public void Only_Succeeded_Failed_and_Cancelled_are_terminal(JobState state, bool terminal)
    {
        Assert.Equal(terminal, state.IsTerminal());
    }

    [Theory]
    [MemberData(nameof(TransitionsOutOfTerminalStates))]
    public void A_terminal_state_never_transitions(JobState from, JobState to)
    {
        Assert.False(JobStateMachine.CanTransition(from, to));
    }

    [Fact]
    public void Every_non_terminal_state_can_be_cancelled()
    {
        Assert.All(
            Enum.GetValues<JobState>().Where(s => !s.IsTerminal()),
            s => Assert.True(JobStateMachine.CanTransition(s, JobState.Cancelled), $"{s} -> Cancelled"));
    }

    [Theory]
    [InlineData(JobState.Pending, false)]
    [InlineData(JobState.Queued, false)]
    [InlineData(JobState.Scheduled, true)]
    [InlineData(JobState.Running, true)]
    [InlineData(JobState.Preempted, false)]
    [InlineData(JobState.Succeeded, false)]
    [InlineData(JobState.Failed, false)]
    [InlineData(JobState.Cancelled, false)]
    public void Only_Scheduled_and_Running_hold_capacity(JobState state, bool holds)
    {
        Assert.Equal(holds, state.HoldsCapacity());
    }

    private static TheoryData<JobState, JobState> Table(IEnumerable<(JobState From, JobState To)> pairs)
    {
        var data = new TheoryData<JobState, JobState>();
        foreach (var (from, to) in pairs)
        {
            data.Add(from, to);
        }

        return data;
    }
}
