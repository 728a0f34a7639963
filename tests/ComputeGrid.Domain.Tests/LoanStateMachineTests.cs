using ComputeGrid.Domain.Loans;

namespace ComputeGrid.Domain.Tests;

public class LoanStateMachineTests
{
    /// <summary>A loan's life: every move it may make. Every other pair is forbidden.</summary>
    private static readonly (LoanState From, LoanState To)[] Allowed =
    [
        (LoanState.Offered, LoanState.Active),
        (LoanState.Offered, LoanState.Declined),
        (LoanState.Active, LoanState.Recalling),
        (LoanState.Active, LoanState.Draining),
        (LoanState.Active, LoanState.Returned),
        (LoanState.Active, LoanState.Expired),
        (LoanState.Recalling, LoanState.Draining),
        (LoanState.Recalling, LoanState.Recalled),
        (LoanState.Recalling, LoanState.Returned),
        (LoanState.Draining, LoanState.Returned),
        (LoanState.Draining, LoanState.Expired),
        (LoanState.Draining, LoanState.Recalled),
    ];

    public static TheoryData<LoanState, LoanState> AllowedTransitions => Table(Allowed);

    public static TheoryData<LoanState, LoanState> ForbiddenTransitions => Table(
        from f in Enum.GetValues<LoanState>()
        from t in Enum.GetValues<LoanState>()
        where !Allowed.Contains((f, t))
        select (f, t));

    public static TheoryData<LoanState, LoanState> TransitionsOutOfTerminalStates => Table(
        from f in Enum.GetValues<LoanState>()
        where f.IsTerminal()
        from t in Enum.GetValues<LoanState>()
        select (f, t));

    [Theory]
    [MemberData(nameof(AllowedTransitions))]
    public void An_allowed_loan_transition_is_permitted(LoanState from, LoanState to)
    {
        Assert.True(LoanStateMachine.CanTransition(from, to));
    }

    [Theory]
    [MemberData(nameof(ForbiddenTransitions))]
    public void Every_loan_transition_not_in_the_life_cycle_is_forbidden(LoanState from, LoanState to)
    {
        Assert.False(LoanStateMachine.CanTransition(from, to));
    }

    [Theory]
    [MemberData(nameof(TransitionsOutOfTerminalStates))]
    public void A_settled_loan_never_moves_again(LoanState from, LoanState to)
    {
        Assert.False(LoanStateMachine.CanTransition(from, to));
    }

    [Theory]
    [InlineData(LoanState.Offered, LoanState.Expired)]
    [InlineData(LoanState.Offered, LoanState.Recalling)]
    [InlineData(LoanState.Offered, LoanState.Returned)]
    [InlineData(LoanState.Active, LoanState.Recalled)]
    [InlineData(LoanState.Active, LoanState.Declined)]
    [InlineData(LoanState.Recalling, LoanState.Active)]
    [InlineData(LoanState.Recalling, LoanState.Expired)]
    [InlineData(LoanState.Draining, LoanState.Active)]
    [InlineData(LoanState.Draining, LoanState.Recalling)]
    [InlineData(LoanState.Active, LoanState.Active)]
    public void Notable_shortcuts_and_reopenings_are_forbidden(LoanState from, LoanState to)
    {
        Assert.False(LoanStateMachine.CanTransition(from, to));
    }

    [Theory]
    [InlineData(LoanState.Offered, false, true, false)]
    [InlineData(LoanState.Active, false, true, true)]
    [InlineData(LoanState.Recalling, false, true, false)]
    [InlineData(LoanState.Draining, false, true, false)]
    [InlineData(LoanState.Returned, true, false, false)]
    [InlineData(LoanState.Expired, true, false, false)]
    [InlineData(LoanState.Recalled, true, false, false)]
    [InlineData(LoanState.Declined, true, false, false)]
    public void Only_an_Active_loan_takes_placements_and_every_non_terminal_loan_counts_against_the_limits(
        LoanState state, bool terminal, bool open, bool takesPlacements)
    {
        Assert.Equal(terminal, state.IsTerminal());
        Assert.Equal(open, state.IsOpen());
        Assert.Equal(takesPlacements, state.TakesPlacements());
    }

    private static TheoryData<LoanState, LoanState> Table(IEnumerable<(LoanState From, LoanState To)> pairs)
    {
        var data = new TheoryData<LoanState, LoanState>();
        foreach (var (from, to) in pairs)
        {
            data.Add(from, to);
        }

        return data;
    }
}
